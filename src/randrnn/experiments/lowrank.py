r"""Low-rank networks: latent mean-field theory against full networks (docs/theory.md 7.1).

For each example (the mixtures of Beiran, Dubreuil, Valente, Mastrogiuseppe & Ostojic,
arXiv:2007.02062, parameters from the authors' figure scripts, ``paper_example``):

1. the theory: fixed points and their eigenvalues of the mean-field latent dynamics
   (:class:`randrnn.lowrank.MixtureLatentDynamics`), the limit cycle (period, radius) or the
   ring of fixed points where the example has one;
2. full networks: ``realizations`` networks of ``n`` units sampled from the mixture
   (:class:`randrnn.ensembles.LowRankEnsemble`):

   - their fixed points and the ``R`` non-trivial eigenvalues of their Jacobians, from the
     exact finite-``n`` latent field (:class:`randrnn.lowrank.NetworkLatentDynamics`; these are
     fixed points of the full network, the other ``n - R`` eigenvalues being ``-1``), matched
     to the theory's points;
   - simulations of the full network (:func:`randrnn.simulate.simulate_trajectories`, trials
     started at latent states on the span of the loadings), projected on the latent space:
     where the trials end (stable points, the ring radius) and the period and radius of the
     oscillation (Poincare crossings);

3. the agreement: for each quantity, the network mean +- standard error over realizations
   against the theory, ``z = (mean - theory) / SE`` (the finite-size spread measured).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from randrnn import io
from randrnn._validation import check_positive_int
from randrnn.config import ApproximationSettings, LowRankConfig, config_from_mapping
from randrnn.ensembles.lowrank import PAPER_EXAMPLES, GaussianMixture, LowRankEnsemble
from randrnn.experiments._common import StageClock, strict_json
from randrnn.lowrank import (
    FlowFit,
    FlowTarget,
    LatentFixedPoints,
    LimitCycle,
    MixtureLatentDynamics,
    NetworkCycles,
    NetworkLatentDynamics,
    effective_circuit,
    find_latent_fixed_points,
    find_limit_cycle,
    fit_flow,
    integrate_latent,
    network_limit_cycles,
    orbit_statistics,
    poincare_crossings,
    poincare_section,
    stuart_landau,
    van_der_pol,
)
from randrnn.networks import RateNetwork, Seeds, realize
from randrnn.nonlinearities import nonlinearity
from randrnn.simulate import simulate_trajectories

#: names of the paper's examples, in the paper's order
EXAMPLES = PAPER_EXAMPLES


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class LowRankExample:
    """One example: a mixture and what it should show.

    Attributes
    ----------
    name, description : str
        Identifier and one line on what it shows.
    rank : int
        R.
    mixture : GaussianMixture
        Loadings law ``(m, n)``.
    feature : {"fixed_points", "cycle", "ring"}
        What is compared besides the fixed points.
    starts : (B, R) ndarray
        Latent initial states of the simulated trials.
    t_max : float
        Simulated time.
    source : str
        Where the parameters come from.
    """

    name: str
    description: str
    rank: int
    mixture: GaussianMixture
    feature: str
    starts: Any
    t_max: float
    source: str


def _mixture(*, weights: Any, means: Any, covariances: Any) -> GaussianMixture:
    return GaussianMixture(
        weights=np.asarray(weights, dtype=float),
        means=np.asarray(means, dtype=float),
        covariances=np.asarray(covariances, dtype=float),
    )


def _one_component_rank2(overlap: Any, var_n: float = 4.0) -> GaussianMixture:
    S = np.asarray(overlap, dtype=float)
    C = np.zeros((4, 4))
    C[:2, :2] = np.eye(2)
    C[2:, :2] = S
    C[:2, 2:] = S.T
    C[2:, 2:] = var_n * np.eye(2)
    return _mixture(weights=[1.0], means=[np.zeros(4)], covariances=[C])


def _circle(n: int, radius: float, phase: float = 0.1) -> Any:
    a = phase + 2 * np.pi * np.arange(n) / n
    return radius * np.stack([np.cos(a), np.sin(a)], axis=1)


def paper_example(name: str) -> LowRankExample:
    r"""The mixture of one of the paper's examples (:data:`EXAMPLES`).

    Parameters are those of the authors' scripts (``emebeiran/low-rank2020``; figure in
    ``source``): unit-variance ``m``, ``n = \sigma_{mn} m + 0.3\,\xi`` for rank one; ``var n = 4``
    and the overlap matrix :math:`\Sigma^{nm}` for rank two; for two components
    ``var m = (1.98, 0.02)``, ``cov(m, n) = (-10, 4.5)``; the hexagon has six components with
    ``m``-means of radius 1.4, ``n``-means of radius ``3/1.4`` and covariance ``0.04 I``.
    """
    if name in ("rank1_monostable", "rank1_bistable"):
        s = 0.5 if name == "rank1_monostable" else 1.2
        mix = _mixture(
            weights=[1.0], means=[[0.0, 0.0]], covariances=[[[1.0, s], [s, s * s + 0.09]]]
        )
        what = "one stable state" if s < 1 else "bistability (overlap > 1)"
        return LowRankExample(
            name=name,
            description=f"rank one, one component, overlap {s}: {what}",
            rank=1,
            mixture=mix,
            feature="fixed_points",
            starts=np.linspace(-1.5, 1.5, 8)[:, None],
            t_max=60.0,
            source="Fig. 2 (C_Fig2.py)",
        )
    if name == "rank2_axes":
        return LowRankExample(
            name=name,
            description="rank two, diagonal overlap diag(1.2, 1.6): fixed points on the axes",
            rank=2,
            mixture=_one_component_rank2(np.diag([1.2, 1.6])),
            feature="fixed_points",
            starts=_circle(8, 0.8),
            t_max=80.0,
            source="Fig. 3A-D (C_Fig3_ABCD.py)",
        )
    if name == "rank2_cycle":
        return LowRankExample(
            name=name,
            description="rank two, rotational overlap [[1.6, -0.8], [0.8, 1.6]]: limit cycle",
            rank=2,
            mixture=_one_component_rank2([[1.6, -0.8], [0.8, 1.6]]),
            feature="cycle",
            starts=_circle(4, 0.5),
            t_max=150.0,
            source="Fig. 3E-H (C_Fig3_EFGH.py)",
        )
    if name == "rank2_ring":
        return LowRankExample(
            name=name,
            description="rank two, isotropic overlap 1.6 I: ring of fixed points",
            rank=2,
            mixture=_one_component_rank2(1.6 * np.eye(2)),
            feature="ring",
            starts=_circle(8, 0.4),
            t_max=60.0,
            source="Fig. 3I-L (C_Fig3_IJKL.py)",
        )
    if name == "rank1_two_components":
        var_m = (1.98, 0.02)
        cov = (-10.0, 4.5)
        covs = [[[vm, c], [c, c * c / vm + 0.09]] for vm, c in zip(var_m, cov, strict=True)]
        return LowRankExample(
            name=name,
            description="rank one, two components: three stable states",
            rank=1,
            mixture=_mixture(weights=[0.5, 0.5], means=[[0.0, 0.0], [0.0, 0.0]], covariances=covs),
            feature="fixed_points",
            starts=np.linspace(-10.0, 10.0, 8)[:, None],
            t_max=40.0,
            source="Fig. 4 (C_Fig4.py)",
        )
    if name == "rank2_hexagon":
        P = 6
        ang = 2 * np.pi * np.arange(P) / P
        rm, rn = 1.4, 3.0 / 1.4
        means = np.zeros((P, 4))
        means[:, 0], means[:, 1] = rm * np.cos(ang), rm * np.sin(ang)
        means[:, 2], means[:, 3] = rn * np.cos(ang), rn * np.sin(ang)
        return LowRankExample(
            name=name,
            description="rank two, six components on a hexagon: one stable state per vertex",
            rank=2,
            mixture=_mixture(
                weights=np.full(P, 1.0 / P),
                means=means,
                covariances=np.tile(0.04 * np.eye(4), (P, 1, 1)),
            ),
            feature="fixed_points",
            starts=_circle(12, 0.6, phase=0.05),
            t_max=80.0,
            source="Fig. 5 (C_Fig5.py)",
        )
    raise ValueError(f"`example` must be one of {list(EXAMPLES)}; got {name!r}.")


# ---------------------------------------------------------------------------------------------
# one example


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ExampleComparison:
    """Theory vs full networks for one example and one nonlinearity.

    Attributes
    ----------
    example : LowRankExample
    phi : str
    n : int
        Units per network.
    theory : LatentFixedPoints
        Fixed points of the mean-field latent dynamics (for a ring: a sample of them).
    cycle : LimitCycle or None
        The theory's limit cycle.
    ring_radius : float
        Radius of the theory's ring of fixed points (NaN without a ring).
    network_points : (S, K, R) ndarray
        Per realization, the network fixed point matched to each theory point (NaN: none).
    network_eigenvalues : (S, K, R) complex ndarray
        Their non-trivial Jacobian eigenvalues.
    end_states : (S, B, R) ndarray
        Where the simulated trials are at ``t_max`` (projected).
    network_cycle : (S, 3) ndarray
        Per realization: period from the network's exact latent dynamics, period and radius
        from the simulated full network (NaN without a cycle).
    network_ring : (S, 2) ndarray
        Mean radius of the network's fixed points off the origin, and of the simulated trials
        (started at equally spaced angles) at ``t = 20``, after the radial relaxation and before
        the drift along the ring (NaN without a ring).
    trajectories : dict
        ``t``, ``theory`` (T, B, R) and ``network`` (T, B, R; realization 0) for figures.
    table : list of dict
        One row per compared quantity: ``quantity``, ``theory``, ``mean``, ``se``, ``std``,
        ``z``, ``agree``.
    seeds : list of dict
        The seeds of each realization.
    """

    example: LowRankExample
    phi: str
    n: int
    theory: LatentFixedPoints
    cycle: LimitCycle | None
    ring_radius: float
    network_points: Any
    network_eigenvalues: Any
    end_states: Any
    network_cycle: Any
    network_ring: Any
    trajectories: dict[str, Any]
    table: list[dict[str, Any]]
    seeds: list[dict[str, int]]

    @property
    def label(self) -> str:
        """``<example>/<phi>``."""
        return f"{self.example.name}/{self.phi}"

    @property
    def figure_name(self) -> str:
        """File name (no suffix) of its figure: ``flow_`` (rank two) or ``field_`` (rank one)
        followed by ``<example>_<phi>``; empty for other ranks (no figure)."""
        kind = {1: "field", 2: "flow"}.get(self.example.rank)
        return "" if kind is None else f"{kind}_{self.example.name}_{self.phi}"

    @property
    def all_agree(self) -> bool:
        """Whether every compared quantity agrees (``|z| <= 3``)."""
        return all(bool(r["agree"]) for r in self.table)

    def to_xarray(self) -> Any:
        """Dataset of the theory points, the matched network values and the trajectories."""
        import xarray as xr

        th = self.theory
        ds = xr.Dataset(
            {
                "theory_kappa": (("point", "latent"), th.points),
                "theory_eig_real": (("point", "mode"), np.real(th.eigenvalues)),
                "theory_eig_imag": (("point", "mode"), np.imag(th.eigenvalues)),
                "theory_residual": ("point", th.residual),
                "network_kappa": (("realization", "point", "latent"), self.network_points),
                "network_eig_real": (
                    ("realization", "point", "mode"),
                    np.real(self.network_eigenvalues),
                ),
                "network_eig_imag": (
                    ("realization", "point", "mode"),
                    np.imag(self.network_eigenvalues),
                ),
                "end_states": (("realization", "trial", "latent"), self.end_states),
                "network_cycle": (("realization", "cycle_quantity"), self.network_cycle),
                "network_ring_radius": (("realization", "ring_quantity"), self.network_ring),
                "traj_theory": (("time", "trial", "latent"), self.trajectories["theory"]),
                "traj_network": (("time", "trial", "latent"), self.trajectories["network"]),
            },
            coords={
                "time": self.trajectories["t"],
                "cycle_quantity": ["period_latent", "period_simulated", "radius_simulated"],
                "ring_quantity": ["fixed_points", "simulated"],
            },
            attrs={
                "example": self.example.name,
                "phi": self.phi,
                "n": self.n,
                "feature": self.example.feature,
                "source": self.example.source,
                "ring_radius": self.ring_radius,
            },
        )
        stab = np.array(
            [("stable", "marginal", "unstable").index(str(s)) for s in th.stability], dtype=np.int8
        )
        ds["theory_stability"] = ("point", stab)
        ds["theory_stability"].attrs.update(
            flag_values=[0, 1, 2], flag_meanings="stable marginal unstable"
        )
        if self.cycle is not None:
            ds["theory_orbit"] = (("orbit_sample", "latent"), self.cycle.orbit)
            ds.attrs["theory_period"] = self.cycle.period
            ds.attrs["theory_cycle_radius"] = self.cycle.radius
        if len(th):
            # the effective circuit at each theory point: gains and J_eff per component
            dyn = MixtureLatentDynamics(
                mixture=self.example.mixture, rank=self.example.rank, phi=nonlinearity(self.phi)
            )
            circ = effective_circuit(dyn, th.points)
            ds["gain"] = (("point", "component"), circ.gain)
            ds["j_eff"] = (("point", "component", "latent", "latent_in"), circ.j_eff)
            ds["drive"] = (("point", "component", "latent"), circ.drive)
        return ds


def _row(quantity: str, theory: float, values: Any) -> dict[str, Any]:
    """One compared quantity: network mean, SE and std over realizations, ``z`` and verdict.

    A quantity every realization reproduces exactly (a symmetry: the origin of an odd ``phi``
    with zero-mean loadings) has ``exact = True`` and ``z = 0``; it is reported but not counted
    in the agreement statistics.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    k = v.size
    mean = float(v.mean()) if k else math.nan
    std = float(v.std(ddof=1)) if k > 1 else math.nan
    se = std / math.sqrt(k) if k > 1 else math.nan
    exact = bool(k > 1 and np.all(np.abs(v - theory) <= 1e-12 * (1.0 + abs(theory))))
    if exact:
        z = 0.0
    elif k > 1 and se > 0:
        z = (mean - theory) / se
    else:
        z = math.nan
    return {
        "quantity": quantity,
        "theory": float(theory),
        "mean": mean,
        "se": se,
        "std": std,
        "n_realizations": int(k),
        "z": z,
        "exact": exact,
        "agree": bool(np.isfinite(z) and abs(z) <= 3.0),
    }


