r"""Training E/I rate networks with noise on working-memory tasks (JAX + optax).

The model and its Euler--Maruyama dynamics are those of :mod:`randrnn.training.model` (Kim, Li
& Sejnowski, PNAS 116, 22811 (2019); Rungratsameetaweemana, Kim, Chotibut & Sejnowski, PNAS
122, e2316745122 (2025)); the trained networks are the objects whose Jacobians Chotibut,
Evnin & Horinouchi (arXiv:2512.12767) study: :meth:`TrainedNetwork.realization` hands one to
the rest of randrnn (docs/theory.md sections 1 and 6).

- :class:`TrainSettings` -- network size, E/I layout, time-constant bounds, training noise,
  task, optimiser, stopping and checkpointing.
- :func:`train` -- Adam on the masked MSE of a batch of fresh noisy trials per iteration,
  checkpointed and resumable bit for bit.
- :class:`TrainedNetwork` -- the effective weights, time constants and training curves.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from randrnn._typing import FloatArray
from randrnn._validation import (
    check_nonnegative,
    check_positive,
    check_positive_int,
    check_real,
)
from randrnn.errors import DivergenceError
from randrnn.networks import RateNetwork, Realization, Seeds
from randrnn.training.tasks import Task, task_from_config

CHECKPOINT = "checkpoint.npz"
#: settings that may change between an interrupted run and its resumption
_RESUMABLE = ("n_iterations", "checkpoint_every")


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainSettings:
    """Settings of :func:`train`.

    Parameters
    ----------
    n : int
        Number of units.
    fraction_inhibitory : float
        Fraction of inhibitory units, in (0, 1) (they follow the excitatory ones).
    connectivity : float
        Connection probability of the fixed mask, in (0, 1].
    gain : float
        Initial coupling gain (see :func:`randrnn.training.model.init_params`).
    tau_min, tau_max : float
        Bounds of the trainable time constants, in Euler steps (``dt = 1``); the defaults 4
        and 25 are those of Kim et al. (2019) in ms with a 1 ms step.
    noise : float
        Noise amplitude :math:`\\sigma` during training (and by default in
        :meth:`TrainedNetwork.evaluate`).
    task : str, mapping or task
        ``"dms"``, ``"delayed_sign"``, a :meth:`to_dict` mapping, or a
        :class:`~randrnn.training.DMSTask` / :class:`~randrnn.training.DelayedSignTask`.
    lr : float
        Adam learning rate.
    n_iterations : int
        Maximum number of iterations (one batch of fresh trials each).
    batch : int
        Trials per iteration.
    seed : int
        Seed of the initialisation, the trials and the noise.
    checkpoint_every : int
        Iterations between checkpoints (when ``train(..., out=...)``).
    target_accuracy : float or None
        Stop when the mean training accuracy over the last ``stop_window`` iterations reaches
        it; None trains for ``n_iterations``.
    stop_window : int
        Number of iterations averaged for the stopping rule.
    grad_clip : float or None
        Global-norm gradient clipping threshold (None: no clipping).
    """

    n: int = 200
    fraction_inhibitory: float = 0.2
    connectivity: float = 0.2
    gain: float = 1.5
    tau_min: float = 4.0
    tau_max: float = 25.0
    noise: float = 0.5
    task: Any = "dms"
    lr: float = 0.01
    n_iterations: int = 5000
    batch: int = 64
    seed: int = 0
    checkpoint_every: int = 500
    target_accuracy: float | None = 0.95
    stop_window: int = 20
    grad_clip: float | None = 1.0

    def __post_init__(self) -> None:
        check_positive_int("n", self.n)
        if self.n < 2:
            raise ValueError(f"`n` must be >= 2 (one E and one I unit); got {self.n!r}.")
        f = check_real("fraction_inhibitory", self.fraction_inhibitory)
        if not 0.0 < f < 1.0:
            raise ValueError(
                f"`fraction_inhibitory` must lie in (0, 1); got {self.fraction_inhibitory!r}. "
                "Use e.g. 0.2."
            )
        p = check_real("connectivity", self.connectivity)
        if not 0.0 < p <= 1.0:
            raise ValueError(
                f"`connectivity` must lie in (0, 1]; got {self.connectivity!r}. Use e.g. 0.2."
            )
        check_positive("gain", self.gain)
        tmin = check_positive("tau_min", self.tau_min, "Time constants are in Euler steps.")
        tmax = check_real("tau_max", self.tau_max)
        if tmax <= tmin:
            raise ValueError(
                f"`tau_max` must be > tau_min = {tmin!r}; got {self.tau_max!r}. "
                "Use e.g. tau_min=4, tau_max=25."
            )
        check_nonnegative("noise", self.noise)
        object.__setattr__(self, "task", task_from_config(self.task))
        check_positive("lr", self.lr, "Use e.g. 0.01.")
        check_positive_int("n_iterations", self.n_iterations)
        check_positive_int("batch", self.batch)
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)):
            raise TypeError(f"`seed` must be an integer; got {self.seed!r}.")
        if self.seed < 0:
            raise ValueError(f"`seed` must be >= 0; got {self.seed!r}.")
        check_positive_int("checkpoint_every", self.checkpoint_every)
        if self.target_accuracy is not None:
            a = check_real("target_accuracy", self.target_accuracy)
            if not 0.0 < a <= 1.0:
                raise ValueError(
                    f"`target_accuracy` must lie in (0, 1] or be None; got "
                    f"{self.target_accuracy!r}. Use e.g. 0.95."
                )
        check_positive_int("stop_window", self.stop_window)
        if self.grad_clip is not None:
            check_positive("grad_clip", self.grad_clip, "Use None for no clipping.")

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able mapping (the task as its :meth:`to_dict`)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["task"] = self.task.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainSettings:
        """Inverse of :meth:`to_dict`."""
        return cls(**data)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class TrainedNetwork:
    """A trained E/I rate network (units ordered E first, then I).

    Parameters
    ----------
    w : (n, n) ndarray
        Effective recurrent weights ``|w_raw| * mask * sign`` (row: postsynaptic).
    w_in : (n, k) ndarray
        Input weights.
    b : (n,) ndarray
        Bias.
    w_out : (n,) ndarray
        Readout weights.
    b_out : float
        Readout bias.
    tau : (n,) ndarray
        Time constants in Euler steps, within ``[tau_min, tau_max]``.
    inhibitory : (n,) ndarray of bool
        Inhibitory units (the last ``n_I``).
    mask : (n, n) ndarray of bool
        The fixed connectivity mask.
    settings : TrainSettings
        The settings it was trained with.
    history : dict of str to ndarray
        ``loss`` and ``accuracy`` of every iteration's training batch.
    seconds : float
        Training wall time (summed over resumptions).
    """

    w: FloatArray
    w_in: FloatArray
    b: FloatArray
    w_out: FloatArray
    b_out: float
    tau: FloatArray
    inhibitory: np.ndarray
    mask: np.ndarray
    settings: TrainSettings
    history: dict[str, np.ndarray] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def n(self) -> int:
        """Number of units."""
        return int(self.tau.size)

    @property
    def iterations(self) -> int:
        """Number of training iterations performed."""
        return len(self.history.get("loss", ()))

    def to_xarray(self) -> Any:
        """The weights, time constants and training curves as an ``xarray.Dataset``."""
        import xarray as xr

        ds = xr.Dataset(
            {
                "w": (("post", "pre"), self.w),
                "w_in": (("post", "input"), self.w_in),
                "b": ("post", self.b),
                "w_out": ("post", self.w_out),
                "tau": ("post", self.tau),
                "inhibitory": ("post", self.inhibitory),
                "mask": (("post", "pre"), self.mask),
                "b_out": ((), self.b_out),
            },
            attrs={"settings": json.dumps(self.settings.to_dict()), "seconds": self.seconds},
        )
        for key, values in self.history.items():
            ds[f"history_{key}"] = ("iteration", np.asarray(values))
        return ds

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write ``network.npz`` and ``network.json`` into the directory ``path`` (atomically).

        Returns
        -------
        Path
            The directory.
        """
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        arrays = {
            "w": self.w,
            "w_in": self.w_in,
            "b": self.b,
            "w_out": self.w_out,
            "tau": self.tau,
            "inhibitory": self.inhibitory,
            "mask": self.mask,
        }
        arrays.update({f"history_{k}": np.asarray(v) for k, v in self.history.items()})
        _savez_atomic(path / "network.npz", arrays)
        meta = {
            "settings": self.settings.to_dict(),
            "b_out": self.b_out,
            "seconds": self.seconds,
        }
        _write_text_atomic(path / "network.json", json.dumps(meta, indent=2))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TrainedNetwork:
        """Read a network written by :meth:`save`."""
        path = Path(path)
        if not (path / "network.npz").is_file() or not (path / "network.json").is_file():
            raise FileNotFoundError(
                f"`path` must be a directory written by TrainedNetwork.save (network.npz and "
                f"network.json); got {str(path)!r}."
            )
        meta = json.loads((path / "network.json").read_text())
        with np.load(path / "network.npz") as data:
            arrays = {k: data[k] for k in data.files}
        history = {k[len("history_") :]: v for k, v in arrays.items() if k.startswith("history_")}
        return cls(
            w=arrays["w"],
            w_in=arrays["w_in"],
            b=arrays["b"],
            w_out=arrays["w_out"],
            b_out=float(meta["b_out"]),
            tau=arrays["tau"],
            inhibitory=arrays["inhibitory"],
            mask=arrays["mask"],
            settings=TrainSettings.from_dict(meta["settings"]),
            history=history,
            seconds=float(meta["seconds"]),
        )

    def evaluate(
        self,
        task: Task | str | None = None,
        n_trials: int = 1000,
        seed: int = 0,
        noise: float | None = None,
    ) -> float:
        """Accuracy on ``n_trials`` fresh trials (JAX forward pass, float32).

        Parameters
        ----------
        task : task or str, optional
            Default: the training task.
        n_trials : int
            Number of trials.
        seed : int
            Seed of the trials and of the noise.
        noise : float, optional
            Noise amplitude; default the training noise.

        Returns
        -------
        float
            Fraction of trials whose mean response-window output has the sign of the label.
        """
        import jax
        import jax.numpy as jnp

        from randrnn.training import model

        task = self.settings.task if task is None else task_from_config(task)
        n_trials = check_positive_int("n_trials", n_trials)
        sigma = self.settings.noise if noise is None else check_nonnegative("noise", noise)
        if task.n_inputs != self.w_in.shape[1]:
            raise ValueError(
                f"`task` must have {self.w_in.shape[1]} inputs like the training task; got "
                f"{task.name!r} with {task.n_inputs}."
            )
        f32 = jnp.float32
        eff = tuple(
            jnp.asarray(a, dtype=f32)
            for a in (self.w, self.w_in, self.b, self.w_out, self.b_out, self.tau)
        )
        rng = np.random.default_rng(seed)
        key = jax.random.key(seed)
        correct = 0
        chunk = min(n_trials, 256)  # one compiled shape: the last chunk is drawn whole
        for start in range(0, n_trials, chunk):
            k = min(chunk, n_trials - start)
            u, _, mask, labels = task.generate(rng, chunk)
            eta = jax.random.normal(jax.random.fold_in(key, start), (u.shape[0], chunk, self.n))
            out = np.asarray(model.run_jit(*eff, jnp.asarray(u, dtype=f32), eta, float(sigma)))
            mean_out = (mask * out).sum(axis=0) / mask.sum(axis=0)
            correct += int(np.sum(np.sign(mean_out[:k]) == labels[:k]))
        return correct / n_trials

    def realization(self, u: Any = None) -> Realization:
        """The network at a constant input as a :class:`randrnn.Realization` (delay by default).

        ``J = w``, ``b = b + w_in @ u``, ``tau = tau``, ``phi = "sigmoid"``, ``sigma`` = the
        training noise, populations 0 = E, 1 = I, ``drawn_from=None`` (couplings of one's
        own); the spec's ensemble is the matching two-population Dale
        :class:`~randrnn.ensembles.BlockEnsemble` (connectivity ``p`` in every block).

        Parameters
        ----------
        u : (k,) array_like, optional
            Constant input; default zeros (the fixation and delay periods).
        """
        from randrnn.training.model import ei_ensemble

        k = self.w_in.shape[1]
        u_vec = np.zeros(k) if u is None else np.asarray(u, dtype=float)
        if u_vec.shape != (k,) or not np.all(np.isfinite(u_vec)):
            raise ValueError(f"`u` must be {k} finite numbers; got {u!r}.")
        s = self.settings
        ensemble = ei_ensemble(s.n, s.fraction_inhibitory, s.connectivity)
        population = ensemble.population_index()
        if not np.array_equal(population == 1, self.inhibitory):
            raise ValueError(
                "`inhibitory` does not mark the last units as the settings' ensemble does; "
                "was the network edited?"
            )
        network = RateNetwork(ensemble=ensemble, phi="sigmoid", tau=self.tau, sigma=s.noise)
        return Realization(
            network=network,
            seeds=Seeds(),
            J=np.array(self.w, dtype=float),
            b=np.asarray(self.b, dtype=float) + np.asarray(self.w_in, dtype=float) @ u_vec,
            tau=np.array(self.tau, dtype=float),
            population=np.asarray(population),
            drawn_from=None,
        )


