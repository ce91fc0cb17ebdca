"""``randrnn simulate``: run the simulator on a config and write its statistics."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from randrnn.cli._options import config_options as config_options
from randrnn.cli._options import load_command_config
from randrnn.cli._options import out_option as out_option
from randrnn.cli._output import force_option, output_directory


@click.command("simulate")
@config_options
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Output dir.")
@force_option
def command(config: str | None, overrides: tuple[str, ...], out: str, force: bool) -> None:
    """Simulate a network and write DIR/simulation.zarr and DIR/summary.json.

    With no CONFIG, a built-in default runs (tanh, N = 1000, g = 2, 16 trials x 200 tau).
    DIR is checked before the simulation and replaced as a whole when it is done; after an
    error or an interrupt it holds its previous contents.
    """
    from randrnn import io
    from randrnn.errors import DivergenceError
    from randrnn.networks import realize
    from randrnn.simulate import simulate

    t0 = time.perf_counter()
    conf = load_command_config("simulate", config, overrides)
    network, seeds, settings = conf.network, conf.seeds, conf.simulation
    cfg = conf.to_dict()
    out_dir = Path(out)
    nbytes = _store_bytes(network.n, settings)
    with output_directory(out, force=force, expected_bytes=nbytes) as outdir:
        assert outdir is not None  # an --out was given
        real = realize(network, seeds)
        t_real = time.perf_counter()
        try:
            with outdir as staging:
                store = staging / STORE_NAME
                traj = str(store) if settings.record_units else None
                sim = simulate(real, settings, trajectory_store=traj)
                ds = sim.to_xarray()
                ds.attrs["config"] = cfg
                io.save_dataset(ds, store, into_existing=True)
                t_end = time.perf_counter()
                et = sim.equal_time
                summary = {
                    "config": cfg,
                    "seeds": seeds.to_dict(),
                    "versions": io.provenance(),
                    "seconds": {
                        "realize": t_real - t0,
                        **{f"simulate_{k}": v for k, v in sim.seconds.items()},
                        "total": t_end - t0,
                    },
                    "var_x": et.var_x,
                    "var_x_se": et.var_x_se,
                    "var_phi": et.var_phi,
                    "var_phi_se": et.var_phi_se,
                    "t_sampled": sim.t_sampled,
                    "n_steps": sim.n_steps,
                    "store": str(out_dir / STORE_NAME),
                }
                io.write_json(summary, staging / "summary.json")
        except (ValueError, TypeError) as exc:
            raise click.UsageError(str(exc)) from exc
        except DivergenceError as exc:
            raise click.ClickException(f"{exc} No output was written.") from exc
    click.echo(
        f"var_x = {et.var_x:.4f} +- {et.var_x_se:.4f}, var_phi = {et.var_phi:.4f} +- "
        f"{et.var_phi_se:.4f}; {sim.n_steps} steps in {sim.seconds['integrate']:.1f} s; "
        f"wrote {out_dir / STORE_NAME} and {out_dir / 'summary.json'}"
    )


#: the store a ``simulate`` run directory holds
STORE_NAME = "simulation.zarr"


def _store_bytes(n: int, settings: Any) -> int:
    """Rough upper bound of the bytes ``simulate`` writes (uncompressed), for the space check.

    Each accumulated ``N x N`` family (``x``, ``phi``, cross) holds a float64 estimate, a
    float32 standard error and two float32 split halves: 20 bytes per entry. Recorded
    trajectories add 8 bytes per sample; 1 MiB covers the vectors and metadata.
    """
    families = 2 * bool(settings.covariance) + bool(settings.cross_covariance)
    steps = (settings.burn_in + settings.t_max) / settings.dt
    samples = len(settings.record_units) * settings.record_trials * steps / settings.record_every
    return int(20 * families * n * n + 8 * samples + 2**20)
