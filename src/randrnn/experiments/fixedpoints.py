r"""``randrnn fixedpoints``: fixed points of one realization, both linearizations, and the
Jacobian spectra at the operating points against the random-matrix prediction.

- :func:`fixedpoints_config` -- a :class:`~randrnn.config.FixedPointsConfig` from tables merged
  onto the command's preset.
- :func:`run_fixedpoints` -- simulate the realization (states to start from, principal
  components for the figure), search its fixed points and slow points from random and
  simulated states (:func:`randrnn.fixedpoints.find_fixed_points`), linearize every fixed point
  in activation and activity coordinates (:func:`randrnn.fixedpoints.linearize`; eigenvectors
  kept for the most stable), predict their Jacobian spectra from the dense random-matrix
  theory with the measured gains
  (:mod:`randrnn.rmt`), and run the context-dependence and E/I operating-point studies
  (:mod:`randrnn.experiments.context`, :mod:`randrnn.experiments.operating`)
  -> :class:`FixedPointsResult`.

docs/theory.md section 6.
"""

from __future__ import annotations

import dataclasses
import tempfile
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from randrnn import io, rmt
from randrnn.config import FixedPointsConfig, config_from_mapping
from randrnn.experiments._common import StageClock, quiet_numerics, strict_json
from randrnn.fixedpoints import FixedPoints, Linearization, find_fixed_points, linearize
from randrnn.networks import Realization, jacobian, realize
from randrnn.simulate import simulate


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class StateSample:
    """States of the simulation: principal components and the sampled starts.

    Parameters
    ----------
    mean : (n,) ndarray
        Mean state.
    components : (n, k) ndarray
        Leading principal directions (columns, orthonormal).
    explained : (k,) ndarray
        Fraction of the variance along each.
    trajectories : (T, trials, k) ndarray
        The recorded trajectories projected on the components.
    starts : (S, n) ndarray
        States sampled uniformly from the recording (seeded by ``seeds.initial``).
    """

    mean: np.ndarray
    components: np.ndarray
    explained: np.ndarray
    trajectories: np.ndarray
    starts: np.ndarray

    def project(self, x: np.ndarray) -> np.ndarray:
        """Coordinates of states ``x`` (rows) on the components."""
        return (np.atleast_2d(x) - self.mean) @ self.components

    def to_xarray(self) -> Any:
        """Dataset over ``pc``, ``time`` and ``trial``."""
        import xarray as xr

        k = self.components.shape[1]
        return xr.Dataset(
            {
                "pc_mean": ("unit", self.mean),
                "pc_components": (("unit", "pc"), self.components),
                "pc_explained": ("pc", self.explained),
                "pc_trajectories": (("time", "trial", "pc"), self.trajectories),
            },
            coords={"pc": np.arange(k)},
        )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class OperatingPrediction:
    """The dense random-matrix prediction for the Jacobian at one fixed point.

    Parameters
    ----------
    point : int
        Index of the fixed point.
    edge : randrnn.rmt.SpectralEdge
        Predicted rightmost point and bulk height.
    boundary : randrnn.rmt.SupportBoundary
        Predicted support boundary.
    measured_edge : float
        Real part of the rightmost eigenvalue.
    """

    point: int
    edge: Any
    boundary: Any
    measured_edge: float

    @property
    def deviation_over_height(self) -> float:
        """(measured - predicted edge) / predicted bulk height."""
        return float((self.measured_edge - self.edge.edge) / self.edge.height)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class FixedPointsResult:
    """Everything one ``randrnn fixedpoints`` computed.

    Parameters
    ----------
    config : FixedPointsConfig
        The config.
    realization : Realization
        The network searched.
    fixed_points : FixedPoints
        Distinct fixed and slow points.
    linearizations : tuple of Linearization
        Both linearizations of the most stable fixed points (``fixedpoints.n_linearized``).
    relations : tuple of dict
        :meth:`~randrnn.fixedpoints.Linearization.relations` at every fixed point (``point``:
        its index).
    predictions : tuple of OperatingPrediction
        Random-matrix prediction for each linearized point.
    no_prediction : str or None
        Why there is no prediction (a network outside :mod:`randrnn.rmt`), or None.
    states : StateSample or None
        Simulation states (None without simulation starts).
    context : ContextResult or None
        The context-dependence study.
    operating : OperatingPointResult or None
        The E/I operating-point study.
    seconds : dict
        Wall time per stage.
    """

    config: FixedPointsConfig
    realization: Realization
    fixed_points: FixedPoints
    linearizations: tuple[Linearization, ...]
    relations: tuple[dict[str, Any], ...]
    predictions: tuple[OperatingPrediction, ...]
    no_prediction: str | None
    states: StateSample | None
    context: Any
    operating: Any
    seconds: dict[str, float]

    def summary(self) -> dict[str, Any]:
        """The ``summary.json`` content."""
        fp = self.fixed_points
        out: dict[str, Any] = {
            "n": self.realization.n,
            "fixed_points": fp.summary(),
            "points": [
                {
                    "kind": str(fp.kind[k]),
                    "residual": float(fp.residual[k]),
                    "q": float(fp.q[k]),
                    "stability": None if fp.stability is None else str(fp.stability[k]),
                    "n_unstable": None if fp.n_unstable is None else int(fp.n_unstable[k]),
                    "max_real": None if fp.eigenvalues is None else float(fp.max_real[k]),
                    "method": str(fp.method[k]),
                    "origin": str(fp.origin[k]),
                    "count": int(fp.count[k]),
                }
                for k in range(len(fp))
            ],
            "linearizations": list(self.relations),
            "rmt": [
                {
                    "point": p.point,
                    "edge_pred": p.edge.edge,
                    "height_pred": p.edge.height,
                    "edge_measured": p.measured_edge,
                    "deviation_over_height": p.deviation_over_height,
                }
                for p in self.predictions
            ],
            "rmt_not_predicted": self.no_prediction,
            "seeds": self.realization.seeds.to_dict(),
            "seconds": dict(self.seconds),
        }
        if self.context is not None:
            out["context"] = self.context.summary()
        if self.operating is not None:
            out["operating_point"] = self.operating.summary()
        return strict_json(out)

    def to_xarray(self) -> Any:
        """The fixed points, with provenance (the other parts: :meth:`groups`)."""
        ds = self.fixed_points.to_xarray()
        ds.attrs.update(io.provenance())
        ds.attrs["config"] = self.config.to_dict()
        ds.attrs["seeds"] = self.realization.seeds.to_dict()
        ds.attrs["references"] = ["pagan2023", "sussillo2013", "chotibut2025"]
        return ds

    def groups(self) -> dict[str, Any]:
        """Zarr groups beside the root: linearizations, simulation states, the two studies."""
        out: dict[str, Any] = {}
        for i, lin in enumerate(self.linearizations):
            out[f"linearization_{i}"] = lin.to_xarray()
        if self.states is not None:
            out["states"] = self.states.to_xarray()
        if self.context is not None:
            out["context"] = self.context.to_xarray()
        if self.operating is not None:
            out["operating_point"] = self.operating.to_xarray()
        return out