#: time at which the radius of trials started at equally spaced angles measures a ring
_RING_TIME = 20.0


def _degenerate_groups(lam: Any, tol: float = 1e-7) -> list[list[int]]:
    """Indices of equal eigenvalues (within ``tol``), in order."""
    groups: list[list[int]] = []
    for i, x in enumerate(lam):
        for g in groups:
            if abs(lam[g[0]] - x) <= tol * (1.0 + abs(x)):
                g.append(i)
                break
        else:
            groups.append([i])
    return groups


def _ring_radius(fp: LatentFixedPoints) -> float:
    marg = (fp.kind == "fixed") & (fp.stability == "marginal")
    r = np.linalg.norm(fp.points[marg], axis=1)
    return float(np.median(r)) if r.size else math.nan


def _match(theory: LatentFixedPoints, net: LatentFixedPoints, radius: float) -> tuple[Any, Any]:
    """Nearest network fixed point of the same stability to each theory point (else NaN)."""
    K, R = theory.points.shape
    pts = np.full((K, R), np.nan)
    eig = np.full((K, R), np.nan + 0j)
    fx = net.kind == "fixed"
    for k in range(K):
        cand = np.flatnonzero(fx & (net.stability == theory.stability[k]))
        if cand.size == 0:
            continue
        d = np.linalg.norm(net.points[cand] - theory.points[k], axis=1)
        j = int(np.argmin(d))
        if d[j] <= radius:
            pts[k] = net.points[cand[j]]
            eig[k] = net.eigenvalues[cand[j]]
    return pts, eig


