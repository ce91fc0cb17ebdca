"""``randrnn run``: the main job. DMFT, prediction, simulation, comparison, report.

A thin wrapper: load and validate the config, check ``--out``, call
:func:`randrnn.experiments.run_experiment`, write the store, the report
(:func:`randrnn.report.write_run_report`) and ``summary.json``.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from randrnn.cli._output import force_option, output_directory
from randrnn.cli.simulate import config_options, load_config, out_option


def theory_failure(exc: BaseException) -> click.ClickException:
    """Exit status 1 for a failure of the science (unstable, not converged, diverged, ...)."""
    msg = str(exc).rstrip()
    if not msg.endswith((".", "!", "?")):
        msg += "."
    return click.ClickException(f"{msg} No output was written.")


def run_bytes(n: int) -> int:
    """Rough upper bound of the bytes a run writes: ten N x N float64 matrices, 4 MiB more."""
    return int(80 * n * n + 4 * 2**20)


@click.command("run")
@config_options
@out_option("randrnn-run")
@force_option
def command(config: str | None, overrides: tuple[str, ...], out: str, force: bool) -> None:
    """Run the main job: DMFT, prediction, simulation, comparison and report.

    With no CONFIG, the built-in default runs (tanh, g = 3, N = 1000, 128 trials x 1000 tau;
    a few minutes on 2 cores). Writes DIR/results.zarr, DIR/figures/*.png, DIR/report.html and
    DIR/summary.json; DIR is checked before any work and replaced as a whole at the end.
    """
    from randrnn import io, report
    from randrnn.experiments import (
        DEFAULT_RUN_CONFIG,
        THEORY_FAILURES,
        experiment_from_config,
        quiet_numerics,
        run_experiment,
    )

    t0 = time.perf_counter()
    try:
        cfg = load_config(config, overrides, DEFAULT_RUN_CONFIG)
        network, _, _, _ = experiment_from_config(cfg)  # validate before any work
    except (ValueError, TypeError) as exc:
        raise click.UsageError(str(exc)) from exc
    out_dir = Path(out)
    with output_directory(out, force=force, expected_bytes=run_bytes(network.n)) as outdir:
        try:
            result = run_experiment(cfg)
        except THEORY_FAILURES as exc:
            raise theory_failure(exc) from exc
        except (ValueError, TypeError) as exc:
            raise click.UsageError(str(exc)) from exc
        t1 = time.perf_counter()
        report.use_headless_backend()
        with outdir as staging, quiet_numerics():
            io.save_dataset(result.to_xarray(), staging / "results.zarr")
            report.write_run_report(result, staging)
            summary = result.summary()
            summary["seconds"]["write"] = time.perf_counter() - t1
            summary["seconds"]["wall"] = time.perf_counter() - t0
            summary["store"] = str(out_dir / "results.zarr")
            summary["report"] = str(out_dir / "report.html")
            io.write_json(summary, staging / "summary.json")
    if result.naive.status == "not applicable":
        click.echo(f"Note: naive closure not compared: {result.naive.reason}", err=True)
    click.echo(
        f"{report.run_headline(result)}; {time.perf_counter() - t0:.0f} s. "
        f"Report: {out_dir / 'report.html'}"
    )