def fixedpoints_config(
    config: FixedPointsConfig | Mapping[str, Any] | None = None,
) -> FixedPointsConfig:
    """The config: given, or tables merged onto the preset of ``randrnn fixedpoints``."""
    if isinstance(config, FixedPointsConfig):
        return config
    cfg = config_from_mapping("fixedpoints", {} if config is None else config)
    assert isinstance(cfg, FixedPointsConfig)
    return cfg


def sample_states(
    realization: Realization, cfg: FixedPointsConfig, n_starts: int, n_components: int = 3
) -> StateSample:
    """Simulate ``realization``, record every unit, and sample starts and principal components.

    The ``[simulation]`` table is used with every unit of ``n_trials`` trials recorded and the
    covariance accumulators off.
    """
    st = dataclasses.replace(
        cfg.simulation,
        backend="numpy",  # recording trajectories is the NumPy simulator's
        record_units=tuple(range(realization.n)),
        record_trials=cfg.simulation.n_trials,
        covariance=False,
        cross_covariance=False,
        n_quadruples=0,
        max_lag=0.0,
    )
    import zarr

    with tempfile.TemporaryDirectory(prefix="randrnn-states-") as tmp:
        sim = simulate(realization, st, trajectory_store=f"{tmp}/traj.zarr")
        assert sim.trajectory_store is not None
        group: Any = zarr.open_group(sim.trajectory_store, mode="r")
        X = np.asarray(group["trajectory"]["x"][:])
    X = X.astype(float)  # (time, trial, unit)
    flat = X.reshape(-1, X.shape[-1])
    mean = flat.mean(axis=0)
    _, s, vt = np.linalg.svd(flat - mean, full_matrices=False)
    k = min(n_components, vt.shape[0])
    var = s**2
    rng = realization.seeds.generator("initial")
    pick = rng.choice(flat.shape[0], size=min(n_starts, flat.shape[0]), replace=False)
    comps = vt[:k].T
    return StateSample(
        mean=mean,
        components=comps,
        explained=var[:k] / max(float(var.sum()), 1e-300),
        trajectories=(X - mean) @ comps,
        starts=flat[pick],
    )


