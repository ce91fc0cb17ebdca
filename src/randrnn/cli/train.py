"""``randrnn train`` and ``randrnn trained-spectrum``: train an E/I network with noise, then
test the sparse E/I random-matrix ensemble against its Jacobian at an equilibrium.

``randrnn train [CONFIG] --out DIR`` reads a ``[train]`` table (the fields of
:class:`randrnn.training.TrainSettings`), trains (:func:`randrnn.training.train`) with its
checkpoints in ``DIR/checkpoints`` -- the same command resumes an interrupted run -- and writes
``DIR/network`` (the trained network), ``DIR/training.zarr``, figures, ``report.html`` and
``summary.json``.

``randrnn trained-spectrum DIR`` loads ``DIR/network``, finds its equilibria with no input (the
delay period) and compares the Jacobian at one of them with the fitted ensemble
(:func:`randrnn.experiments.trained.analyze_equilibria`), into ``DIR/spectrum``.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import Any

import click

from randrnn.cli._options import config_options
from randrnn.cli._output import experiment_errors, force_option, output_directory

#: what a train directory holds (a non-empty --out without these is not one)
_TRAIN_ENTRIES = ("checkpoints", "network", "summary.json")


def _settings(config: str | None, overrides: tuple[str, ...]) -> Any:
    from randrnn import io
    from randrnn.training import TrainSettings

    try:
        mapping = io.apply_overrides(io.load_toml(config) if config else {}, list(overrides))
        io.check_keys("config", mapping, ["train"])
        table = dict(mapping.get("train", {}))
        io.check_keys("train", table, list(TrainSettings.__dataclass_fields__))
        return TrainSettings.from_dict(table)
    except (ValueError, TypeError) as exc:
        raise click.UsageError(str(exc)) from exc


def _prepare(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise click.BadParameter(f"{str(out)!r} is a file; give a directory.", param_hint="'--out'")
    if out.is_dir() and any(out.iterdir()):
        if not any((out / e).exists() for e in _TRAIN_ENTRIES):
            if not force:
                raise click.BadParameter(
                    f"{str(out)!r} is not empty and holds no training run; give another --out, "
                    "or --force to replace its contents.",
                    param_hint="'--out'",
                )
            shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def train_summary(network: Any, accuracy: float, trials: int) -> dict[str, Any]:
    """The ``summary.json`` of a trained network."""
    import numpy as np

    from randrnn import io

    tau = np.asarray(network.tau, dtype=float)
    inh = np.asarray(network.inhibitory, dtype=bool)
    pops = []
    for name, sel in (("E", ~inh), ("I", inh)):
        t = tau[sel]
        pops.append(
            {
                "population": name,
                "units": int(sel.sum()),
                "tau_mean": float(t.mean()),
                "tau_sd": float(t.std(ddof=1)) if t.size > 1 else float("nan"),
            }
        )
    return {
        "settings": network.settings.to_dict(),
        "iterations": network.iterations,
        "train_seconds": float(network.seconds),
        "accuracy": float(accuracy),
        "accuracy_trials": int(trials),
        "final_loss": float(network.history["loss"][-1]) if network.iterations else None,
        "populations": pops,
        "versions": io.provenance(),
    }


@click.command("train")
@config_options
@click.option(
    "--out", "out", required=True, type=click.Path(file_okay=False), help="Output folder."
)
@click.option(
    "--trials",
    default=1000,
    show_default=True,
    type=click.IntRange(min=10),
    help="Fresh trials of the final accuracy.",
)
@force_option
def train_command(
    config: str | None, overrides: tuple[str, ...], out: str, trials: int, force: bool
) -> None:
    """Train an E/I rate network with noise on a working-memory task (resumable).

    CONFIG holds a [train] table: n, fraction_inhibitory, connectivity, tau_min, tau_max, noise,
    task (dms or delayed_sign), lr, n_iterations, batch, seed, ... Rerun the same command after
    an interruption to continue from the last checkpoint.
    """
    from randrnn import io, report
    from randrnn.training import train

    settings = _settings(config, overrides)
    out_dir = Path(out)
    _prepare(out_dir, force)
    t0 = time.perf_counter()
    with experiment_errors():
        network = train(settings, out=out_dir / "checkpoints", progress=sys.stderr.isatty())
    accuracy = network.evaluate(n_trials=trials, seed=settings.seed + 1)
    network.save(out_dir / "network")
    io.save_dataset(network.to_xarray(), out_dir / "training.zarr")
    summary = train_summary(network, accuracy, trials)
    summary["seconds"] = time.perf_counter() - t0
    report.use_headless_backend()
    from randrnn.plots import trained as trained_plots

    report.write_train_report(summary, network, out_dir, trained_plots.network_figures())
    io.write_json(summary, out_dir / "summary.json")
    click.echo(
        f"trained {settings.n} units on {network.settings.task} with noise {settings.noise:g}: "
        f"accuracy {accuracy:.3f} after {network.iterations} iterations "
        f"({network.seconds:.0f} s). Report: {out_dir / 'report.html'}"
    )


@click.command("trained-spectrum")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--out",
    "out",
    default=None,
    type=click.Path(file_okay=False),
    help="Output folder (default: DIRECTORY/spectrum).",
)
@click.option(
    "--n-random",
    default=64,
    show_default=True,
    type=click.IntRange(min=1),
    help="Random starts of the fixed-point search.",
)
@click.option(
    "--choice",
    type=click.Choice(["most_stable", "rightmost_stable"]),
    default="most_stable",
    show_default=True,
    help="Which fixed point is analysed.",
)
@click.option(
    "--quick",
    is_flag=True,
    default=False,
    help="A small population-dynamics pool (300 members, 40 sweeps): minutes become seconds, "
    "the fractions' SEs grow.",
)
@force_option
def spectrum_command(
    directory: str, out: str | None, n_random: int, choice: str, quick: bool, force: bool
) -> None:
    """Equilibria of a trained network and its Jacobian against the fitted E/I ensemble."""
    from randrnn import io, report
    from randrnn.experiments import quiet_numerics
    from randrnn.experiments.trained import analyze_equilibria
    from randrnn.rmt import CavitySettings
    from randrnn.training import TrainedNetwork

    src = Path(directory)
    try:
        network = TrainedNetwork.load(src / "network" if (src / "network").is_dir() else src)
    except (ValueError, TypeError, OSError) as exc:
        raise click.BadParameter(str(exc), param_hint="'DIRECTORY'") from exc
    target = Path(out) if out is not None else src / "spectrum"
    with output_directory(str(target), force=force) as outdir:
        assert outdir is not None
        with experiment_errors(), quiet_numerics():
            cavity = (
                CavitySettings(pool=300, burn_in=20, sweeps=40, batches=4, points_per_side=16)
                if quick
                else None
            )
            result = analyze_equilibria(
                network.realization(), n_random=n_random, choice=choice, cavity=cavity
            )
        report.use_headless_backend()
        from randrnn.plots import trained as trained_plots

        with outdir as staging, quiet_numerics():
            io.save_dataset(result.to_xarray(), staging / "spectrum.zarr")
            report.write_trained_spectrum_report(result, staging, trained_plots.spectrum_figures())
            io.write_json(result.summary(), staging / "summary.json")
    c = result.comparison
    click.echo(
        f"{len(result.fixed_points)} fixed/slow point(s); rightmost eigenvalue "
        f"{result.rightmost:.4g}, predicted edge {c.edge.edge:.4g} (dense {c.dense_edge:.4g}), "
        f"max |z| over regions {float(abs(c.z).max()):.2f}. Report: {target / 'report.html'}"
    )
