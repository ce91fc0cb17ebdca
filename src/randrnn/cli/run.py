"""``randrnn run``: the main job. DMFT, prediction, simulation, comparison, report."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from randrnn.cli.simulate import config_options, load_config, out_option


def _fmt_ok(ok: bool) -> str:
    return "<span class='ok'>yes</span>" if ok else "<span class='bad'>no</span>"


def build_report(ds: Any, out_dir: Path, summary: dict[str, Any]) -> Path:
    """Write ``figures/*.png`` and ``report.html`` for a run Dataset."""
    from randrnn import report
    from randrnn.plots import run as run_plots

    pngs = report.write_figures(ds, out_dir / "figures", run_plots.ALL)
    cfg, d, p, c = summary["config"], summary["dmft"], summary["prediction"], summary["comparison"]
    sim, res = summary["simulation"], summary["residuals"]
    ens, net, st = cfg["ensemble"], cfg["network"], cfg["simulation"]
    intro = (
        f"Network: {net['phi']} nonlinearity, N = {ens['n']}, g = {ens['g']}, "
        f"&sigma; = {net.get('sigma', 0)}, &sigma;<sub>b</sub> = {net.get('sigma_b', 0)}; "
        f"one coupling realization (seed {summary['seeds']['coupling']}) simulated for "
        f"{st.get('n_trials')} trials &times; {sim['t_sampled']:g} &tau;. The full N&times;N "
        "covariance of this realization is predicted from the linear-equivalent network "
        "(Clark 2026, arXiv 2604.23489: same couplings, gain &mu;<sub>1</sub> and independent "
        "residual noise from the DMFT) and compared with the simulation, next to the "
        "simulation's own split-half noise ceiling, and with the naive Gaussian closure."
    )
    sections = [
        (
            "Dynamical mean-field theory",
            (
                "Population-averaged autocovariances: DMFT against the simulation (raw, "
                "including any static part)."
            ),
            [
                ("Δ0 (DMFT)", d["delta0"], "variance of x"),
                ("Δ0 (simulation)", sim["delta0_sim"], f"± {sim['delta0_sim_se']:.2g} (1 SE)"),
                (
                    "max |z| over lags (x)",
                    sim["acf_x_max_abs_z"],
                    (
                        "DMFT vs simulated Δ(t), raw; SE is temporal only: this realization's "
                        "deviation from the ensemble (quenched, slow near-critical modes) is "
                        "not in it"
                    ),
                ),
                (
                    "max |z| over lags (x, connected)",
                    sim.get("acf_x_connected_max_abs_z", float("nan")),
                    "centred on each unit's mean vs Δ(t) - Δ∞: no finite-N static part",
                ),
                ("μ1 = E[φ']", d["mu1"], "gain of the linear-equivalent network"),
                ("g μ1", d["g_mu1"], "distance to the edge: 1 - g μ1"),
                ("C(0) = E[φ²]", d["c0"], ""),
                ("regime", d["regime"], ""),
            ],
            ["autocovariance"],
        ),
        (
            "Covariance of one realization: prediction vs simulation",
            (
                "Off-diagonal agreement is judged against the ceiling: the correlation an exact "
                "prediction would reach with this finite simulation (Spearman-Brown corrected "
                "split-half correlation)."
            ),
            [
                ("off-diagonal corr (φ)", c["offdiag_corr"], "prediction vs simulation"),
                ("split-half ceiling (φ)", c["offdiag_corr_ceiling"], "noise ceiling"),
                ("fraction of ceiling (φ)", c["ceiling_fraction"], ""),
                (
                    "relative Frobenius error (φ)",
                    c["rel_frobenius"],
                    f"sampling noise alone: {c['rel_frobenius_noise']:.3g}",
                ),
                ("diagonal corr (φ)", c["diag_corr"], "per-unit variances"),
                (
                    "off-diagonal corr (x)",
                    c["x_offdiag_corr"],
                    f"ceiling {c['x_offdiag_corr_ceiling']:.3g}",
                ),
                (
                    "participation ratio φ: pred / sim",
                    f"{c['pr_pred']:.2f} / {c['pr_sim_unbiased']:.2f}",
                    "sim: tr(C1 C2) of halves (no noise inflation)",
                ),
                (
                    "participation ratio x: pred / sim",
                    f"{c['x_pr_pred']:.2f} / {c['x_pr_sim_unbiased']:.2f}",
                    "",
                ),
                ("prediction method", p["method"], f"{p['seconds']:.1f} s"),
                ("min Re(1 - μ1 λ)", p["min_re_alpha"], "stability margin of this realization"),
            ],
            ["covariance_heatmaps", "offdiag_scatter", "spectra"],
        ),
    ]
    if "naive_offdiag_corr" in c:
        better = (
            c["offdiag_corr"] > c["naive_offdiag_corr"]
            and c["rel_frobenius"] < c["naive_rel_frobenius"]
        )
        sections.append(
            (
                "The naive Gaussian closure",
                (
                    "Treating preactivations as jointly Gaussian misses the cross terms "
                    "aJC + C J<sup>T</sup>a* (physics.md section 3). Linear-equivalent "
                    f"prediction better on both metrics: {_fmt_ok(better)}."
                ),
                [
                    (
                        "off-diagonal corr (φ), naive",
                        c["naive_offdiag_corr"],
                        f"correct: {c['offdiag_corr']:.3g}",
                    ),
                    (
                        "relative Frobenius error (φ), naive",
                        c["naive_rel_frobenius"],
                        f"correct: {c['rel_frobenius']:.3g}",
                    ),
                    ("participation ratio φ, naive", c["naive_pr"], ""),
                ],
                ["naive_vs_correct"],
            )
        )
    rows = [
        (
            "RMS off-diag cov(r) / RMS off-diag cov(φ)",
            res["rms_ratio"],
            "bias-corrected with the two halves",
        ),
        ("mean square off-diag cov(r)", res["ms_offdiag_r"], f"± {res['ms_offdiag_r_se']:.2g}"),
        ("mean square off-diag cov(φ)", res["ms_offdiag_phi"], f"± {res['ms_offdiag_phi_se']:.2g}"),
    ]
    if "wick" in summary:
        w = summary["wick"]
        rows += [
            (
                "RMS standardised κ4 (distinct units)",
                w["rms_kappa"],
                f"sampling noise {w['rms_kappa_noise']:.2g}; {w['n_quadruples']} quadruples",
            ),
            ("RMS Gaussian part", w["rms_gaussian_part"], "products of pair covariances"),
            ("fraction |z| > 3", w["frac_abs_z_gt_3"], "0.0027 expected if κ4 = 0"),
        ]
    sections.append(
        (
            "Residuals and the Wick test",
            (
                "Residuals r<sub>i</sub> = φ<sub>i</sub> - ⟨φ<sub>i</sub>⟩ - "
                "g<sub>i</sub>x<sub>i</sub>: their cross-covariances should be O(1/N), those "
                "of φ O(1/√N); run <code>randrnn scaling</code> for the N dependence."
            ),
            rows,
            ["residuals"],
        )
    )
    meta = {
        "randrnn": summary["versions"]["randrnn_version"],
        "numpy / scipy": f"{summary['versions']['numpy_version']} / "
        f"{summary['versions']['scipy_version']}",
        "seeds": summary["seeds"],
        "seconds": {k: round(v, 2) for k, v in summary["seconds"].items()},
        "created": summary["versions"]["created"],
    }
    return report.write_report(
        out_dir / "report.html",
        title="randrnn: linear-equivalent covariance of one realization",
        intro=intro,
        sections=sections,
        pngs=pngs,
        meta=meta,
    )


@click.command("run")
@config_options
@out_option("randrnn-run")
def command(config: str | None, overrides: tuple[str, ...], out: str) -> None:
    """Run the main job: DMFT, prediction, simulation, comparison and report.

    With no CONFIG, the built-in default runs (tanh, g = 3, N = 1000, 128 trials x 1000 tau;
    a few minutes on 2 cores). Writes DIR/results.zarr, DIR/figures/*.png, DIR/report.html and
    DIR/summary.json.
    """
    from randrnn import io
    from randrnn.covariance import UnstableNetworkError
    from randrnn.errors import ConvergenceError, DivergenceError
    from randrnn.experiment import DEFAULT_RUN_CONFIG, experiment_from_config, run_experiment

    t0 = time.perf_counter()
    try:
        cfg = load_config(config, overrides, DEFAULT_RUN_CONFIG)
        experiment_from_config(cfg)  # validate before any work
    except (ValueError, TypeError) as exc:
        raise click.UsageError(str(exc)) from exc
    try:
        exp = run_experiment(cfg)
    except (UnstableNetworkError, DivergenceError, ConvergenceError) as exc:
        raise click.ClickException(f"{exc} No output was written.") from exc
    except (ValueError, TypeError) as exc:
        raise click.UsageError(str(exc)) from exc
    out_dir = Path(out)
    t1 = time.perf_counter()
    ds = exp.to_xarray()
    io.save_dataset(ds, out_dir / "results.zarr")
    summary = exp.summary()
    build_report(ds, out_dir, summary)
    summary["seconds"]["write"] = time.perf_counter() - t1
    summary["seconds"]["wall"] = time.perf_counter() - t0
    summary["store"] = str(out_dir / "results.zarr")
    summary["report"] = str(out_dir / "report.html")
    io.write_json(summary, out_dir / "summary.json")
    c = summary["comparison"]
    click.echo(
        f"off-diagonal corr (phi) {c['offdiag_corr']:.3f} (ceiling {c['offdiag_corr_ceiling']:.3f}"
        f", naive closure {c.get('naive_offdiag_corr', float('nan')):.3f}); "
        f"PR pred {c['pr_pred']:.1f} / sim {c['pr_sim_unbiased']:.1f}; "
        f"{summary['seconds']['wall']:.0f} s. Report: {out_dir / 'report.html'}"
    )