def _simulated_cycle(t: Any, kappa: Any, t_skip: float) -> tuple[float, float]:
    """Period (mean return time) and radius of a projected full-network trajectory."""
    keep = t >= t_skip
    tt, kk = t[keep], kappa[keep]
    center, normal = poincare_section(kk)
    cross = poincare_crossings(tt, kk, center, normal)
    if cross.size < 3:
        return math.nan, math.nan
    period = float(np.mean(np.diff(cross)))
    sel = (tt >= cross[0]) & (tt < cross[-1])
    _, radius, _ = orbit_statistics(kk[sel])
    return period, radius


def compare_example(
    example: LowRankExample | str,
    *,
    phi: str = "tanh",
    n: int = 4000,
    realizations: int = 5,
    seed: int = 0,
    dt: float = 0.01,
    record_every: int = 10,
) -> ExampleComparison:
    """Theory vs ``realizations`` full networks of ``n`` units for one example (module notes).

    Realization ``s`` uses ``Seeds(coupling=seed + s)``; the trials start at
    ``example.starts`` on the span of the loadings and run without noise.
    """
    ex = paper_example(example) if isinstance(example, str) else example
    check_positive_int("realizations", realizations)
    R = ex.rank
    dyn = MixtureLatentDynamics(mixture=ex.mixture, rank=R, phi=nonlinearity(phi))
    theory = find_latent_fixed_points(dyn, n_random=200, seed=seed)
    ring = math.nan
    if ex.feature == "ring":
        ring = _ring_radius(theory)
        # the ring is compared through its radius; the isolated points one by one
        theory = theory.select((theory.kind == "fixed") & (theory.stability != "marginal"))
    else:
        theory = theory.fixed
    cycle = find_limit_cycle(dyn, ex.starts[0]) if ex.feature == "cycle" else None
    starts = np.asarray(ex.starts, dtype=float)
    scale = max(1.0, float(np.abs(theory.points).max(initial=0.0)))
    S, K, B = realizations, len(theory), starts.shape[0]
    net_pts = np.full((S, K, R), np.nan)
    net_eig = np.full((S, K, R), np.nan + 0j)
    ends = np.full((S, B, R), np.nan)
    net_cycle = np.full((S, 3), np.nan)
    net_ring = np.full((S, 2), np.nan)
    seeds: list[dict[str, int]] = []
    net_traj: Any = None
    th_traj: Any = None
    t_grid: Any = None
    for s in range(S):
        sd = Seeds(coupling=seed + s, initial=seed + s, noise=seed + s)
        seeds.append(sd.to_dict())
        ens = LowRankEnsemble(n=n, rank=R, mixture=ex.mixture)
        real = realize(RateNetwork(ensemble=ens, phi=phi, sigma=0.0), sd)
        ndyn = NetworkLatentDynamics.from_realization(real)
        nfp = find_latent_fixed_points(ndyn, starts=theory.points, n_random=100, seed=seed + s)
        net_pts[s], net_eig[s] = _match(theory, nfp, 0.25 * scale)
        M = ndyn.M
        tr = simulate_trajectories(
            real,
            starts @ M.T,
            ex.t_max,
            dt=dt,
            record_every=record_every,
            readout=np.linalg.pinv(M).T,
            progress=False,
        )
        ends[s] = tr.readout[-1]
        if s == 0:
            # the theory on the simulation's own sampling times, from the same starts
            t_grid, net_traj = tr.t, tr.readout
            th_traj = integrate_latent(dyn, starts, t_grid).kappa
        if ex.feature == "cycle":
            try:
                net_cycle[s, 0] = find_limit_cycle(ndyn, starts[0]).period
            except RuntimeError:
                pass
            net_cycle[s, 1:] = _simulated_cycle(tr.t, tr.readout[:, 0, :], 0.4 * ex.t_max)
        if ex.feature == "ring":
            on_ring = (nfp.kind == "fixed") & (np.linalg.norm(nfp.points, axis=1) > 0.5 * ring)
            net_ring[s, 0] = float(np.linalg.norm(nfp.points[on_ring], axis=1).mean())
            # after the radial relaxation, before the slow drift along the (finite-n, distorted)
            # ring gathers the trials at its stable points: the angle-averaged radius
            i_r = int(np.searchsorted(tr.t, min(_RING_TIME, ex.t_max)))
            net_ring[s, 1] = float(np.linalg.norm(tr.readout[i_r], axis=1).mean())
    table: list[dict[str, Any]] = []
    for k in range(K):
        tag = f"point{k}[{theory.stability[k]}]"
        for r in range(R):
            table.append(_row(f"{tag}.kappa{r}", theory.points[k, r], net_pts[:, k, r]))
        lam = theory.eigenvalues[k]
        for grp in _degenerate_groups(lam):
            # a degenerate eigenvalue splits at finite n: compare the group's mean (the trace
            # of its block, unbiased), not its sorted members (order statistics are biased)
            name = f"{tag}.eig{'+'.join(str(g) for g in grp)}"
            th = complex(np.mean(lam[grp]))
            nv = net_eig[:, k, grp].mean(axis=1)
            table.append(_row(f"{name}.re", th.real, nv.real))
            if abs(th.imag) > 1e-9:
                table.append(_row(f"{name}.im", th.imag, nv.imag))
    if cycle is not None:
        table.append(_row("cycle.period(latent)", cycle.period, net_cycle[:, 0]))
        table.append(_row("cycle.period(simulated)", cycle.period, net_cycle[:, 1]))
        table.append(_row("cycle.radius(simulated)", cycle.radius, net_cycle[:, 2]))
    if ex.feature == "ring":
        table.append(_row("ring.radius(fixed points)", ring, net_ring[:, 0]))
        table.append(_row("ring.radius(simulated)", ring, net_ring[:, 1]))
    return ExampleComparison(
        example=ex,
        phi=str(phi),
        n=int(n),
        theory=theory,
        cycle=cycle,
        ring_radius=ring,
        network_points=net_pts,
        network_eigenvalues=net_eig,
        end_states=ends,
        network_cycle=net_cycle,
        network_ring=net_ring,
        trajectories={
            "t": t_grid,
            "theory": th_traj,
            "network": net_traj,
        },
        table=table,
        seeds=seeds,
    )


