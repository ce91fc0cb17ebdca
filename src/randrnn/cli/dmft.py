"""``randrnn dmft``: solve the stationary DMFT and print its order parameters."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import click

from randrnn.cli._output import force_option, output_directory


@click.command("dmft")
@click.option(
    "--phi", default="tanh", show_default=True, help="tanh, erf, relu, linear or sigmoid."
)
@click.option("--g", "g", type=float, required=True, help="Coupling gain g.")
@click.option("--sigma", type=float, default=0.0, show_default=True, help="White-noise amplitude.")
@click.option(
    "--sigma-b",
    "sigma_b",
    type=float,
    default=0.0,
    show_default=True,
    help="Standard deviation of the static input.",
)
@click.option(
    "--tol",
    type=float,
    default=1e-10,
    show_default=True,
    help="Solver tolerance on the relative residual (>= 3.6e-15: float64 rounding).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory for dmft.zarr, dmft.png and summary.json.",
)
@force_option
def command(
    phi: str,
    g: float,
    sigma: float,
    sigma_b: float,
    tol: float,
    as_json: bool,
    out: Path | None,
    force: bool,
) -> None:
    """Solve the stationary DMFT of an i.i.d. Gaussian network (docs/theory.md section 2)."""
    from randrnn.dmft import solve_stationary
    from randrnn.ensembles import GaussianEnsemble
    from randrnn.networks import RateNetwork

    start = time.perf_counter()
    try:
        net = RateNetwork(
            ensemble=GaussianEnsemble(n=1, g=g), phi=phi, sigma=sigma, sigma_b=sigma_b
        )
    except (TypeError, ValueError) as exc:
        raise click.BadParameter(str(exc)) from exc
    with output_directory(None if out is None else str(out), force=force) as outdir:
        try:
            sol = solve_stationary(net, tol=tol, on_failure="return")
        except (TypeError, ValueError) as exc:
            raise click.BadParameter(str(exc)) from exc
        _report(sol, net, g, sigma, sigma_b, start, outdir, as_json)


def _report(
    sol: Any,
    net: Any,
    g: float,
    sigma: float,
    sigma_b: float,
    start: float,
    outdir: Any,
    as_json: bool,
) -> None:
    """Write the run directory (if any) and print the order parameters."""
    summary = {
        "phi": net.phi.name,  # type: ignore[union-attr]
        "g": g,
        "sigma": sigma,
        "sigma_b": sigma_b,
        "delta0": sol.delta0,
        "delta_inf": sol.delta_inf,
        "mu0": sol.mu0,
        "mu1": sol.mu1,
        "c0": sol.c0,
        "tau_corr": sol.tau_corr,
        "regime": sol.regime,
        "converged": sol.converged,
        "n_iter": sol.n_iter,
        "residual": sol.residual,
        "seconds": time.perf_counter() - start,
    }
    if outdir is not None:
        from randrnn.io import save_dataset, write_json
        from randrnn.plots.dmft import plot_autocovariance
        from randrnn.report import use_headless_backend

        use_headless_backend()
        import matplotlib.pyplot as plt

        with outdir as staging:
            save_dataset(sol.to_xarray(), staging / "dmft.zarr")
            fig = plot_autocovariance(sol)
            fig.savefig(staging / "dmft.png", dpi=120)
            plt.close(fig)
            write_json(summary, staging / "summary.json")
    if as_json:
        # strict JSON: undefined values (NaN when there is no stationary state) become null
        click.echo(
            json.dumps(
                {
                    k: None if isinstance(v, float) and not math.isfinite(v) else v
                    for k, v in summary.items()
                }
            )
        )
    else:
        for key, val in summary.items():
            text = f"{val:.12g}" if isinstance(val, float) else str(val)
            click.echo(f"{key:>10}  {text}")
    if sol.regime == "divergent":
        raise click.ClickException(f"no stationary state: {sol.message}.")
    if not sol.converged:
        raise click.ClickException(f"DMFT did not converge: {sol.message}.")
