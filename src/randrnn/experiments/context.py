r"""Context dependence of the two linearizations: activations vs activities.

Pagan, Valente, Ostojic & Brody (arXiv:2309.04030; docs/theory.md section 6.3): a context input
moves the operating point :math:`x^*`, hence the gains :math:`D = \mathrm{diag}\,\phi'(x^*)`.
In activity coordinates :math:`r = \phi(x)` the effective input vectors :math:`b_r = D b_x`
change with context ("input modulation"); in activation coordinates :math:`b_x = T^{-1}B` is
fixed and context acts only through the selection (left) vectors :math:`l_x = D\,l_r`. The
drive of each mode, :math:`l^T b`, is the same in both coordinates; across contexts it changes,
and that change is the context selection.

The network (:func:`context_network`) is a low-rank tanh network with a weak random part, in
the spirit of context-dependent integration (Mante, Sussillo, Shenoy & Newsome, Nature 503,
78 (2013); the population-gating mechanism of Dubreuil, Valente, Beiran, Mastrogiuseppe &
Ostojic, Nat. Neurosci. 25, 783 (2022)); couplings :math:`J = M N^T/n + g\chi` with
Gaussian-mixture loadings (docs/theory.md section 7.1; Beiran et al., arXiv:2007.02062). Two
populations of equal size; sensory input ``k`` overlaps the input-selection loading ``n`` in
population ``k`` only; context input ``c`` is a constant push on the *other* population, which
saturates it (gain near 0), so that in context ``c`` only sensory input ``c`` reaches the slow
mode.

- :class:`ContextSettings` -- the parameters (validated).
- :func:`context_mixture` -- the Gaussian mixture of the loadings.
- :func:`context_network` -- the realization, the sensory vectors ``B`` and the context vectors
  ``C``.
- :func:`run_context` -- operating point and both linearizations per context, and the numbers
  that compare them -> :class:`ContextResult`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from randrnn._typing import ComplexArray, FloatArray
from randrnn.config import DESIGNS, ContextSettings
from randrnn.ensembles import GaussianEnsemble
from randrnn.ensembles.lowrank import GaussianMixture, LowRankEnsemble
from randrnn.errors import ConvergenceError
from randrnn.experiments._common import strict_json
from randrnn.fixedpoints import FixedPoints, Linearization, find_fixed_points, linearize, rate_field
from randrnn.networks import RateNetwork, Realization, Seeds, realize

#: labels of the two contexts, the two sensory inputs and the two populations
CONTEXTS = ("context 1", "context 2")
INPUTS = ("sensory 1", "sensory 2")
POPULATIONS = ("population 1", "population 2")


def context_mixture(settings: ContextSettings) -> GaussianMixture:
    r"""The two-component Gaussian mixture of the loadings of the context network.

    Loading vector of a unit: :math:`(m_1..m_R, n_1..n_R, I_{s1}, I_{s2}, I_{c1}, I_{c2})`.
    In population ``p`` (weight 1/2):

    - :math:`m_r \sim \mathcal N(0, 1)`, sensory loadings :math:`I_{sk} \sim \mathcal N(0, 1)`,
      all independent;
    - the selection loading of the mode that lives on ``p`` (``n`` for ``rank=1``, ``n_p`` for
      ``rank=2``) is :math:`\sigma m + \rho I_{sp} + \xi`, :math:`\xi \sim \mathcal N(0, 1)`,
      with :math:`\sigma =` ``overlap``, :math:`\rho =` ``input_overlap``; for ``rank=2`` the
      other mode's ``n`` is an independent :math:`\mathcal N(0, 1)` on ``p``;
    - context loadings are constant: :math:`I_{c,c} = 1` on the population that context ``c``
      gates off (population 2 for context 1, population 1 for context 2), 0 elsewhere.

    Parameters
    ----------
    settings : ContextSettings

    Returns
    -------
    GaussianMixture
        Dimension ``2 * rank + 4``.
    """
    if not isinstance(settings, ContextSettings):
        raise TypeError(f"`settings` must be a ContextSettings; got {type(settings).__name__}.")
    R = settings.rank
    sig, rho = settings.overlap, settings.input_overlap
    D = 2 * R + 4
    s_idx = 2 * R  # first sensory column
    c_idx = 2 * R + 2  # first context column
    means = np.zeros((2, D))
    covs = np.zeros((2, D, D))
    for p in range(2):
        # context c gates population 1 - c off: context index 1 - p has mean 1 on population p
        means[p, c_idx + (1 - p)] = 1.0
        c = np.zeros((D, D))
        for r in range(R):
            c[r, r] = 1.0  # m_r
            c[R + r, R + r] = 1.0  # n_r (free part)
        c[s_idx, s_idx] = c[s_idx + 1, s_idx + 1] = 1.0
        mode = 0 if R == 1 else p  # the mode that lives on population p
        m_i, n_i = mode, R + mode
        c[n_i, n_i] = sig**2 + rho**2 + 1.0
        c[m_i, n_i] = c[n_i, m_i] = sig
        c[n_i, s_idx + p] = c[s_idx + p, n_i] = rho
        covs[p] = c
    return GaussianMixture(weights=np.array([0.5, 0.5]), means=means, covariances=covs)


def context_network(settings: ContextSettings) -> tuple[Realization, FloatArray, FloatArray]:
    r"""Draw the context network: realization, sensory vectors ``B`` and context vectors ``C``.

    Parameters
    ----------
    settings : ContextSettings

    Returns
    -------
    realization : Realization
        tanh network with couplings :math:`J = M N^T / n + g\chi` (:func:`context_mixture`;
        ``realization.coupling.component`` is the population of each unit), unit time
        constants, no static input.
    B : (n, 2) ndarray
        Sensory input vectors (columns).
    C : (n, 2) ndarray
        Context input vectors (columns); context ``c`` is the input ``C[:, c] *
        context_strength``.

    Examples
    --------
    >>> real, B, C = context_network(ContextSettings(n=40, g=0.0))
    >>> B.shape, C.shape, C.sum(axis=0).tolist()
    ((40, 2), (40, 2), [20.0, 20.0])
    """
    mix = context_mixture(settings)
    n, R = settings.n, settings.rank
    chi = GaussianEnsemble(n=n, g=settings.g) if settings.g > 0 else None
    ens = LowRankEnsemble(n=n, rank=R, mixture=mix, n_inputs=4, chi=chi)
    real = realize(RateNetwork(ensemble=ens, phi="tanh"), Seeds(coupling=settings.seed))
    assert real.coupling is not None
    assert real.coupling.loadings is not None
    L = np.asarray(real.coupling.loadings)
    B = np.array(L[:, 2 * R : 2 * R + 2])
    C = np.array(L[:, 2 * R + 2 : 2 * R + 4])
    return real, B, C


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ContextResult:
    r"""Operating points, both linearizations and their comparison across two contexts.

    Arrays have a leading ``context`` axis (2). Modes are the ``n_modes`` slowest (largest
    real part first). Phase convention: in context 1 each mode's right vector :math:`v_x` has
    its largest-modulus entry real and positive; in context 2 the phase makes
    :math:`(v_x^{c1})^H v_x^{c2}` real and positive (the same mode, followed across
    contexts); the left vectors carry the inverse phase, so :math:`l^T v = 1` and every drive
    is defined without a sign ambiguity.

    Parameters
    ----------
    settings : ContextSettings
        The parameters.
    population : (n,) int ndarray
        Population (0 or 1) of each unit.
    u_context : (2, 2) ndarray
        Context input amplitudes of each context.
    x_star : (2, n) ndarray
        Operating point per context.
    residual : (2,) ndarray
        :math:`|F(x^*)|_2` there.
    kind, stability : tuple of str
        ``fixed`` / ``slow`` and ``stable`` / ``marginal`` / ``unstable`` per context.
    n_points, n_stable : (2,) int ndarray
        Distinct points and stable fixed points the search found per context.
    fixed_points : tuple of FixedPoints
        The searches (per context).
    linearizations : tuple of Linearization
        Both linearizations at each operating point, with sensory inputs ``B``.
    slow_modes : (2, n_modes) int ndarray
        Column of each reported mode in the linearization of its context.
    eigenvalues : (2, n_modes) complex ndarray
        Their eigenvalues.
    left_x, left_r, right_x : (2, n, n_modes) complex ndarray
        Their selection vectors in both coordinates and right vectors in activations
        (phase convention above).
    drive_x, drive_r : (2, n_modes, 2) complex ndarray
        Drive :math:`l^T b` of each mode by each sensory input.
    mean_gain : (2, 2) ndarray
        Mean gain :math:`\phi'(x^*)` per context (row) and population (column).
    cos_b_x, cos_b_r : (2,) ndarray
        Cosine across contexts of :math:`b_x` and :math:`b_r` of each sensory input.
    cos_left_x, cos_left_r : (n_modes,) ndarray
        Cosine across contexts of the selection vectors (mode ``k`` of context 1 vs mode
        ``k`` of context 2), :math:`\mathrm{Re}(a^H b)/(|a||b|)`.
    drive_agreement : (2,) ndarray
        :math:`\max|l_x^T b_x - l_r^T b_r| / \max|l_x^T b_x|` over the reported modes and
        inputs, per context.
    relations : tuple of dict
        :meth:`Linearization.relations` per context.
    seconds : float
        Wall time.
    """

    settings: ContextSettings
    population: Any
    u_context: FloatArray
    x_star: FloatArray
    residual: FloatArray
    kind: tuple[str, str]
    stability: tuple[str, str]
    n_points: Any
    n_stable: Any
    fixed_points: tuple[FixedPoints, FixedPoints]
    linearizations: tuple[Linearization, Linearization]
    slow_modes: Any
    eigenvalues: ComplexArray
    left_x: ComplexArray
    left_r: ComplexArray
    right_x: ComplexArray
    drive_x: ComplexArray
    drive_r: ComplexArray
    mean_gain: FloatArray
    cos_b_x: FloatArray
    cos_b_r: FloatArray
    cos_left_x: FloatArray
    cos_left_r: FloatArray
    drive_agreement: FloatArray
    relations: tuple[dict[str, float], dict[str, float]]
    seconds: float

    #: bibliography keys (``docs/references.bib``)
    references: ClassVar[tuple[str, ...]] = ("pagan2023",)

    @property
    def n(self) -> int:
        """Number of units."""
        return int(self.x_star.shape[1])

    @property
    def abs_drive(self) -> FloatArray:
        """:math:`|l_x^T b_x|` of the reported modes, shape (context, mode, input)."""
        return np.abs(self.drive_x)

    @property
    def selected_input(self) -> Any:
        """The sensory input (0 or 1) that drives the slowest mode most, per context."""
        return np.argmax(self.abs_drive[:, 0, :], axis=1)

    @property
    def selectivity(self) -> FloatArray:
        r"""Per context ``c``: :math:`|{\rm drive}_c| / |{\rm drive}_{\bar c}|` of the slowest
        mode (above 1 when the design works)."""
        a = self.abs_drive[:, 0, :]
        with np.errstate(divide="ignore"):
            return np.array([a[0, 0] / a[0, 1], a[1, 1] / a[1, 0]])

    @property
    def design_works(self) -> bool:
        """Whether sensory input ``c`` drives the slowest mode most in context ``c``."""
        return bool(np.array_equal(self.selected_input, [0, 1]))

    def max_relation(self, context: int) -> float:
        """Largest residual of :meth:`Linearization.relations` in ``context`` (0 or 1)."""
        return max(float(v) for k, v in self.relations[context].items() if k != "n_silent")

    def summary(self) -> dict[str, Any]:
        """The numbers of the experiment (strict JSON: no NaN or inf; undefined -> null).

        Keyed by context (``context 1``, ``context 2``), sensory input (``sensory 1``,
        ``sensory 2``) and mode (``mode 0`` is the slowest), so that every number is a scalar
        leaf of nested dicts. A drive is ``{"real": ..., "imag": ...}`` (the phase convention
        of the class makes it real for a real eigenvalue, up to rounding).
        """

        def cplx(z: Any) -> dict[str, float]:
            z = complex(z)
            return {"real": z.real, "imag": z.imag}

        def per_input(a: Any, f: Any = float) -> dict[str, Any]:
            return {INPUTS[k]: f(a[k]) for k in range(2)}

        K = self.eigenvalues.shape[1]
        ctx: dict[str, Any] = {}
        for c in range(2):
            modes = {
                f"mode {k}": {
                    "eigenvalue": cplx(self.eigenvalues[c, k]),
                    "abs_drive": per_input(self.abs_drive[c, k]),
                    "drive_x": per_input(self.drive_x[c, k], cplx),
                    "drive_r": per_input(self.drive_r[c, k], cplx),
                }
                for k in range(K)
            }
            ctx[CONTEXTS[c]] = {
                "u_context": _per_context(self.u_context[c]),
                "operating_point": {
                    "kind": self.kind[c],
                    "stability": self.stability[c],
                    "residual": float(self.residual[c]),
                    "n_points": int(self.n_points[c]),
                    "n_stable": int(self.n_stable[c]),
                },
                "mean_gain": dict(zip(POPULATIONS, map(float, self.mean_gain[c]), strict=True)),
                "modes": modes,
                "selected_input": INPUTS[int(self.selected_input[c])],
                "selectivity": float(self.selectivity[c]),
                "drive_agreement": float(self.drive_agreement[c]),
                "max_relation": self.max_relation(c),
                "n_silent": int(self.relations[c]["n_silent"]),
            }
        out = {
            "settings": self.settings.to_dict(),
            "design": DESIGNS[self.settings.rank],
            "contexts": ctx,
            "cosine_across_contexts": {
                "b_x": per_input(self.cos_b_x),
                "b_r": per_input(self.cos_b_r),
                "left_x": {f"mode {k}": float(self.cos_left_x[k]) for k in range(K)},
                "left_r": {f"mode {k}": float(self.cos_left_r[k]) for k in range(K)},
            },
            "design_works": self.design_works,
            "seconds": float(self.seconds),
            "references": list(self.references),
        }
        return strict_json(out)

    def to_xarray(self) -> Any:
        """Dataset over ``context``, ``unit``, ``input``, ``mode`` and ``population``.

        Complex quantities are stored as ``*_real`` / ``*_imag`` pairs; the summary numbers
        that are not arrays go to ``attrs``.
        """
        import xarray as xr

        L0, L1 = self.linearizations
        data: dict[str, Any] = {
            "population_of_unit": ("unit", np.asarray(self.population)),
            "u_context": (("context", "context_input"), self.u_context),
            "x_star": (("context", "unit"), self.x_star),
            "gain": (("context", "unit"), np.stack([L0.gain, L1.gain])),
            "residual": ("context", self.residual),
            "kind": ("context", np.asarray(self.kind, dtype=str)),
            "stability": ("context", np.asarray(self.stability, dtype=str)),
            "n_points": ("context", np.asarray(self.n_points)),
            "n_stable": ("context", np.asarray(self.n_stable)),
            "b_x": (("context", "unit", "input"), np.stack([L0.b_x, L1.b_x])),
            "b_r": (("context", "unit", "input"), np.stack([L0.b_r, L1.b_r])),
            "slow_mode_index": (("context", "mode"), np.asarray(self.slow_modes)),
            "mean_gain": (("context", "population"), self.mean_gain),
            "cos_b_x": ("input", self.cos_b_x),
            "cos_b_r": ("input", self.cos_b_r),
            "cos_left_x": ("mode", self.cos_left_x),
            "cos_left_r": ("mode", self.cos_left_r),
            "drive_agreement": ("context", self.drive_agreement),
            "selectivity": ("context", self.selectivity),
            "selected_input": ("context", np.asarray(self.selected_input)),
        }
        for name, dims in (
            ("eigenvalue", ("context", "mode")),
            ("left_x", ("context", "unit", "mode")),
            ("left_r", ("context", "unit", "mode")),
            ("right_x", ("context", "unit", "mode")),
            ("drive_x", ("context", "mode", "input")),
            ("drive_r", ("context", "mode", "input")),
        ):
            a = self.eigenvalues if name == "eigenvalue" else getattr(self, name)
            data[f"{name}_real"] = (dims, a.real)
            data[f"{name}_imag"] = (dims, a.imag)
        ds = xr.Dataset(
            data,
            coords={
                "context": list(CONTEXTS),
                "context_input": list(CONTEXTS),
                "unit": np.arange(self.n),
                "input": list(INPUTS),
                "mode": np.arange(self.eigenvalues.shape[1]),
                "population": list(POPULATIONS),
            },
        )
        ds.attrs.update({f"settings_{k}": v for k, v in self.settings.to_dict().items()})
        ds.attrs["design"] = DESIGNS[self.settings.rank]
        ds.attrs["design_works"] = int(self.design_works)
        for c in range(2):
            ds.attrs[f"max_relation_context_{c + 1}"] = self.max_relation(c)
        ds.attrs["references"] = list(self.references)
        return ds


def _per_context(values: Any) -> dict[str, float]:
    """``{"context 1": values[0], "context 2": values[1]}`` as floats."""
    return {CONTEXTS[c]: float(values[c]) for c in range(2)}


def _cosine(a: Any, b: Any) -> float:
    r""":math:`\mathrm{Re}(a^H b) / (|a|\,|b|)` (NaN if either vector is zero).

    The norms come from the same inner product, :math:`\sqrt{(a^H a)(b^H b)}`, so identical
    vectors give exactly 1 (:math:`\sqrt{\mathrm{fl}(x^2)} = x` in IEEE arithmetic).
    """
    aa, bb = float(np.real(np.vdot(a, a))), float(np.real(np.vdot(b, b)))
    if aa == 0.0 or bb == 0.0:
        return math.nan
    # Cauchy-Schwarz bounds it; the clip removes rounding beyond +-1
    return float(np.clip(np.real(np.vdot(a, b)) / math.sqrt(aa * bb), -1.0, 1.0))


def _settle(real: Realization, C: FloatArray, u: FloatArray, time_: float) -> FloatArray:
    """Integrate :math:`\\dot x = F(x)` (forward Euler, dt = tau_min / 10) from ``x = C u``."""
    f = rate_field(real, inputs=C, u=u)
    x = C @ u
    dt = 0.1 * float(np.min(real.tau))
    for _ in range(math.ceil(time_ / dt)):
        x = x + dt * f(x)
    if not np.all(np.isfinite(x)):  # pragma: no cover - tanh fields are bounded
        raise ConvergenceError(
            "the settling integration left the finite range", n_iter=0, residual=math.inf, tol=0.0
        )
    return np.asarray(x)


def _operating_point(fp: FixedPoints, x_settled: FloatArray) -> int:
    """Index of the stable fixed point nearest the settled state, else of the slowest point."""
    if len(fp) == 0:
        raise ConvergenceError(
            "the fixed-point search found neither a fixed point nor a slow point; raise "
            "`n_starts` or `settle_time`",
            n_iter=0,
            residual=math.inf,
            tol=fp.tol,
        )
    stable = np.flatnonzero((fp.kind == "fixed") & (np.asarray(fp.stability) == "stable"))
    if stable.size:
        d = np.linalg.norm(fp.points[stable] - x_settled, axis=1)
        return int(stable[np.argmin(d)])
    return int(np.argmin(fp.residual))


def run_context(settings: ContextSettings) -> ContextResult:
    r"""Operating point, both linearizations and their comparison in each of two contexts.

    For each context ``c`` (context input ``context_strength`` on ``C[:, c]``, the other 0,
    sensory inputs off): integrate from :math:`x = C u_c` for ``settle_time``, search fixed
    points from there and from ``n_starts`` random states, take the stable fixed point nearest
    the settled state (else the slowest point), and linearize there with the sensory vectors as
    inputs (:func:`randrnn.fixedpoints.linearize`). Then compare across contexts: input vectors
    (:math:`b_x` fixed, :math:`b_r = D b_x` modulated), selection vectors of the slowest modes
    (:math:`l_x = D\,l_r` modulated), and the drives :math:`l^T b` (equal in both coordinates,
    switched by the context). Pagan, Valente, Ostojic & Brody, arXiv:2309.04030;
    docs/theory.md section 6.3.

    Parameters
    ----------
    settings : ContextSettings

    Returns
    -------
    ContextResult

    Raises
    ------
    randrnn.errors.ConvergenceError
        If the search finds no fixed point and no slow point in a context.

    Examples
    --------
    >>> res = run_context(ContextSettings(n=200, n_starts=0))
    >>> res.design_works, bool(res.cos_b_x.min() == 1.0), bool(res.cos_b_r.max() < 0.5)
    (True, True, True)
    """
    if not isinstance(settings, ContextSettings):
        raise TypeError(f"`settings` must be a ContextSettings; got {type(settings).__name__}.")
    t0 = time.perf_counter()
    real, B, C = context_network(settings)
    assert real.coupling is not None
    population = np.asarray(real.coupling.component)
    K = settings.n_modes
    n = settings.n
    U = settings.context_strength * np.eye(2)
    fps: list[FixedPoints] = []
    lins: list[Linearization] = []
    xs, res, kinds, stabs, npts, nstab = [], [], [], [], [], []
    for c in range(2):
        x_set = _settle(real, C, U[c], settings.settle_time)
        fp = find_fixed_points(
            real,
            starts=x_set[None, :],
            origin="simulation",
            n_random=settings.n_starts,
            inputs=C,
            u=U[c],
            seed=settings.start_seed,
        )
        i = _operating_point(fp, x_set)
        lin = linearize(fp.field, fp.points[i], inputs=B)
        fps.append(fp)
        lins.append(lin)
        xs.append(fp.points[i])
        res.append(fp.residual[i])
        kinds.append(str(fp.kind[i]))
        stabs.append(str(np.asarray(fp.stability)[i]))
        npts.append(len(fp))
        nstab.append(int(np.sum((fp.kind == "fixed") & (np.asarray(fp.stability) == "stable"))))
    slow = np.stack([np.argsort(-lin.eigenvalues.real, kind="stable")[:K] for lin in lins])
    eig = np.stack([lins[c].eigenvalues[slow[c]] for c in range(2)])
    vx = np.stack([lins[c].right_x[:, slow[c]] for c in range(2)])  # (2, n, K)
    lx = np.stack([lins[c].left_x[:, slow[c]] for c in range(2)])
    lr = np.stack([lins[c].left_r[:, slow[c]] for c in range(2)])
    # phase convention (class docstring): v -> e^{i t} v, l -> e^{-i t} l keeps l^T v = 1
    for k in range(K):
        j = int(np.argmax(np.abs(vx[0, :, k])))
        ph = [np.exp(-1j * np.angle(vx[0, j, k]))]
        ov = np.vdot(vx[0, :, k] * ph[0], vx[1, :, k])
        ph.append(np.exp(-1j * np.angle(ov)) if ov != 0 else 1.0 + 0j)
        for c in range(2):
            vx[c, :, k] *= ph[c]
            lx[c, :, k] /= ph[c]
            lr[c, :, k] /= ph[c]
    dx = np.stack([lx[c].T @ lins[c].b_x for c in range(2)])  # (2, K, 2)
    dr = np.stack([lr[c].T @ lins[c].b_r for c in range(2)])
    agree = np.array(
        [
            float(np.abs(dx[c] - dr[c]).max() / max(float(np.abs(dx[c]).max()), 1e-300))
            for c in range(2)
        ]
    )
    mean_gain = np.array(
        [[lins[c].gain[population == p].mean() for p in range(2)] for c in range(2)]
    )
    cos_bx = np.array([_cosine(lins[0].b_x[:, k], lins[1].b_x[:, k]) for k in range(2)])
    cos_br = np.array([_cosine(lins[0].b_r[:, k], lins[1].b_r[:, k]) for k in range(2)])
    cos_lx = np.array([_cosine(lx[0, :, k], lx[1, :, k]) for k in range(K)])
    cos_lr = np.array([_cosine(lr[0, :, k], lr[1, :, k]) for k in range(K)])
    assert vx.shape == (2, n, K)
    return ContextResult(
        settings=settings,
        population=population,
        u_context=U,
        x_star=np.stack(xs),
        residual=np.asarray(res, dtype=float),
        kind=(kinds[0], kinds[1]),
        stability=(stabs[0], stabs[1]),
        n_points=np.asarray(npts, dtype=int),
        n_stable=np.asarray(nstab, dtype=int),
        fixed_points=(fps[0], fps[1]),
        linearizations=(lins[0], lins[1]),
        slow_modes=slow,
        eigenvalues=eig,
        left_x=lx,
        left_r=lr,
        right_x=vx,
        drive_x=dx,
        drive_r=dr,
        mean_gain=mean_gain,
        cos_b_x=cos_bx,
        cos_b_r=cos_br,
        cos_left_x=cos_lx,
        cos_left_r=cos_lr,
        drive_agreement=agree,
        relations=(lins[0].relations(), lins[1].relations()),
        seconds=time.perf_counter() - t0,
    )
