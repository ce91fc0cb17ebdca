r"""Fixed points and slow points of one network realization.

:func:`find_fixed_points` starts batched Newton searches
(:func:`randrnn._fixedpoint.batched_newton`) from many states, sends the starts where Newton
stalls to a minimisation of :math:`q(x) = |F(x)|^2/2`
(:func:`randrnn._fixedpoint.batched_levenberg_marquardt`), merges duplicates with a tolerance
derived from each point's Newton correction, and classifies every distinct point by the
spectrum of its Jacobian (docs/theory.md section 6.1; the slow-point definition is that of
Sussillo & Barak, Neural Comput. 25, 626 (2013)).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from randrnn import _fixedpoint as _solvers
from randrnn._typing import ComplexArray, FloatArray
from randrnn._validation import (
    check_array,
    check_nonnegative_int,
    check_positive,
    check_positive_int,
)
from randrnn.fixedpoints.field import RateField, rate_field
from randrnn.networks import Realization
from randrnn.nonlinearities import AbstractNonlinearity

#: labels of :attr:`FixedPoints.stability`
STABILITY = _solvers.STABILITY


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class FixedPoints:
    r"""Distinct fixed points (and slow points) of one realization.

    Points are ordered: fixed points before slow points, then by the real part of the
    rightmost Jacobian eigenvalue (most stable first).

    Parameters
    ----------
    points : (K, n) ndarray
        The states :math:`x^*`.
    residual : (K,) ndarray
        :math:`|F(x^*)|_2`.
    error : (K,) ndarray
        Estimated distance to the exact root, :math:`|J(x^*)^{-1}F(x^*)|` (Newton correction).
    q : (K,) ndarray
        :math:`q = |F|^2/2` (the slow-point speed).
    kind : (K,) ndarray of str
        ``fixed`` (``|F| <= tol``) or ``slow`` (a local minimum of ``q`` with ``q > 0``).
    method : (K,) ndarray of str
        ``newton`` or ``minimization`` (Newton stalled from that start), for the same start.
    origin : (K,) ndarray of str
        Origin of the start that represents the point, the one that reached it with the
        lowest residual (``random``, ``simulation``, ``given``).
    count : (K,) ndarray of int
        Number of starts that reached it.
    eigenvalues : (K, n) complex ndarray or None
        Jacobian eigenvalues, by decreasing real part.
    stability : (K,) ndarray of str or None
        ``stable`` / ``marginal`` / ``unstable`` (real parts against ``stability_tol``).
    n_unstable : (K,) ndarray of int or None
        Number of eigenvalues with real part above ``stability_tol``.
    field : RateField
        The vector field the points belong to (couplings, drive, timescales, ``phi``).
    u : (k,) ndarray or None
        The constant input.
    starts : dict
        Counts: ``total``, per origin, ``converged_newton``, ``minimization``,
        ``slow`` (ended at a slow point), ``failed`` (neither).
    tol : float
        Residual tolerance of a fixed point.
    stability_tol : float
        Real-part tolerance of the stability classification.
    provenance : dict
        Seeds and network config of the realization.
    """

    points: FloatArray
    residual: FloatArray
    error: FloatArray
    q: FloatArray
    kind: Any
    method: Any
    origin: Any
    count: Any
    eigenvalues: ComplexArray | None
    stability: Any
    n_unstable: Any
    field: RateField
    u: FloatArray | None
    starts: dict[str, int]
    tol: float
    stability_tol: float
    provenance: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.points.shape[0])

    @property
    def max_real(self) -> FloatArray:
        """Real part of the rightmost Jacobian eigenvalue of each point."""
        if self.eigenvalues is None:
            raise ValueError("eigenvalues were not computed (find_fixed_points(eigen=False)).")
        return self.eigenvalues[:, 0].real if len(self) else np.zeros(0)

    def jacobians(self) -> FloatArray:
        """The exact Jacobians at the points, shape (K, n, n)."""
        return self.field.jacobian(self.points)

    def select(self, mask: Any) -> FixedPoints:
        """The subset of points where ``mask`` is true (a boolean mask or indices)."""
        idx = np.arange(len(self))[mask]

        def pick(a: Any) -> Any:
            return None if a is None else a[idx]

        return dataclasses.replace(
            self,
            points=self.points[idx],
            residual=self.residual[idx],
            error=self.error[idx],
            q=self.q[idx],
            kind=self.kind[idx],
            method=self.method[idx],
            origin=self.origin[idx],
            count=self.count[idx],
            eigenvalues=pick(self.eigenvalues),
            stability=pick(self.stability),
            n_unstable=pick(self.n_unstable),
        )

    def summary(self) -> dict[str, Any]:
        """Counts and worst residuals (JSON-able)."""
        fixed = self.kind == "fixed"
        out: dict[str, Any] = {
            "n_points": len(self),
            "n_fixed": int(np.sum(fixed)),
            "n_slow": int(np.sum(~fixed)),
            "max_residual_fixed": float(self.residual[fixed].max()) if fixed.any() else None,
            "min_q_slow": float(self.q[~fixed].min()) if (~fixed).any() else None,
            "starts": dict(self.starts),
            "tol": self.tol,
        }
        if self.stability is not None:
            for lab in STABILITY:
                out[f"n_{lab}"] = int(np.sum(self.stability[fixed] == lab))
        return out

    def to_xarray(self) -> Any:
        """Dataset with dimensions ``point``, ``unit`` and ``mode``.

        ``kind``, ``method``, ``origin`` and ``stability`` are integer codes whose labels are
        in the variables' ``flag_meanings`` attribute (CF convention).
        """
        import xarray as xr

        K, n = self.points.shape
        data: dict[str, Any] = {
            "x_star": (("point", "unit"), self.points),
            "residual": ("point", self.residual),
            "error": ("point", self.error),
            "q": ("point", self.q),
            "count": ("point", self.count),
        }
        labels: dict[str, tuple[Any, tuple[str, ...]]] = {
            "kind": (self.kind, ("fixed", "slow")),
            "method": (self.method, ("newton", "minimization")),
            "origin": (self.origin, tuple(dict.fromkeys(str(o) for o in self.origin))),
        }
        if self.eigenvalues is not None:
            data["eigenvalue_real"] = (("point", "mode"), self.eigenvalues.real)
            data["eigenvalue_imag"] = (("point", "mode"), self.eigenvalues.imag)
            data["n_unstable"] = ("point", self.n_unstable)
            labels["stability"] = (self.stability, STABILITY)
        flags = {}
        for name, (values, meanings) in labels.items():
            # integer codes with CF flag attributes: portable, unlike Zarr string arrays
            codes = np.array([meanings.index(str(v)) for v in values], dtype=np.int8)
            data[name] = ("point", codes)
            flags[name] = {
                "flag_values": list(range(len(meanings))),
                "flag_meanings": " ".join(meanings),
            }
        ds = xr.Dataset(
            data, coords={"point": np.arange(K), "unit": np.arange(n), "mode": np.arange(n)}
        )
        for name, attrs in flags.items():
            ds[name].attrs.update(attrs)
        ds.attrs.update(
            {
                "tol": self.tol,
                "stability_tol": self.stability_tol,
                "u": [] if self.u is None else [float(v) for v in self.u],
                **{f"starts_{k}": int(v) for k, v in self.starts.items()},
            }
        )
        return ds


def _spectral_norm(J: FloatArray, iters: int = 50) -> float:
    """Largest singular value of ``J`` by power iteration on ``J^T J`` (a few percent is enough)."""
    v: Any = np.random.default_rng(0).standard_normal(J.shape[1])
    s = 0.0
    for _ in range(iters):
        w = J.T @ (J @ v)
        nw = float(np.linalg.norm(w))
        if nw == 0.0:
            return 0.0
        s, v = float(np.sqrt(nw)), w / nw
    return float(s)


def random_starts(
    realization: Realization, n_starts: int, *, scale: float | None = None, seed: int = 0
) -> FloatArray:
    r"""Gaussian random states ``x = s z``, ``z ~ N(0, I)``, each with its own scale ``s``.

    By default ``s`` is log-uniform between two sizes a fixed point can have per unit: the rms
    row norm of ``J``, :math:`\sqrt{\langle\sum_j J_{ij}^2\rangle}` (the recurrent input of
    incoherent unit rates: random couplings), and the largest singular value of ``J`` times
    :math:`\sup|\phi|` (rates aligned with the leading input direction: low-rank structure,
    where the first size is :math:`O(N^{-1/2})` and every start would sit near the origin). For
    an unbounded ``phi`` the upper size is the singular value alone. A given ``scale`` is used
    for every start.
    """
    check_nonnegative_int("n_starts", n_starts)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(7,)))
    n = realization.n
    if scale is not None:
        check_positive("scale", scale)
        return float(scale) * rng.standard_normal((n_starts, n))
    J = realization.J
    lo = float(np.sqrt(np.mean(np.sum(J**2, axis=1))))
    hi = _spectral_norm(J)
    phi = realization.network.phi
    assert isinstance(phi, AbstractNonlinearity)
    if phi.is_bounded:
        hi *= phi.sup_abs()
    hi = max(hi, lo)
    if hi == 0.0:
        lo = hi = 1.0
    s = np.exp(rng.uniform(np.log(lo), np.log(hi), size=n_starts))
    return s[:, None] * rng.standard_normal((n_starts, n))


def find_fixed_points(
    realization: Realization,
    *,
    starts: Any = None,
    n_random: int = 200,
    origin: Any = None,
    inputs: Any = None,
    u: Any = None,
    tol: float = 1e-11,
    max_iter: int = 100,
    minimize: bool = True,
    slow_q_max: float | None = None,
    eigen: bool = True,
    stability_tol: float = 1e-8,
    seed: int = 0,
    chunk: int = 32,
) -> FixedPoints:
    r"""Find the fixed points (and slow points) of a realization from many starts.

    Parameters
    ----------
    realization : Realization
        The network (any ensemble, static input ``b``, per-unit timescales, any ``phi``).
    starts : (S, n) array_like, optional
        Initial states of your own (e.g. states sampled from a simulation).
    n_random : int
        Number of additional random starts (:func:`random_starts`, from ``seed``).
    origin : str or sequence of str, optional
        Label of the given starts (default ``given``; e.g. ``simulation``).
    inputs, u : array_like, optional
        Constant input ``B u`` added to ``b`` (:func:`rate_field`).
    tol : float
        A fixed point has :math:`|F(x^*)|_2 \le` ``tol``.
    max_iter : int
        Newton iterations per start.
    minimize : bool
        Minimise :math:`q = |F|^2/2` from the starts where Newton stalls (finds slow points
        and fixed points Newton could not reach).
    slow_q_max : float, optional
        Keep slow points with ``q <= slow_q_max`` only (default: every local minimum of ``q``).
    eigen : bool
        Compute the Jacobian spectrum and stability of every distinct point.
    stability_tol : float
        A point is ``stable`` if every eigenvalue has real part ``< -stability_tol``,
        ``unstable`` if one exceeds ``stability_tol``, else ``marginal``.
    seed : int
        Seed of the random starts.
    chunk : int
        Jacobians formed at once (memory ``8 chunk n^2`` bytes).

    Returns
    -------
    FixedPoints

    Notes
    -----
    The noise amplitude ``sigma`` of the network does not enter: these are the fixed points
    and slow points of the noise-free field (the skeleton the noise moves around); it is
    recorded with the network config in ``provenance``.

    Two points are the same when their distance is at most ``r_i + r_k``, with
    :math:`r_i = 10\,|J(x_i)^{-1}F(x_i)| + \epsilon\sqrt n\,(1 + |x_i|_\infty)`: the Newton
    correction bounds a fixed point's distance to its exact root to first order, and
    :math:`\epsilon = 10^{-9}` is the rounding floor of float64 arithmetic on states of that
    size. A slow point is a minimum of :math:`q`, flat to second order, that the minimisation
    locates only to about the square root of its gradient tolerance (``1e-9``): there
    :math:`\epsilon = \sqrt{10^{-9}}` and ``r_i`` uses the last minimisation step.

    Examples
    --------
    >>> from randrnn import GaussianEnsemble, RateNetwork, realize
    >>> real = realize(RateNetwork(ensemble=GaussianEnsemble(n=40, g=0.5), sigma_b=0.5))
    >>> fp = find_fixed_points(real, n_random=20)
    >>> len(fp), fp.stability[0], bool(fp.residual[0] < 1e-10)
    (1, 'stable', True)
    """
    f = rate_field(realization, inputs=inputs, u=u)
    n = f.n
    check_nonnegative_int("n_random", n_random)
    check_positive("tol", tol)
    check_positive_int("max_iter", max_iter)
    check_positive_int("chunk", chunk)
    if starts is None:
        given = np.zeros((0, n))
    else:
        given = check_array(
            "starts", np.atleast_2d(np.asarray(starts, dtype=float)), shape=(None, n)
        )
    if isinstance(origin, str) or origin is None:
        g_origin = np.full(given.shape[0], origin or "given", dtype=object)
    else:
        g_origin = np.asarray(origin, dtype=object)
        if g_origin.shape != (given.shape[0],):
            raise ValueError(
                f"`origin` must be one label or one per start ({given.shape[0]}); got "
                f"{g_origin.shape[0]} labels."
            )
    X0 = np.concatenate([given, random_starts(realization, n_random, seed=seed)])
    origins = np.concatenate([g_origin, np.full(n_random, "random", dtype=object)])
    if X0.shape[0] == 0:
        raise ValueError("no starts: pass `starts` or n_random >= 1.")
    max_step = np.inf
    if f.phi.is_bounded:
        # every fixed point lies in the box |x_i| <= |drive_i| + sup|phi| sum_j |J_ij|: a
        # longer Newton step only leaves it
        box = np.abs(f.drive) + f.phi.sup_abs() * np.abs(f.J).sum(axis=1)
        max_step = 2.0 * float(np.linalg.norm(box)) + 1.0
    roots = _solvers.find_roots(
        f,
        f.jacobian,
        X0,
        tol=tol,
        max_iter=max_iter,
        max_step=max_step,
        chunk=chunk,
        jvp=f.jvp,
        minimize=minimize,
        slow_q_max=slow_q_max,
        eigen=eigen,
        stability_tol=stability_tol,
    )
    starts_info = {
        "total": roots.starts["total"],
        **{str(o): int(np.sum(origins == o)) for o in dict.fromkeys(origins)},
        **{k: v for k, v in roots.starts.items() if k != "total"},
    }
    return FixedPoints(
        points=roots.points,
        residual=roots.residual,
        error=roots.error,
        q=0.5 * roots.residual**2,
        kind=roots.kind,
        method=roots.method,
        origin=origins[roots.index],
        count=roots.count,
        eigenvalues=roots.eigenvalues,
        stability=roots.stability,
        n_unstable=roots.n_unstable,
        field=f,
        u=None if u is None else np.atleast_1d(np.asarray(u, dtype=float)),
        starts=starts_info,
        tol=float(tol),
        stability_tol=float(stability_tol),
        provenance={
            "seeds": realization.seeds.to_dict(),
            "network": realization.network.to_config(),
            "custom_couplings": realization.custom,
            "start_seed": int(seed),
        },
    )