def custom_example(ensemble: LowRankEnsemble, phi: str = "tanh") -> LowRankExample:
    """A user's mixture as an example: the feature (a cycle when no fixed point is stable and
    the rank is at least two) and the trials' starts follow from its theory."""
    if not isinstance(ensemble, LowRankEnsemble):
        raise TypeError(f"`ensemble` must be a LowRankEnsemble; got {type(ensemble).__name__}.")
    R = ensemble.rank
    dyn = MixtureLatentDynamics.from_ensemble(ensemble, phi)
    fp = find_latent_fixed_points(dyn, n_random=100).fixed
    scale = max(float(np.abs(fp.points).max(initial=0.0)), 0.5 * dyn.scale(), 0.1)
    feature = "fixed_points"
    if R >= 2 and not np.any(fp.stability == "stable"):
        feature = "cycle"
    if R == 1:
        starts = np.linspace(-1.2 * scale, 1.2 * scale, 8)[:, None]
    elif R == 2:
        starts = _circle(8, 0.5 * scale)
    else:
        starts = 0.5 * scale * np.random.default_rng(0).standard_normal((8, R)) / math.sqrt(R)
    return LowRankExample(
        name="custom",
        description=f"the [ensemble] mixture: rank {R}, {ensemble.mixture.n_components} "
        "component(s)",
        rank=R,
        mixture=ensemble.mixture,
        feature=feature,
        starts=starts,
        t_max=100.0,
        source="config",
    )