def _write_text_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _savez_atomic(path: Path, arrays: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
    try:
        np.savez(tmp, **arrays)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _comparable(settings: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in settings.items() if k not in _RESUMABLE}


@functools.lru_cache(maxsize=16)
def _compiled_update(
    noise: float, tau_min: float, tau_max: float, lr: float, grad_clip: float | None
) -> tuple[Any, Callable[..., Any]]:
    """The optimiser and the jitted training step, shared by runs of equal hyperparameters."""
    try:
        import jax
        import optax
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "randrnn.training needs JAX and optax; install them with "
            "`pip install 'randrnn[train]'`."
        ) from exc

    from randrnn.training import model

    parts = [optax.adam(lr)]
    if grad_clip is not None:
        parts.insert(0, optax.clip_by_global_norm(grad_clip))
    optimizer = optax.chain(*parts)

    def loss_fn(
        p: Any, mask: Any, sign: Any, u: Any, target: Any, m: Any, labels: Any, key: Any
    ) -> Any:
        eff = model.effective(p, mask, sign, tau_min, tau_max)
        eta = jax.random.normal(key, (u.shape[0], u.shape[1], mask.shape[0]))
        o = model.run(*eff, u, eta, noise)
        return model.loss_and_accuracy(o, target, m, labels)

    @jax.jit
    def update(
        p: Any, state: Any, mask: Any, sign: Any, u: Any, target: Any, m: Any, labels: Any, key: Any
    ) -> Any:
        (loss, acc), grads = jax.value_and_grad(loss_fn, has_aux=True)(
            p, mask, sign, u, target, m, labels, key
        )
        updates, state = optimizer.update(grads, state, p)
        return optax.apply_updates(p, updates), state, loss, acc

    return optimizer, update


