r"""The two linearizations of a rate network at a fixed point: activations vs activities.

For :math:`T\dot x = -x + W\phi(x) + Bu` at a fixed point :math:`x^*` with gains
:math:`D = \mathrm{diag}\,\phi'(x^*)` (Pagan, Valente, Ostojic & Brody, arXiv:2309.04030;
docs/theory.md section 6.2):

- activations :math:`x`: :math:`A_x = T^{-1}(-I + W D)`, input vectors :math:`b_x = T^{-1}B`;
- activities :math:`r = \phi(x)`: :math:`A_r = -T^{-1} + D T^{-1} W`, :math:`b_r = D b_x`.

:math:`A_r D = D A_x` always. With every gain positive :math:`A_r = D A_x D^{-1}`: same
spectrum, right eigenvectors :math:`v_r = D v_x`, left (selection) vectors
:math:`l_r = D^{-1} l_x`, mode drives :math:`l_r^T b_r = l_x^T b_x`. With silent units
(:math:`D_{jj} = 0`, set Z; active set S) the similarity holds on the active block only:
:math:`A_x` is block lower-triangular with :math:`A_x[Z, Z] = -T_Z^{-1}`, so

- every silent unit gives an exact eigenvalue :math:`-1/\tau_j` (right eigenvector
  :math:`e_j` of :math:`A_x`, left eigenvector :math:`e_j` of :math:`A_r`);
- for the active modes :math:`v_r = D v_x`, :math:`l_x = D l_r` and the drives are equal, but
  :math:`l_r` has components on Z that :math:`D^{-1} l_x` cannot give;
- for the silent modes :math:`v_r \ne D v_x = 0` and :math:`l_x \ne D l_r = 0`; the mode gets
  no drive in activity coordinates (:math:`l_r^T b_r = D_{jj} b_{x,j} = 0`) while
  :math:`l_x^T b_x` is generally nonzero: the mode moves :math:`x_j` only, which the rates do
  not see to first order.

Every eigenvector is built from one eigendecomposition of the active block, in closed form
(no division by a gain; no eigensolver on a matrix with repeated silent eigenvalues).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from randrnn._typing import ComplexArray, FloatArray
from randrnn._validation import check_array, check_nonnegative
from randrnn.fixedpoints.field import RateField


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Linearization:
    r"""Both linearizations at one state, with eigenvectors, input vectors and mode drives.

    Modes are columns: ``right_x[:, k]`` and ``left_x[:, k]`` with
    :math:`l_k^T A = \lambda_k l_k^T` and :math:`l_k^T v_m = \delta_{km}` (no complex
    conjugation). Active modes come first (by decreasing real part), then the silent modes.

    Parameters
    ----------
    x_star : (n,) ndarray
        The state.
    gain : (n,) ndarray
        :math:`\phi'(x^*)` (gains at or below ``gain_tol`` set to 0).
    tau : (n,) ndarray
        Time constants.
    active : (n,) bool ndarray
        Units with a positive gain.
    eigenvalues : (n,) complex ndarray
        Shared spectrum of :math:`A_x` and :math:`A_r`.
    silent_mode : (n,) bool ndarray
        Modes with eigenvalue :math:`-1/\tau_j` of a silent unit ``j``.
    right_x, left_x, right_r, left_r : (n, n) complex ndarray
        Right and left eigenvectors in activation and activity coordinates.
    b_x, b_r : (n, k) ndarray
        Input vectors :math:`T^{-1}B` and :math:`D T^{-1} B`.
    drive_x, drive_r : (n, k) complex ndarray
        Drive of each mode by each input, :math:`l^T b`.
    W : (n, n) ndarray
        Couplings (not copied).
    gain_tol : float
        Gains at or below this were treated as 0.
    """

    x_star: FloatArray
    gain: FloatArray
    tau: FloatArray
    active: Any
    eigenvalues: ComplexArray
    silent_mode: Any
    right_x: ComplexArray
    left_x: ComplexArray
    right_r: ComplexArray
    left_r: ComplexArray
    b_x: FloatArray
    b_r: FloatArray
    drive_x: ComplexArray
    drive_r: ComplexArray
    W: FloatArray
    gain_tol: float

    @property
    def n(self) -> int:
        """Number of units."""
        return int(self.tau.size)

    @property
    def A_x(self) -> FloatArray:
        r""":math:`A_x = T^{-1}(-I + W D)`."""
        A = self.W * self.gain[None, :]
        A[np.diag_indices(self.n)] -= 1.0
        return A / self.tau[:, None]

    @property
    def A_r(self) -> FloatArray:
        r""":math:`A_r = -T^{-1} + D T^{-1} W`."""
        A = (self.gain / self.tau)[:, None] * self.W
        A[np.diag_indices(self.n)] -= 1.0 / self.tau
        return A

    def relations(self) -> dict[str, float]:
        r"""Measured residuals of every relation between the two coordinate systems.

        Returns relative errors (max over modes): the eigen-equations of both matrices for
        right and left vectors (``eig_right_x`` ... ``eig_left_r``), biorthonormality
        (``biorth_x``, ``biorth_r``), the intertwining :math:`A_r D - D A_x`
        (``intertwining``), and over the active modes :math:`v_r - D v_x`
        (``right_map``), :math:`l_x - D l_r` (``left_map``), :math:`l_r - D^{-1} l_x` on the
        active units (``left_map_inverse``) and the drives (``drive``). The silent modes,
        where the maps do not hold, are left out of the last four and counted in
        ``n_silent``.
        """
        lam = self.eigenvalues
        Ax, Ar = self.A_x, self.A_r
        scale = max(float(np.abs(lam).max(initial=0.0)), 1e-300)

        def right(A: FloatArray, V: ComplexArray) -> float:
            r = A @ V - V * lam[None, :]
            return float(np.max(np.linalg.norm(r, axis=0) / (scale * np.linalg.norm(V, axis=0))))

        def left(A: FloatArray, L: ComplexArray) -> float:
            r = A.T @ L - L * lam[None, :]
            return float(np.max(np.linalg.norm(r, axis=0) / (scale * np.linalg.norm(L, axis=0))))

        def biorth(L: ComplexArray, V: ComplexArray) -> float:
            return float(np.max(np.abs(L.T @ V - np.eye(self.n))))

        act = ~self.silent_mode
        D = self.gain
        out = {
            "eig_right_x": right(Ax, self.right_x),
            "eig_left_x": left(Ax, self.left_x),
            "eig_right_r": right(Ar, self.right_r),
            "eig_left_r": left(Ar, self.left_r),
            "biorth_x": biorth(self.left_x, self.right_x),
            "biorth_r": biorth(self.left_r, self.right_r),
            "intertwining": float(
                np.abs(Ar * D[None, :] - D[:, None] * Ax).max() / max(np.abs(Ax).max(), 1e-300)
            ),
            "n_silent": int(np.sum(self.silent_mode)),
        }

        def rel(a: ComplexArray, b: ComplexArray) -> float:
            if a.size == 0:
                return 0.0
            den = np.maximum(np.linalg.norm(a, axis=0), np.linalg.norm(b, axis=0))
            return float(np.max(np.linalg.norm(a - b, axis=0) / np.maximum(den, 1e-300)))

        vx, vr = self.right_x[:, act], self.right_r[:, act]
        lx, lr = self.left_x[:, act], self.left_r[:, act]
        out["right_map"] = rel(vr, D[:, None] * vx)
        out["left_map"] = rel(lx, D[:, None] * lr)
        S = self.active
        out["left_map_inverse"] = rel(lr[S], lx[S] / D[S][:, None])
        dx, dr = self.drive_x[act], self.drive_r[act]
        den = max(float(np.abs(dx).max(initial=0.0)), 1e-300)
        out["drive"] = float(np.abs(dx - dr).max(initial=0.0) / den)
        return out

    def silent_statement(self) -> str:
        """Which relations fail, where, and why (empty string when no unit is silent)."""
        k = int(np.sum(self.silent_mode))
        if k == 0:
            return ""
        return (
            f"{k} silent unit(s) (gain <= {self.gain_tol:g}) give exact eigenvalues -1/tau_j. "
            "For those modes v_r = D v_x and l_x = D l_r do not hold (D e_j = 0), and the drive "
            "is 0 in activity coordinates while l_x^T b_x is not; on the active block the "
            "similarity A_r = D A_x D^-1 holds, and l_r = D^-1 l_x holds on active units only."
        )

    def to_xarray(self) -> Any:
        """Dataset over ``unit``, ``mode`` and ``input`` (complex parts as real/imag pairs)."""
        import xarray as xr

        k = self.b_x.shape[1]
        data: dict[str, Any] = {
            "x_star": ("unit", self.x_star),
            "gain": ("unit", self.gain),
            "tau": ("unit", self.tau),
            "active": ("unit", self.active),
            "eigenvalue_real": ("mode", self.eigenvalues.real),
            "eigenvalue_imag": ("mode", self.eigenvalues.imag),
            "silent_mode": ("mode", self.silent_mode),
            "b_x": (("unit", "input"), self.b_x),
            "b_r": (("unit", "input"), self.b_r),
        }
        for name in ("right_x", "left_x", "right_r", "left_r"):
            a = getattr(self, name)
            data[f"{name}_real"] = (("unit", "mode"), a.real)
            data[f"{name}_imag"] = (("unit", "mode"), a.imag)
        for name in ("drive_x", "drive_r"):
            a = getattr(self, name)
            data[f"{name}_real"] = (("mode", "input"), a.real)
            data[f"{name}_imag"] = (("mode", "input"), a.imag)
        ds = xr.Dataset(
            data,
            coords={"unit": np.arange(self.n), "mode": np.arange(self.n), "input": np.arange(k)},
        )
        ds.attrs.update({f"relation_{a}": b for a, b in self.relations().items()})
        ds.attrs["gain_tol"] = self.gain_tol
        ds.attrs["references"] = ["pagan2023"]
        return ds


def linearize(
    field: RateField, x_star: Any, *, inputs: Any = None, gain_tol: float = 0.0
) -> Linearization:
    r"""Both linearizations of ``field`` at ``x_star`` (module docstring for the relations).

    Parameters
    ----------
    field : RateField
        The vector field (:func:`~randrnn.fixedpoints.rate_field`, or ``FixedPoints.field``).
    x_star : (n,) array_like
        The state, normally a fixed point.
    inputs : (n, k) array_like, optional
        Input vectors ``B`` (default: none, ``k = 0``).
    gain_tol : float
        Gains :math:`\phi'(x^*_j) \le` ``gain_tol`` are treated as exactly 0 (silent units;
        default 0: only exact zeros, e.g. ReLU units below threshold). A positive value
        treats saturated units as silent, an approximation whose error is at most
        ``gain_tol * max|W|`` per entry of :math:`A_x`.

    Returns
    -------
    Linearization

    Examples
    --------
    >>> from randrnn import GaussianEnsemble, RateNetwork, realize
    >>> from randrnn.fixedpoints import rate_field
    >>> real = realize(RateNetwork(ensemble=GaussianEnsemble(n=50, g=0.8), phi="relu",
    ...                            sigma_b=1.0))
    >>> f = rate_field(real)
    >>> lin = linearize(f, np.linspace(-1, 1, 50), inputs=np.ones((50, 1)))
    >>> int(lin.silent_mode.sum()), max(lin.relations()[k] for k in ("right_map", "drive")) < 1e-10
    (25, True)
    """
    if not isinstance(field, RateField):
        raise TypeError(
            "`field` must be a randrnn.fixedpoints.RateField (rate_field(realization)); got "
            f"{type(field).__name__}."
        )
    n = field.n
    x = check_array("x_star", x_star, shape=(n,))
    check_nonnegative("gain_tol", gain_tol)
    if inputs is None:
        B = np.zeros((n, 0))
    elif np.ndim(inputs) == 1:
        B = check_array("inputs", inputs, shape=(n,))[:, None]
    else:
        B = check_array("inputs", inputs, shape=(n, None))
    tau = np.asarray(field.tau, dtype=float)
    W = field.J
    gain = np.asarray(field.phi.derivative(x), dtype=float).copy()
    if np.any(gain < 0):
        raise ValueError(
            "`x_star` gives negative gains phi'(x*) for some units; the activity coordinates "
            "r = phi(x) need a monotone phi."
        )
    gain[gain <= gain_tol] = 0.0
    S = gain > 0
    Z = ~S
    s_idx, z_idx = np.flatnonzero(S), np.flatnonzero(Z)
    m, nz = s_idx.size, z_idx.size
    A_SS = (W[np.ix_(s_idx, s_idx)] * gain[s_idx][None, :] - np.eye(m)) / tau[s_idx, None]
    A_ZS = W[np.ix_(z_idx, s_idx)] * gain[s_idx][None, :] / tau[z_idx, None]
    if m:
        lam, V = np.linalg.eig(A_SS)
        o = np.argsort(-lam.real, kind="stable")
        lam, V = lam[o], V[:, o]
        V = V / np.linalg.norm(V, axis=0)
        L = np.linalg.inv(V)  # rows: left eigenvectors, L V = I
    else:
        lam = np.zeros(0, dtype=complex)
        V = L = np.zeros((0, 0), dtype=complex)
    mu = -1.0 / tau[z_idx]  # silent eigenvalues
    evals = np.concatenate([lam, mu.astype(complex)])
    silent = np.concatenate([np.zeros(m, dtype=bool), np.ones(nz, dtype=bool)])
    right_x = np.zeros((n, n), dtype=complex)
    left_x = np.zeros((n, n), dtype=complex)
    right_r = np.zeros((n, n), dtype=complex)
    left_r = np.zeros((n, n), dtype=complex)
    dS = gain[s_idx]
    with np.errstate(divide="raise", invalid="raise"):
        # active modes
        if m:
            den = lam[None, :] + 1.0 / tau[z_idx][:, None]  # (nz, m)
            right_x[np.ix_(s_idx, np.arange(m))] = V
            right_x[np.ix_(z_idx, np.arange(m))] = (A_ZS @ V) / den
            left_x[np.ix_(s_idx, np.arange(m))] = L.T
            right_r[np.ix_(s_idx, np.arange(m))] = dS[:, None] * V
            lS = L.T / dS[:, None]
            Ar_SZ = (dS / tau[s_idx])[:, None] * W[np.ix_(s_idx, z_idx)]  # (m, nz)
            left_r[np.ix_(s_idx, np.arange(m))] = lS
            left_r[np.ix_(z_idx, np.arange(m))] = (Ar_SZ.T @ lS) / den
        # silent modes: columns m.. in the order of z_idx
        if nz:
            cols = m + np.arange(nz)
            right_x[z_idx, cols] = 1.0
            left_r[z_idx, cols] = 1.0
            if m:
                inv = 1.0 / (mu[None, :] - lam[:, None])  # (m, nz)
                # l_S = (mu - A_SS)^{-T} A_ZS^T e_j = L^T diag(inv) V^T A_ZS^T e_j
                left_x[np.ix_(s_idx, cols)] = L.T @ (inv * (V.T @ A_ZS.T))
                # v_S = D_S V diag(inv) L T_S^{-1} W[S, j]
                rhs = W[np.ix_(s_idx, z_idx)] / tau[s_idx, None]
                right_r[np.ix_(s_idx, cols)] = dS[:, None] * (V @ (inv * (L @ rhs)))
            left_x[z_idx, cols] = 1.0
            right_r[z_idx, cols] = 1.0
    b_x = B / tau[:, None]
    b_r = gain[:, None] * b_x
    return Linearization(
        x_star=x,
        gain=gain,
        tau=tau,
        active=S,
        eigenvalues=evals,
        silent_mode=silent,
        right_x=right_x,
        left_x=left_x,
        right_r=right_r,
        left_r=left_r,
        b_x=b_x,
        b_r=b_r,
        drive_x=left_x.T @ b_x,
        drive_r=left_r.T @ b_r,
        W=W,
        gain_tol=float(gain_tol),
    )