# ---------------------------------------------------------------------------------------------
# the command


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class LowRankResult:
    """Everything one ``randrnn lowrank`` computed.

    Attributes
    ----------
    config : LowRankConfig
        The config.
    comparisons : tuple of ExampleComparison
        One per example and nonlinearity.
    approximation : Any
        The flow-approximation study (None when disabled).
    seconds : dict
        Wall time per stage.
    """

    config: LowRankConfig
    comparisons: tuple[ExampleComparison, ...]
    approximation: Any
    seconds: dict[str, float]

    def table(self) -> list[dict[str, Any]]:
        """Every compared quantity of every example, labelled ``example/phi``."""
        return [
            {"example": c.example.name, "phi": c.phi, **row}
            for c in self.comparisons
            for row in c.table
        ]

    def summary(self) -> dict[str, Any]:
        """The ``summary.json`` content."""
        rows = self.table()
        counted = [r for r in rows if not r["exact"]]
        z = np.array([abs(r["z"]) for r in counted if np.isfinite(r["z"])])
        out: dict[str, Any] = {
            "n": self.config.lowrank.n,
            "realizations": self.config.lowrank.realizations,
            "examples": [
                {
                    "example": c.example.name,
                    "phi": c.phi,
                    "description": c.example.description,
                    "source": c.example.source,
                    "feature": c.example.feature,
                    "theory": c.theory.summary(),
                    "theory_points": c.theory.points.tolist(),
                    "cycle": None if c.cycle is None else c.cycle.to_dict(),
                    "ring_radius": c.ring_radius,
                    "all_agree": c.all_agree,
                    "table": c.table,
                    "seeds": c.seeds,
                }
                for c in self.comparisons
            ],
            "agreement": {
                "quantities": len(counted),
                "agree": int(sum(bool(r["agree"]) for r in counted)),
                "exact_by_symmetry": len(rows) - len(counted),
                "max_abs_z": float(z.max(initial=0.0)),
                "mean_z2": float(np.mean(z**2)) if z.size else math.nan,
            },
            "seconds": dict(self.seconds),
        }
        if self.approximation is not None:
            out["approximation"] = self.approximation.summary()
        return strict_json(out)

    def to_xarray(self) -> Any:
        """The agreement table (one row per compared quantity), with provenance."""
        import xarray as xr

        rows = self.table()
        cols = ("theory", "mean", "se", "std", "z")
        ds = xr.Dataset(
            {c: ("row", np.array([r[c] for r in rows], dtype=float)) for c in cols},
            coords={
                "example": ("row", np.array([r["example"] for r in rows], dtype=object)),
                "phi": ("row", np.array([r["phi"] for r in rows], dtype=object)),
                "quantity": ("row", np.array([r["quantity"] for r in rows], dtype=object)),
            },
        )
        ds["agree"] = ("row", np.array([r["agree"] for r in rows], dtype=bool))
        ds.attrs.update(io.provenance())
        ds.attrs["config"] = self.config.to_dict()
        ds.attrs["references"] = ["beiran2021", "valente2022"]
        return ds

    def groups(self) -> dict[str, Any]:
        """Zarr groups: one per example and nonlinearity, and the approximation study."""
        out: dict[str, Any] = {f"{c.example.name}_{c.phi}": c.to_xarray() for c in self.comparisons}
        if self.approximation is not None:
            out.update(self.approximation.groups())
        return out