def train(
    settings: TrainSettings,
    *,
    out: str | os.PathLike[str] | None = None,
    progress: bool | Callable[[int, float, float], None] | None = None,
    resume: bool = True,
) -> TrainedNetwork:
    """Train a network with Adam on the masked MSE of noisy trials.

    Iteration ``i`` draws a fresh batch of trials from ``numpy.random.default_rng([seed, 1,
    i])`` and the noise from ``jax.random.fold_in(jax.random.key(seed), i)``, takes one
    (clipped) Adam step on the mean squared error in the response window, and records the
    batch's loss and accuracy. Everything random is a function of ``(seed, i)``, so a run is
    bitwise reproducible on one device and a resumed run equals an uninterrupted one.

    Parameters
    ----------
    settings : TrainSettings
        What to train.
    out : path, optional
        Directory of the checkpoint ``checkpoint.npz`` (parameters, mask, optimiser state,
        iteration, seed, curves, elapsed time, settings), written atomically every
        ``checkpoint_every`` iterations and at the end.
    progress : bool or callable, optional
        True: a tqdm bar (loss, accuracy); None: a bar when stderr is a terminal; a callable
        ``f(iteration, loss, accuracy)`` is called after every iteration.
    resume : bool
        Continue from ``out/checkpoint.npz`` if present (its settings must match except
        ``n_iterations`` and ``checkpoint_every``).

    Returns
    -------
    TrainedNetwork

    Raises
    ------
    DivergenceError
        If the loss or the parameters become NaN or infinite (``step`` is the iteration).
    ImportError
        Without JAX or optax (``pip install "randrnn[train]"``).
    """
    missing = [m for m in ("jax", "optax") if importlib.util.find_spec(m) is None]
    if missing:
        raise ImportError(
            f"training needs {' and '.join(missing)}, which is not installed. Install it with "
            '`pip install "randrnn[train]"`.'
        )
    import jax
    import jax.numpy as jnp

    from randrnn.training import model

    if not isinstance(settings, TrainSettings):
        raise TypeError(f"`settings` must be a TrainSettings; got {type(settings).__name__}.")
    s = settings
    task = s.task
    out_dir = None if out is None else Path(out)

    init_rng = np.random.default_rng([s.seed, 0])
    params_np, mask_np, sign_np = model.init_params(
        s.n,
        task.n_inputs,
        fraction_inhibitory=s.fraction_inhibitory,
        connectivity=s.connectivity,
        gain=s.gain,
        rng=init_rng,
    )
    params = {k: jnp.asarray(v) for k, v in params_np.items()}
    mask = jnp.asarray(mask_np, dtype=jnp.float32)
    sign = jnp.asarray(sign_np)
    optimizer, update = _compiled_update(s.noise, s.tau_min, s.tau_max, s.lr, s.grad_clip)
    opt_state = optimizer.init(params)
    losses: list[float] = []
    accuracies: list[float] = []
    start_iter = 0
    elapsed = 0.0

    if out_dir is not None and resume and (out_dir / CHECKPOINT).is_file():
        with np.load(out_dir / CHECKPOINT) as ck:
            saved = json.loads(str(ck["settings"]))
            if _comparable(saved) != _comparable(s.to_dict()):
                raise ValueError(
                    f"`out` holds a checkpoint of other settings ({out_dir / CHECKPOINT}); "
                    "resume it with the same settings (only n_iterations and checkpoint_every "
                    "may change), use another `out`, or pass resume=False."
                )
            params = {k: jnp.asarray(ck[f"params/{k}"]) for k in params_np}
            leaves, treedef = jax.tree_util.tree_flatten(opt_state)
            opt_state = jax.tree_util.tree_unflatten(
                treedef, [jnp.asarray(ck[f"opt/{i}"]) for i in range(len(leaves))]
            )
            if not np.array_equal(ck["mask"], mask_np):
                raise ValueError("the checkpoint's mask differs from the seed's; was it edited?")
            start_iter = int(ck["iteration"])
            losses = [float(v) for v in ck["loss"]]
            accuracies = [float(v) for v in ck["accuracy"]]
            elapsed = float(ck["seconds"])

    def save_checkpoint(iteration: int, seconds: float) -> None:
        if out_dir is None:
            return
        out_dir.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, Any] = {f"params/{k}": np.asarray(v) for k, v in params.items()}
        for i, leaf in enumerate(jax.tree_util.tree_leaves(opt_state)):
            arrays[f"opt/{i}"] = np.asarray(leaf)
        arrays.update(
            mask=mask_np,
            iteration=np.int64(iteration),
            seed=np.int64(s.seed),
            loss=np.asarray(losses),
            accuracy=np.asarray(accuracies),
            seconds=np.float64(seconds),
            settings=np.str_(json.dumps(s.to_dict())),
        )
        _savez_atomic(out_dir / CHECKPOINT, arrays)

    def reached() -> bool:
        if s.target_accuracy is None or len(accuracies) < s.stop_window:
            return False
        return float(np.mean(accuracies[-s.stop_window :])) >= s.target_accuracy

    bar = None
    callback = progress if callable(progress) else None
    show_bar = progress is True or (progress is None and sys.stderr.isatty())
    if show_bar:
        from tqdm.auto import tqdm

        bar = tqdm(total=s.n_iterations, initial=start_iter, desc=f"train {task.name}")
    base_key = jax.random.key(s.seed)
    t0 = time.perf_counter()
    iteration = start_iter
    try:
        while iteration < s.n_iterations and not reached():
            rng = np.random.default_rng([s.seed, 1, iteration])
            u, target, m, labels = task.generate(rng, s.batch)
            key = jax.random.fold_in(base_key, iteration)
            params, opt_state, loss, acc = update(
                params,
                opt_state,
                mask,
                sign,
                jnp.asarray(u, dtype=jnp.float32),
                jnp.asarray(target, dtype=jnp.float32),
                jnp.asarray(m, dtype=jnp.float32),
                jnp.asarray(labels, dtype=jnp.float32),
                key,
            )
            loss_v, acc_v = float(loss), float(acc)
            if not math.isfinite(loss_v) or not all(
                bool(jnp.all(jnp.isfinite(v))) for v in params.values()
            ):
                raise DivergenceError(
                    f"training diverged at iteration {iteration}: loss = {loss_v!r} or the "
                    f"parameters are not finite (lr = {s.lr!r}, noise = {s.noise!r}, "
                    f"grad_clip = {s.grad_clip!r}); lower lr or noise, or set grad_clip. "
                    "(time: not applicable to training)",
                    step=iteration,
                    time=float("nan"),
                )
            losses.append(loss_v)
            accuracies.append(acc_v)
            iteration += 1
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{loss_v:.4f}", acc=f"{acc_v:.2f}")
            if callback is not None:
                callback(iteration, loss_v, acc_v)
            if iteration % s.checkpoint_every == 0:
                save_checkpoint(iteration, elapsed + time.perf_counter() - t0)
    finally:
        if bar is not None:
            bar.close()
    seconds = elapsed + time.perf_counter() - t0
    save_checkpoint(iteration, seconds)

    eff = model.effective(params, mask, sign, s.tau_min, s.tau_max)
    w, w_in, b, w_out, b_out, tau = (np.asarray(a, dtype=np.float64) for a in eff)
    return TrainedNetwork(
        w=w,
        w_in=w_in,
        b=b,
        w_out=w_out,
        b_out=float(b_out),
        tau=tau,
        inhibitory=sign_np < 0,
        mask=mask_np,
        settings=s,
        history={"loss": np.asarray(losses), "accuracy": np.asarray(accuracies)},
        seconds=seconds,
    )
