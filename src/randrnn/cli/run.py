"""``randrnn run``: the main job. DMFT, prediction, simulation, comparison, report.

A thin wrapper: load and validate the config, check ``--out``, call
:func:`randrnn.experiments.run_experiment`, write the store, the report
(:func:`randrnn.report.write_run_report`) and ``summary.json``.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from randrnn.cli._options import config_options, load_command_config, out_option
from randrnn.cli._output import experiment_errors, force_option, output_directory


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
    from randrnn.experiments import quiet_numerics, run_experiment

    t0 = time.perf_counter()
    cfg = load_command_config("run", config, overrides)  # checked before any work (exit 2)
    out_dir = Path(out)
    with output_directory(out, force=force, expected_bytes=run_bytes(cfg.network.n)) as outdir:
        assert outdir is not None  # --out always has a value
        with experiment_errors():  # a network the prediction does not cover: usage error
            result = run_experiment(cfg)
        t1 = time.perf_counter()
        report.use_headless_backend()
        from randrnn.plots import run as run_plots

        with outdir as staging, quiet_numerics():
            io.save_dataset(result.to_xarray(), staging / "results.zarr")
            report.write_run_report(result, staging, run_plots.ALL)
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