def lowrank_config(config: LowRankConfig | Mapping[str, Any] | None = None) -> LowRankConfig:
    """The config: given, or tables merged onto the preset of ``randrnn lowrank``."""
    if isinstance(config, LowRankConfig):
        return config
    cfg = config_from_mapping("lowrank", {} if config is None else config)
    assert isinstance(cfg, LowRankConfig)
    return cfg


def run_lowrank(
    config: LowRankConfig | Mapping[str, Any] | None = None,
    progress: Callable[[str], Any] | None = None,
) -> LowRankResult:
    """Theory vs full networks for every example and nonlinearity, and the approximation study.

    Parameters
    ----------
    config : LowRankConfig or mapping, optional
        The config, or tables merged onto the preset (:func:`lowrank_config`).
    progress : callable, optional
        Called with the name of each stage as it starts.

    Returns
    -------
    LowRankResult
    """
    cfg = lowrank_config(config)
    lr = cfg.lowrank
    clock = StageClock()
    comps: list[ExampleComparison] = []
    jobs: list[tuple[LowRankExample | str, str]] = [
        (name, phi) for name in lr.examples for phi in lr.phis
    ]
    if cfg.ensemble is not None:
        jobs += [(custom_example(cfg.ensemble, phi), phi) for phi in lr.phis]
    for ex, phi in jobs:
        label = f"{ex if isinstance(ex, str) else ex.name}/{phi}"
        if progress is not None:
            progress(label)
        with clock(label):
            comps.append(
                compare_example(
                    ex,
                    phi=phi,
                    n=lr.n,
                    realizations=lr.realizations,
                    seed=lr.seed,
                    dt=lr.dt,
                    record_every=lr.record_every,
                )
            )
    approx = None
    if cfg.approximation.enabled:
        if progress is not None:
            progress("approximation")
        with clock("approximation"):
            approx = run_approximation(cfg.approximation)
    return LowRankResult(
        config=cfg, comparisons=tuple(comps), approximation=approx, seconds=clock.total()
    )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ApproximationResult:
    """Fitting a mixture to a 2-D flow: the field error vs P and the sampled networks' cycle.

    Attributes
    ----------
    settings : ApproximationSettings
        The ``[approximation]`` table.
    target : FlowTarget
        The flow (its limit cycle: ``fits[-1].target_cycle``).
    fits : tuple of FlowFit
        One per number of components, in ``settings.components`` order.
    network : NetworkCycles
        Limit cycles of ``settings.realizations`` networks of ``settings.n`` units sampled
        from the fit with the most components.
    """

    settings: ApproximationSettings
    target: FlowTarget
    fits: tuple[FlowFit, ...]
    network: NetworkCycles

    @property
    def best(self) -> FlowFit:
        """The fit with the most components (the one the networks are sampled from)."""
        return self.fits[int(np.argmax([f.n_components for f in self.fits]))]

    def rows(self) -> list[dict[str, Any]]:
        """The field error vs P table (and the networks' period at the largest P)."""
        tgt = self.best.target_cycle
        out = []
        for f in self.fits:
            mc = f.mixture_cycle
            row: dict[str, Any] = {
                "components": f.n_components,
                "field_error": f.field_error,
                "heldout_error": f.heldout_error,
                "noise_per_unit": f.noise,
                "predicted_network_error": f.predicted_network_error(self.settings.n),
                "mixture_period": None if mc is None else mc.period,
                "mixture_period_error": f.period_error,
            }
            if f is self.best:
                pm, pse = self.network.period_mean_se
                row["network_period"] = pm
                row["network_period_se"] = pse
                row["network_period_error"] = math.nan if tgt is None else pm / tgt.period - 1.0
                row["network_failed"] = self.network.failed
            out.append(row)
        return out

    def summary(self) -> dict[str, Any]:
        """JSON-able: target, table, networks, the 5 % criterion on the period."""
        tgt = self.best.target_cycle
        pm, _ = self.network.period_mean_se
        return strict_json(
            {
                "target": self.target.to_dict(),
                "target_cycle": None if tgt is None else tgt.to_dict(),
                "table": self.rows(),
                "network": self.network.to_dict(),
                "network_period_within_5pct": bool(
                    tgt is not None and math.isfinite(pm) and abs(pm / tgt.period - 1) <= 0.05
                ),
            }
        )

    def groups(self) -> dict[str, Any]:
        """Zarr groups: the table over P, each fit, the networks' cycles."""
        import xarray as xr

        rows = self.rows()
        P = [r["components"] for r in rows]
        cols = ("field_error", "heldout_error", "noise_per_unit", "mixture_period")
        table = xr.Dataset(
            {
                c: ("components", np.array([np.nan if r[c] is None else r[c] for r in rows]))
                for c in cols
            },
            coords={"components": P},
            attrs={"n": self.settings.n, "target": self.target.name},
        )
        out: dict[str, Any] = {"approximation": table}
        for f in self.fits:
            out[f"approximation_fit_P{f.n_components}"] = f.to_xarray()
        out["approximation_networks"] = self.network.to_xarray()
        return out


def run_approximation(settings: ApproximationSettings) -> ApproximationResult:
    r"""Fit mixtures with each number of components to the target flow, then sample networks.

    Each fit draws its components' m- and input statistics from ``settings.seed`` and fits the
    n-statistics with the penalty of the sampled network's finite-size noise at
    ``settings.n`` units, weighting the relative field error (:func:`randrnn.lowrank.fit_flow`,
    docs/theory.md 7.3). Networks of ``settings.n`` units are sampled from the fit with the
    most components (seeds ``seed .. seed + realizations - 1``) and their limit cycles found on
    their exact latent dynamics, which a full network started on the span of its loadings
    follows (section 7.1).
    """
    if settings.target == "van_der_pol":
        target = van_der_pol(settings.mu)
    else:
        target = stuart_landau()
    fits = tuple(
        fit_flow(
            target,
            n_components=P,
            n_sample=settings.n,
            seed=settings.seed,
            weight="relative",
        )
        for P in settings.components
    )
    best = fits[int(np.argmax([f.n_components for f in fits]))]
    seeds = list(range(settings.seed, settings.seed + settings.realizations))
    net = network_limit_cycles(best, settings.n, seeds)
    return ApproximationResult(settings=settings, target=target, fits=fits, network=net)