def _predictions(
    realization: Realization, fp: FixedPoints, indices: list[int]
) -> tuple[tuple[OperatingPrediction, ...], str | None]:
    """The dense random-matrix prediction at each fixed point, or why there is none.

    ``randrnn.rmt`` covers couplings with independent entries and monotone ``phi``; for other
    networks (a low-rank structured part, negative gains) the reason is returned instead.
    """
    out = []
    for k in indices:
        try:
            sample = jacobian(realization, fp.points[k])
            with quiet_numerics(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                edge = rmt.spectral_edge(sample.spec)
                boundary = rmt.support_boundary(sample.spec)
        except ValueError as exc:  # outside the theory: say so, predict nothing
            return (), str(exc)
        assert fp.eigenvalues is not None
        out.append(
            OperatingPrediction(
                point=k, edge=edge, boundary=boundary, measured_edge=float(fp.max_real[k])
            )
        )
    return tuple(out), None


def run_fixedpoints(
    config: FixedPointsConfig | Mapping[str, Any] | None = None,
    progress: Callable[[str], Any] | None = None,
) -> FixedPointsResult:
    """Fixed points, linearizations and operating-point spectra (module docstring).

    Parameters
    ----------
    config : FixedPointsConfig or mapping, optional
        The config, or tables merged onto the preset (:func:`fixedpoints_config`).
    progress : callable, optional
        Called with the name of each stage as it starts.

    Returns
    -------
    FixedPointsResult
    """
    cfg = fixedpoints_config(config)
    opts = cfg.fixedpoints
    clock = StageClock()

    def stage(name: str) -> Any:
        if progress is not None:
            progress(name)
        return clock(name)

    real = realize(cfg.network, cfg.seeds)
    states = None
    if opts.n_simulation_starts:
        with stage("simulation"):
            states = sample_states(real, cfg, opts.n_simulation_starts)
    with stage("search"):
        fp = find_fixed_points(
            real,
            starts=None if states is None else states.starts,
            origin="simulation",
            n_random=opts.n_random,
            tol=opts.tol,
            max_iter=opts.max_iter,
            minimize=opts.minimize,
            slow_q_max=0.5 * real.n * opts.slow_speed_max**2,
            stability_tol=opts.stability_tol,
            seed=opts.seed,
        )
    every = [k for k in range(len(fp)) if fp.kind[k] == "fixed"]
    fixed = every[: opts.n_linearized]
    inputs = real.b[:, None] if np.any(real.b) else None
    kept: list[Linearization] = []
    relations: list[dict[str, Any]] = []
    with stage("linearization"):
        # every fixed point is linearized and its relations measured; the eigenvectors are
        # kept for the most stable n_linearized (4 complex N x N arrays each)
        for k in every:
            lin = linearize(fp.field, fp.points[k], inputs=inputs, gain_tol=opts.gain_tol)
            relations.append({"point": k, **lin.relations()})
            if k in fixed:
                kept.append(lin)
    lins = tuple(kept)
    with stage("rmt"):
        preds, why = _predictions(real, fp, fixed)
    context = operating = None
    if opts.context:
        from randrnn.experiments.context import run_context

        with stage("context"):
            context = run_context(cfg.context)
    if opts.operating_point:
        from randrnn.experiments.operating import run_operating_point

        with stage("operating point"):
            operating = run_operating_point(cfg.operating)
    return FixedPointsResult(
        config=cfg,
        realization=real,
        fixed_points=fp,
        linearizations=lins,
        relations=tuple(relations),
        predictions=preds,
        no_prediction=why,
        states=states,
        context=context,
        operating=operating,
        seconds=clock.total(),
    )
