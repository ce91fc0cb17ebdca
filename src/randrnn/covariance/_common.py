"""Shared machinery of the covariance predictions (private).

Thresholds, the eigenbasis of ``J``, the frequency rule and batched resolvents.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from randrnn._typing import ComplexArray, FloatArray

#: ``method="auto"`` uses the eigenbasis formula when the Frobenius condition number of the
#: eigenvector matrix (unit columns) is at most this value. Measured against the quadrature, the
#: eigenbasis result has a relative error of about ``eps * cond`` (3e-13 at cond ~ 1e3), so the
#: threshold keeps it near 1e-8; i.i.d. matrices have cond ~ N**1.5 (6e4 at N = 2000).
COND_THRESHOLD = 1.0e8

#: Gauss-Legendre nodes per panel of the frequency rule (see ``_frequency_rule``).
_GL_NODES = 10

_REFERENCES = ("clark2026", "shen2025")


class UnstableNetworkError(ValueError):
    r"""The linear-equivalent network of a realization is unstable.

    Raised when some eigenvalue :math:`\lambda_k` of ``J`` has
    :math:`\operatorname{Re}(1 - \mu_1\lambda_k) \le 0` (or, for the naive closure,
    :math:`\mu_1 |\lambda_k| \ge 1`). ``eigenvalues`` holds the offending :math:`\lambda_k`.

    Parameters
    ----------
    message : str
        What failed, naming the eigenvalues.
    eigenvalues : array_like
        The offending eigenvalues of ``J``.
    """

    def __init__(self, message: str, *, eigenvalues: ArrayLike) -> None:
        self.eigenvalues = np.asarray(eigenvalues)
        super().__init__(message)


# ---------------------------------------------------------------------------------------------
# shared machinery
# ---------------------------------------------------------------------------------------------


def _c(v: complex) -> str:
    return f"{v.real:.6g}{v.imag:+.6g}j"


def _alpha_and_check(lam: ComplexArray, mu1: float) -> tuple[ComplexArray, float]:
    alpha = 1.0 - mu1 * lam
    bad = alpha.real <= 0
    if np.any(bad):
        worst = lam[bad][np.argsort(alpha.real[bad])][:5]
        listed = ", ".join(f"lam={_c(v)} (mu1*lam={_c(mu1 * v)})" for v in worst)
        raise UnstableNetworkError(
            f"`J` must give a stable linear-equivalent network, Re(1 - mu1*lam_k) > 0 for every "
            f"eigenvalue lam_k of J; got {int(bad.sum())} unstable eigenvalue(s) with mu1="
            f"{mu1:.6g}: {listed}. The theory has no stationary state for this realization; "
            "check mu1 and the coupling scale.",
            eigenvalues=lam[bad],
        )
    return alpha, float(alpha.real.min())


class _EigenBasis:
    r"""Real-arithmetic eigenbasis of a real matrix.

    ``numpy.linalg.eig`` returns complex-conjugate eigenpairs adjacent (positive imaginary part
    first). With :math:`V = V_r B`, where :math:`V_r` holds ``Re v, Im v`` for each pair and
    :math:`B` is block diagonal with blocks ``[[1, 1], [i, -i]]``, every congruence
    :math:`V X V^H = V_r (B X B^H) V_r^T` is assembled with real matrix products (4x fewer
    flops than complex ones); the :math:`B` actions are O(n^2).
    """

    def __init__(self, J: FloatArray) -> None:
        lam, V = np.linalg.eig(J)
        self.lam = lam
        n = lam.size
        first = np.flatnonzero(lam.imag > 0)
        if first.size and (
            first[-1] + 1 >= n or not np.array_equal(lam[first + 1], lam[first].conj())
        ):  # pragma: no cover - LAPACK guarantees the pairing for real input
            raise RuntimeError("eigenvalues of a real matrix were not in conjugate pairs")
        self.p = first
        self.q = first + 1
        Vr = V.real.copy()
        Vr[:, self.q] = V[:, self.p].imag
        self.Vr = Vr
        Vr_inv = np.linalg.inv(Vr)
        G = Vr_inv @ Vr_inv.T  # real symmetric
        self.W = self.right_binv_h(self.left_binv(G.astype(complex)))  # V^{-1} V^{-H}
        # ||V||_F = sqrt(n) (unit columns); ||V^{-1}||_F^2 = tr W
        self.cond = float(math.sqrt(n * max(float(np.trace(self.W).real), 0.0)))

    # B and B^{-1} act on pairs of rows/columns (p, q)
    def left_b(self, X: ComplexArray) -> ComplexArray:
        p, q = self.p, self.q
        Y = X.copy()
        Y[p] = X[p] + X[q]
        Y[q] = 1j * (X[p] - X[q])
        return Y

    def right_b_h(self, X: ComplexArray) -> ComplexArray:
        p, q = self.p, self.q
        Y = X.copy()
        Y[:, p] = X[:, p] + X[:, q]
        Y[:, q] = -1j * (X[:, p] - X[:, q])
        return Y

    def left_binv(self, X: ComplexArray) -> ComplexArray:
        p, q = self.p, self.q
        Y = X.copy()
        Y[p] = 0.5 * (X[p] - 1j * X[q])
        Y[q] = 0.5 * (X[p] + 1j * X[q])
        return Y

    def right_binv_h(self, X: ComplexArray) -> ComplexArray:
        p, q = self.p, self.q
        Y = X.copy()
        Y[:, p] = 0.5 * (X[:, p] + 1j * X[:, q])
        Y[:, q] = 0.5 * (X[:, p] - 1j * X[:, q])
        return Y

    def assemble(self, X: ComplexArray) -> tuple[FloatArray, float]:
        """Return ``Re(V X V^H)`` and the relative size of the discarded imaginary part."""
        Y = self.right_b_h(self.left_b(X))
        scale = float(np.abs(Y.real).max()) or 1.0
        imag = float(np.abs(Y.imag).max()) / scale
        Yr = np.ascontiguousarray(Y.real)
        return (self.Vr @ Yr) @ self.Vr.T, imag


def _gauss_legendre(n: int) -> tuple[FloatArray, FloatArray]:
    x, w = np.polynomial.legendre.leggauss(n)
    return 0.5 * (x + 1.0), 0.5 * w  # on [0, 1]


def _frequency_rule(poles: ComplexArray, n_gl: int = _GL_NODES) -> tuple[FloatArray, FloatArray]:
    r"""Nodes and weights for :math:`\int_0^\infty f(\omega)\,d\omega`, f analytic near the axis.

    Composite Gauss-Legendre: panels grow from 0 with length ``h = d/2``, where ``d`` is the
    distance from the panel's left end to the nearest pole of ``f`` (``poles``, complex). The
    nearest pole is then at least ``3h/2`` from the panel centre, i.e. outside the Bernstein
    ellipse with parameter :math:`\rho = 3 + \sqrt 8`, so each panel's error is
    :math:`O(\rho^{-2 n_{gl}}) \approx 5\times 10^{-16}` relative to the pole's local weight.
    Beyond :math:`W = 2\max|p|` the tail is mapped with :math:`u = W/\omega` onto two panels
    (all poles then lie at :math:`|u| \ge 2`).
    """
    poles = np.unique(np.round(np.asarray(poles, dtype=np.complex128), 12))
    pr, pi = poles.real, np.abs(poles.imag)
    x0, w0 = _gauss_legendre(n_gl)
    big = max(2.0 * float(np.abs(poles).max()), 1.0)
    nodes: list[FloatArray] = []
    weights: list[FloatArray] = []
    w = 0.0
    while w < big:
        d = float(np.sqrt((pr - w) ** 2 + pi**2).min())
        h = min(0.5 * d, big - w)
        nodes.append(w + h * x0)
        weights.append(h * w0)
        w += h
    for lo, hi in ((0.0, 0.5), (0.5, 1.0)):  # tail: omega = big / u, d omega = big / u^2 du
        u = lo + (hi - lo) * x0
        nodes.append(big / u)
        weights.append((hi - lo) * w0 * big / u**2)
    return np.concatenate(nodes), np.concatenate(weights)


def _resolvents(J: FloatArray, a: ComplexArray) -> ComplexArray:
    """Return ``(I - a_f J)^{-1}`` for a batch of ``a_f`` (LU solves, batched)."""
    n = J.shape[0]
    eye = np.eye(n)
    A = eye[None, :, :] - a[:, None, None] * J[None, :, :]
    return np.asarray(np.linalg.inv(A), dtype=np.complex128)


def _batch_size(n: int) -> int:
    # keep a batch of complex n x n matrices (and the inverse workspace) near 64 MB
    return max(1, min(64, int(4_000_000 // (n * n))))
