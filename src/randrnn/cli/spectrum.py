"""``randrnn spectrum``: eigenvalues of sampled E/I Jacobians against the random-matrix theory.

Thin wrapper: builds a :class:`~randrnn.ensembles.BlockEnsemble` from a TOML config (or a default
two-population ensemble), measures spectra (:mod:`randrnn.spectra`), predicts the support, edge,
density and outliers (:mod:`randrnn.rmt`) and writes ``spectrum.zarr``, ``spectrum.png`` and
``summary.json`` to ``--out``.

Config sections: ``[ensemble]`` (fields of ``BlockEnsemble``) and ``[spectrum]`` (``method``,
``n_realizations``, ``seed``, ``k``, ``bins``).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click
import numpy as np

#: default experiment: sparse E/I ensemble, lognormal inhibitory timescales, uniform gains
DEFAULT_CONFIG: dict[str, Any] = {
    "ensemble": {
        "n": 1000,
        "fractions": [0.8, 0.2],
        "signs": [1, -1],
        "connectivity": [[0.05, 0.2], [0.2, 0.2]],
        "weights": [
            [
                {"kind": "halfnormal", "scale": 2.4},
                {"kind": "lognormal", "median": 2.4, "sigma": 0.8},
            ],
            [
                {"kind": "halfnormal", "scale": 2.4},
                {"kind": "lognormal", "median": 2.4, "sigma": 0.8},
            ],
        ],
        "tau": [1.0, {"kind": "lognormal", "median": 3.0, "sigma": 0.5}],
        "gain": [{"kind": "uniform", "low": 0.5, "high": 1.5}] * 2,
        "keep_mean": False,
    },
    "spectrum": {"method": "dense", "n_realizations": 3, "seed": 0, "k": 80, "bins": 25},
}
SPECTRUM_KEYS = ("method", "n_realizations", "seed", "k", "bins")


def run_spectrum(config: dict[str, Any], progress: Any = None) -> dict[str, Any]:
    """Run the experiment described by ``config``; return datasets, results and the summary.

    Parameters
    ----------
    config : dict
        ``{"ensemble": {...}, "spectrum": {...}}``.
    progress : callable, optional
        Called after each realization.

    Returns
    -------
    dict
        ``dataset`` (xarray.Dataset), ``summary`` (dict) and the result objects.
    """
    import xarray as xr

    from randrnn import rmt, spectra
    from randrnn.ensembles import BlockEnsemble
    from randrnn.io import check_keys, provenance

    check_keys("", config, ["ensemble", "spectrum"])
    ens = BlockEnsemble.from_config(dict(config.get("ensemble", {})))
    opts = dict(DEFAULT_CONFIG["spectrum"])
    given = dict(config.get("spectrum", {}))
    check_keys("spectrum", given, SPECTRUM_KEYS)
    opts.update(given)
    t0 = time.perf_counter()
    edge = rmt.spectral_edge(ens)
    outl = rmt.outliers(ens)
    n_right = int(np.sum(outl.values.real > edge.edge))
    meas = spectra.measure_edge(
        ens,
        n_realizations=int(opts["n_realizations"]),
        seed=int(opts["seed"]),
        skip=n_right,
        method=str(opts["method"]),
        k=int(opts["k"]),
        progress=progress,
    )
    bound = rmt.support_boundary(ens)
    lam = meas.eigenvalues.ravel()
    pieces = [meas.to_xarray(), edge.to_xarray(), bound.to_xarray(), outl.to_xarray()]
    if opts["method"] == "dense":
        bins = int(opts["bins"])
        x_lo = float(np.quantile(lam.real, 0.001))
        pad = 0.05 * edge.height
        xe = np.linspace(x_lo - pad, max(edge.edge, float(lam.real.max())) + pad, bins + 1)
        ymax = 0.5 * edge.height + pad
        ye = np.linspace(-ymax, ymax, bins + (1 if bins % 2 == 0 else 0) + 1)
        with np.errstate(all="ignore"):
            import warnings

            from randrnn.errors import RegimeWarning

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RegimeWarning)
                dens = rmt.eigenvalue_density(ens, x_edges=xe, y_edges=ye, on_failure="warn")
        hist, _, _ = np.histogram2d(lam.real, lam.imag, bins=[xe, ye])
        pieces.append(dens.to_xarray())
        pieces.append(
            xr.Dataset(
                {"histogram": (("re", "im"), hist / lam.size)}, coords={"re": dens.x, "im": dens.y}
            )
        )
    ds = xr.merge(pieces, compat="override", combine_attrs="drop")
    ds.attrs.update(provenance())
    ds.attrs["spec"] = ens.to_config()
    ds.attrs["seed"] = int(opts["seed"])
    ds.attrs["references"] = ["chotibut2025"]
    summary = {
        "edge_pred": edge.edge,
        "edge_kind": edge.kind,
        "height_pred": edge.height,
        "edge_numeric": meas.edge,
        "edge_numeric_se": meas.edge_se,
        "max_real_numeric": meas.max_real,
        "outliers_pred": [[float(v.real), float(v.imag)] for v in outl.values],
        "n": ens.n,
        "n_realizations": meas.n_realizations,
        "method": opts["method"],
        "seconds": time.perf_counter() - t0,
    }
    return {
        "dataset": ds,
        "summary": summary,
        "edge": edge,
        "measurement": meas,
        "boundary": bound,
        "outliers": outl,
    }


@click.command("spectrum")
@click.argument("config", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--out", "out", required=True, type=click.Path(file_okay=False), help="Output folder."
)
@click.option(
    "--set", "overrides", multiple=True, help="Override a config value, e.g. ensemble.n=2000."
)
def command(config: str | None, out: str, overrides: tuple[str, ...]) -> None:
    """Eigenvalues of sampled E/I Jacobians vs the predicted support, edge and outliers."""
    from tqdm import tqdm

    from randrnn.io import apply_overrides, load_toml, save_dataset, write_json
    from randrnn.plots.spectrum import plot_spectrum

    cfg = load_toml(config) if config else DEFAULT_CONFIG
    cfg = apply_overrides(cfg, list(overrides))
    n_real = int(
        cfg.get("spectrum", {}).get("n_realizations", DEFAULT_CONFIG["spectrum"]["n_realizations"])
    )
    try:
        with tqdm(total=n_real, desc="realizations", disable=not sys.stderr.isatty()) as bar:
            res = run_spectrum(cfg, progress=bar.update)
    except (ValueError, TypeError) as exc:
        raise click.ClickException(str(exc)) from exc
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    save_dataset(res["dataset"], out_dir / "spectrum.zarr")
    ax = plot_spectrum(
        res["measurement"].eigenvalues,
        boundary=res["boundary"],
        outliers=res["outliers"].values,
        edge_pred=res["edge"].edge,
        edge_numeric=res["measurement"].edge,
        title=f"n = {res['summary']['n']}",
    )
    ax.figure.savefig(out_dir / "spectrum.png", dpi=120, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(ax.figure)
    write_json(res["summary"], out_dir / "summary.json")
    s = res["summary"]
    click.echo(
        f"edge_pred={s['edge_pred']:.4f} edge_numeric={s['edge_numeric']:.4f}"
        f"±{s['edge_numeric_se']:.4f} n={s['n']} ({s['seconds']:.1f} s) -> {out_dir}"
    )
