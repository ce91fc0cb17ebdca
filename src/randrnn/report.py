"""Self-contained HTML reports (figures inline) from the typed results of the experiments.

The report says what a result means; it computes nothing and decides nothing: every verdict
and criterion it prints comes from the comparison objects of :mod:`randrnn.verify`.

- :func:`write_figures` -- PNG files of figures (name -> function of a result).
- :func:`write_report` -- ``report.html`` with the figures embedded as base64 PNGs.
- :func:`run_sections`, :func:`write_run_report`, :func:`run_headline` -- ``randrnn run``.
- :func:`scaling_sections`, :func:`write_scaling_report`, :func:`scaling_headline` --
  ``randrnn scaling``.
- :func:`spectrum_sections`, :func:`write_spectrum_report`, :func:`spectrum_headline` --
  ``randrnn spectrum``.
- :func:`fixedpoints_sections`, :func:`write_fixedpoints_report`, :func:`fixedpoints_headline`
  -- ``randrnn fixedpoints``.
- :func:`sweep_sections`, :func:`write_sweep_report`, :func:`sweep_headline` -- ``randrnn sweep``
  (a :class:`~randrnn.sweeps.SweepResult`: the grid, failures, figures of the view, the stage
  scaling of the run experiment, the cost of the cluster, the store).
- :func:`use_headless_backend` -- Agg, for commands that write figures without a display.
"""

from __future__ import annotations

import base64
import html
import io as _io
import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from randrnn.io import write_file_atomic


def _fig_png(fig: Any) -> bytes:
    import matplotlib.pyplot as plt

    buf = _io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def write_figures(
    ds: Any, out_dir: str | os.PathLike[str], figures: Mapping[str, Callable[[Any], Any]]
) -> dict[str, bytes]:
    """Render ``figures`` (name -> function of the Dataset) to ``out_dir/<name>.png``.

    Each file is written atomically; a failed write (a full disk) leaves no temporary file.

    Returns
    -------
    dict
        Name -> PNG bytes.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pngs = {}
    for name, fn in figures.items():
        png = _fig_png(fn(ds))
        write_file_atomic(out / f"{name}.png", png)
        pngs[name] = png
    return pngs


def _table(rows: list[tuple[str, Any, str]]) -> str:
    def fmt(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.4g}" if math.isfinite(v) else "undefined"
        return html.escape(str(v))

    body = "".join(
        f"<tr><td>{html.escape(k)}</td><td class='num'>{fmt(v)}</td>"
        f"<td>{html.escape(note)}</td></tr>"
        for k, v, note in rows
    )
    return f"<table><tr><th>quantity</th><th>value</th><th>meaning</th></tr>{body}</table>"


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:0.2em}
h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:0.6em 0;font-size:0.92em}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}
td.num{text-align:right;font-family:monospace}
img{max-width:100%;border:1px solid #eee;margin:0.4em 0} .meta{color:#666;font-size:0.85em}
.ok{color:#1a7f37;font-weight:bold} .bad{color:#b42318;font-weight:bold}
"""


def write_report(
    path: str | os.PathLike[str],
    *,
    title: str,
    intro: str,
    sections: list[tuple[str, str, list[tuple[str, Any, str]], list[str]]],
    pngs: Mapping[str, bytes],
    meta: Mapping[str, Any],
) -> Path:
    """Write a self-contained HTML report atomically (no temporary file is left on failure).

    Parameters
    ----------
    path : str or Path
        Destination ``.html``.
    title, intro : str
        Heading and an introductory paragraph (HTML allowed in ``intro``).
    sections : list
        ``(heading, text, table_rows, figure_names)`` per section; ``table_rows`` are
        ``(quantity, value, meaning)``.
    pngs : mapping
        Figure name -> PNG bytes.
    meta : mapping
        Shown at the bottom (versions, seeds, timings).

    Returns
    -------
    Path
        The written file.
    """
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1><p>{intro}</p>",
    ]
    for heading, text, rows, figs in sections:
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        if text:
            parts.append(f"<p>{text}</p>")
        if rows:
            parts.append(_table(rows))
        for name in figs:
            if name in pngs:
                b64 = base64.b64encode(pngs[name]).decode()
                parts.append(f"<img alt='{html.escape(name)}' src='data:image/png;base64,{b64}'>")
    meta_html = "<br>".join(f"{html.escape(k)}: {html.escape(str(v))}" for k, v in meta.items())
    parts.append(f"<h2>Provenance</h2><p class='meta'>{meta_html}</p></body></html>")
    return write_file_atomic(path, "".join(parts))


# ----------------------------------------------------------------------------------------------
# Headless figures


def use_headless_backend() -> None:
    """Select matplotlib's non-interactive Agg backend, for commands that only write files.

    Call it before the first figure of a command-line run; never on import (a user's notebook
    keeps its backend).
    """
    import matplotlib

    matplotlib.use("Agg")


# ----------------------------------------------------------------------------------------------
# The narratives: what each experiment's report says, from its typed result

Row = tuple[str, Any, str]
Section = tuple[str, str, list[Row], list[str]]


def _fmt_ok(ok: bool | None) -> str:
    if ok is None:
        return "-"
    return "<span class='ok'>yes</span>" if ok else "<span class='bad'>no</span>"


def _g(v: float, spec: str = ".3g") -> str:
    return format(v, spec) if isinstance(v, (int, float)) and math.isfinite(v) else "undefined"


def _verdict_row(label: str, comparison: Any) -> Row:
    return (label, comparison.verdict, comparison.criterion)


def run_sections(result: Any) -> tuple[str, list[Section]]:
    """The introduction and sections of a run's report.

    Parameters
    ----------
    result : randrnn.experiments.RunResult
        A finished run.

    Returns
    -------
    tuple
        ``(intro, sections)`` for :func:`write_report` (``intro`` is HTML).
    """
    net = result.realization.network
    sim = result.simulation
    d, p = result.dmft, result.prediction
    c, ac = result.covariance, result.autocovariance
    gain = net.ensemble.statistics().iid_gain()
    intro = (
        f"Network: {html.escape(net.phi.name)} nonlinearity, N = {result.realization.n}, "
        f"g = {_g(gain) if gain is not None else 'n/a'}, &sigma; = {net.sigma:g}, "
        f"&sigma;<sub>b</sub> = {net.sigma_b:g}; one coupling realization (seed "
        f"{result.realization.seeds.coupling}) simulated for {sim.settings.n_trials} trials "
        f"&times; {sim.t_sampled:g} &tau;. The full N&times;N covariance of this realization is "
        "predicted from the linear-equivalent network (Clark 2026, arXiv 2604.23489: same "
        "couplings, gain &mu;<sub>1</sub> and independent residual noise from the DMFT) and "
        "compared with the simulation, next to the simulation's own split-half noise ceiling, "
        "and with the naive Gaussian closure. Standard errors are temporal (batch means over "
        "time blocks): the deviation of this realization from the ensemble is not in them."
    )
    sections: list[Section] = [
        (
            "Dynamical mean-field theory",
            (
                "Population-averaged autocovariances: DMFT against the simulation (raw, "
                "including any static part)."
            ),
            [
                ("Δ0 (DMFT)", d.delta0, "variance of x"),
                ("Δ0 (simulation)", ac.x.delta0_sim, f"± {_g(ac.x.delta0_se, '.2g')} (1 SE)"),
                (
                    "max |z| over lags (x)",
                    ac.x.max_abs_z,
                    (
                        "DMFT vs simulated Δ(t), raw; quenched, slow near-critical modes of "
                        "this realization are not in the SE"
                    ),
                ),
                _verdict_row("verdict (x)", ac.x),
                (
                    "max |z| over lags (x, connected)",
                    ac.x_connected.max_abs_z,
                    "centred on each unit's mean vs Δ(t) - Δ∞: no finite-N static part",
                ),
                _verdict_row("verdict (x, connected)", ac.x_connected),
                *_realization_rows(result),
                ("μ1 = E[φ']", d.mu1, "gain of the linear-equivalent network"),
                (
                    "g μ1",
                    gain * d.mu1 if gain is not None else float("nan"),
                    "distance to the edge: 1 - g μ1",
                ),
                ("C(0) = E[φ²]", d.c0, ""),
                ("regime", d.regime, ""),
            ],
            ["autocovariance"],
        ),
        (
            "Covariance of one realization: prediction vs simulation",
            (
                "Off-diagonal agreement is judged against the ceiling: the correlation an exact "
                "prediction would reach with this finite simulation (Spearman-Brown corrected "
                f"split-half correlation). Verdict (φ): <b>{html.escape(c.phi.verdict)}</b>."
            ),
            [
                ("off-diagonal corr (φ)", c.phi.offdiag_corr, "prediction vs simulation"),
                ("split-half ceiling (φ)", c.phi.offdiag_corr_ceiling, "noise ceiling"),
                (
                    "fraction of ceiling (φ)",
                    c.phi.ceiling_fraction,
                    f"± {_g(c.phi.ceiling_fraction_se, '.2g')} (jackknife over units)",
                ),
                (
                    "relative Frobenius error (φ)",
                    c.phi.rel_frobenius,
                    f"sampling noise alone: {_g(c.phi.rel_frobenius_noise)}",
                ),
                _verdict_row("verdict (φ)", c.phi),
                ("diagonal corr (φ)", c.phi.diag_corr, "per-unit variances"),
                (
                    "off-diagonal corr (x)",
                    c.x.offdiag_corr,
                    f"ceiling {_g(c.x.offdiag_corr_ceiling, '.3f')}",
                ),
                _verdict_row("verdict (x)", c.x),
                (
                    "participation ratio φ: pred / sim",
                    f"{_g(c.phi.pr_pred, '.2f')} / {_g(c.phi.pr_sim_unbiased, '.2f')}",
                    "sim: tr(C1 C2) of halves (no noise inflation)",
                ),
                (
                    "participation ratio x: pred / sim",
                    f"{_g(c.x.pr_pred, '.2f')} / {_g(c.x.pr_sim_unbiased, '.2f')}",
                    "",
                ),
                (
                    "theory",
                    result.theory,
                    (
                        "homogeneous: one gain μ1 and residual spectrum for all units; "
                        "heterogeneous: each unit's own mean, gain and residual spectrum"
                    ),
                ),
                ("prediction method", p.method, f"{sum(p.seconds.values()):.1f} s"),
                ("min Re(1 - μ1 λ)", p.min_re_alpha, "stability margin of this realization"),
                _proximity_row(p),
            ],
            ["covariance_heatmaps", "offdiag_scatter", "spectra"],
        ),
        _naive_section(result),
        _residual_section(result),
    ]
    return intro, sections


def _proximity_row(p: Any) -> Row:
    """The realization's distance to the edge against its size (FiniteSizeWarning)."""
    from randrnn.covariance import EDGE_PROXIMITY_WARNING

    prox = 1.0 / (p.n * max(p.min_re_alpha, 1e-300) ** 2)
    flag = (
        "<span class='bad'>FiniteSizeWarning: the slowest mode is within the N^-1/2 zone of "
        "the edge; expect the slow modes to be overestimated</span>"
        if prox >= EDGE_PROXIMITY_WARNING
        else "below the warning level 1"
    )
    return ("edge proximity 1/(N min Re²)", prox, f"{flag} (docs/theory.md section 8.6)")


def _realization_rows(result: Any) -> list[Row]:
    """Rows for the realization's own autocovariance and means (when predicted)."""
    ac = result.autocovariance
    rows: list[Row] = []
    if ac.x_realization is not None:
        rows += [
            (
                "max |z| over lags (x, this realization)",
                ac.x_realization.max_abs_z,
                (
                    "connected simulation vs (1/N) tr C_x(t) of this realization's "
                    "linear-equivalent network (its slow modes included)"
                ),
            ),
            _verdict_row("verdict (x, this realization)", ac.x_realization),
            (
                "max |z| over lags (x, own order parameters)",
                ac.x_self_consistent.max_abs_z if ac.x_self_consistent is not None else "n/a",
                (
                    "the same with μ1 and s_r solved from this realization's own autocovariance "
                    "(beyond the paper; docs/theory.md section 8.5)"
                ),
            ),
            (
                "max |z| over lags (φ, this realization)",
                ac.phi_realization.max_abs_z,
                "connected simulation vs (1/N) tr C_φ(t)",
            ),
        ]
    z = result.means_z
    if z is not None:
        rows.append(
            (
                "per-unit means: RMS z / max |z|",
                (
                    f"{_g(float(np.sqrt(np.nanmean(z**2))), '.2f')} / "
                    f"{_g(float(np.nanmax(np.abs(z))), '.2f')}"
                ),
                "simulated time-averaged x_i vs the realization's mean field m = b + J ψ(m)",
            )
        )
    return rows


def _naive_section(result: Any) -> Section:
    naive, c = result.naive, result.covariance
    head = "The naive Gaussian closure"
    theory = (
        "Treating preactivations as jointly Gaussian misses the cross terms "
        "aJC + C J<sup>T</sup>a* (docs/theory.md section 3)."
    )
    if naive.phi is None:
        if naive.status == "disabled":
            why = "disabled by <code>prediction.naive = false</code>."
        else:
            why = f"not applicable to this realization: {html.escape(naive.reason)}"
        return head, f"{theory} Not compared: {why}", [], []
    text = (
        f"{theory} Linear-equivalent prediction better on both metrics: "
        f"{_fmt_ok(result.linear_beats_naive)}."
    )
    rows: list[Row] = [
        (
            "off-diagonal corr (φ), naive",
            naive.phi.offdiag_corr,
            f"correct: {_g(c.phi.offdiag_corr)}",
        ),
        (
            "relative Frobenius error (φ), naive",
            naive.phi.rel_frobenius,
            f"correct: {_g(c.phi.rel_frobenius)}",
        ),
        ("participation ratio φ, naive", naive.phi.pr_pred, ""),
    ]
    return head, text, rows, ["naive_vs_correct"]


def _residual_section(result: Any) -> Section:
    res = result.residuals
    rows: list[Row] = [
        (
            "RMS off-diag cov(r) / RMS off-diag cov(φ)",
            res.rms_ratio,
            "bias-corrected with the two halves",
        ),
        ("mean square off-diag cov(r)", res.ms_offdiag_r, f"± {_g(res.ms_offdiag_r_se, '.2g')}"),
        (
            "mean square off-diag cov(φ)",
            res.ms_offdiag_phi,
            f"± {_g(res.ms_offdiag_phi_se, '.2g')}",
        ),
    ]
    w = result.wick
    if w is not None:
        left_out = f"; {w.n_zero_se} with zero SE left out" if w.n_zero_se else ""
        rows += [
            (
                "RMS standardised κ4 (distinct units)",
                w.rms_kappa,
                f"sampling noise {_g(w.rms_kappa_noise, '.2g')}; {w.n_quadruples} quadruples",
            ),
            ("RMS Gaussian part", w.rms_gaussian_part, "products of pair covariances"),
            (
                "fraction |z| > 3",
                w.frac_abs_z_gt_3,
                f"{w.expected_frac:.2g} expected if κ4 = 0{left_out}",
            ),
            _verdict_row("Wick test", w),
        ]
    text = (
        "Residuals r<sub>i</sub> = φ<sub>i</sub> - ⟨φ<sub>i</sub>⟩ - "
        "g<sub>i</sub>x<sub>i</sub>: their cross-covariances should be O(1/N), those "
        "of φ O(1/√N); run <code>randrnn scaling</code> for the N dependence."
    )
    return "Residuals and the Wick test", text, rows, ["residuals"]


def _meta(seeds: Any, seconds: Mapping[str, float]) -> dict[str, Any]:
    from randrnn.io import provenance

    prov = provenance()
    return {
        "randrnn": prov.get("randrnn_version"),
        "numpy / scipy": f"{prov.get('numpy_version')} / {prov.get('scipy_version')}",
        "seeds": seeds,
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
        "created": prov.get("created"),
    }


def write_run_report(
    result: Any, out_dir: str | os.PathLike[str], figures: Mapping[str, Callable[[Any], Any]]
) -> Path:
    """Write ``figures/*.png`` and ``report.html`` of a run into ``out_dir``.

    Parameters
    ----------
    result : randrnn.experiments.RunResult
        A finished run.
    out_dir : str or Path
        Output directory (created if needed).
    figures : mapping
        Figure name -> function of the result (``randrnn.plots.run.ALL``).

    Returns
    -------
    Path
        The report.
    """
    out = Path(out_dir)
    pngs = write_figures(result, out / "figures", figures)
    intro, sections = run_sections(result)
    return write_report(
        out / "report.html",
        title="randrnn: linear-equivalent covariance of one realization",
        intro=intro,
        sections=sections,
        pngs=pngs,
        meta=_meta(result.realization.seeds.to_dict(), result.seconds),
    )


def run_headline(result: Any) -> str:
    """One line for the terminal: the main numbers of a run and its verdict."""
    c = result.covariance.phi
    naive = result.naive
    nv = (
        f"naive closure {_g(naive.phi.offdiag_corr, '.3f')}"
        if naive.phi is not None
        else f"naive closure {naive.status}"
    )
    return (
        f"off-diagonal corr (phi) {_g(c.offdiag_corr, '.3f')} (ceiling "
        f"{_g(c.offdiag_corr_ceiling, '.3f')}, {nv}); PR pred {_g(c.pr_pred, '.1f')} / sim "
        f"{_g(c.pr_sim_unbiased, '.1f')}; {c.verdict}"
    )


def scaling_sections(result: Any) -> tuple[str, list[Section]]:
    """The introduction and sections of a scaling sweep's report.

    Parameters
    ----------
    result : randrnn.sweeps.ScalingResult
        A finished sweep.

    Returns
    -------
    tuple
        ``(intro, sections)`` for :func:`write_report`.
    """
    rows: list[Row] = []
    corr, ceil = result.mean("offdiag_corr"), result.mean("offdiag_corr_ceiling")
    naive = result.mean("naive_offdiag_corr")
    for i, n in enumerate(result.sizes):
        rows.append(
            (
                f"N = {n}",
                f"{_g(corr[i], '.3f')} / {_g(ceil[i], '.3f')} / {_g(naive[i], '.3f')}",
                "off-diag corr: prediction / ceiling / naive",
            )
        )
    for name, fit in (("residual", result.residual), ("activity", result.activity)):
        rows.append(
            (
                f"RMS {name} cross-cov exponent",
                f"{_g(fit.exponent, '.2f')} ± {_g(fit.exponent_se, '.2f')}",
                f"theory: {fit.theory:g}",
            )
        )
    skipped = sorted({s for row in result.naive_status for s in row if s != "compared"})
    text = (
        "Naive closure not compared in some runs: " + html.escape("; ".join(skipped))
        if skipped
        else ""
    )
    intro = (
        f"Sizes {list(result.sizes)}, {result.n_realizations} coupling realization(s) each "
        f"(coupling seeds {list(result.coupling_seeds)}, spawned from seeds.coupling). "
        "Per-realization values are in <code>scaling.zarr</code>; error bars are the spread "
        "over realizations."
    )
    return intro, [("Scaling with N", text, rows, ["scaling"])]


def write_scaling_report(
    result: Any,
    out_dir: str | os.PathLike[str],
    figures: Mapping[str, Callable[[Any], Any]],
    seconds: Mapping[str, float],
) -> Path:
    """Write ``figures/*.png`` (``{"scaling": randrnn.plots.run.scaling}``) and ``report.html``
    of a scaling sweep into ``out_dir``."""
    out = Path(out_dir)
    pngs = write_figures(result, out / "figures", figures)
    intro, sections = scaling_sections(result)
    return write_report(
        out / "report.html",
        title="randrnn: convergence of the linear-equivalent covariance with N",
        intro=intro,
        sections=sections,
        pngs=pngs,
        meta=_meta(list(result.coupling_seeds), seconds),
    )


def scaling_headline(result: Any) -> str:
    """One line for the terminal: the fitted exponents."""
    r, a = result.residual, result.activity
    return (
        f"residual RMS ~ N^({_g(r.exponent, '.2f')} ± {_g(r.exponent_se, '.2f')}), activity "
        f"RMS ~ N^({_g(a.exponent, '.2f')} ± {_g(a.exponent_se, '.2f')})"
    )


def spectrum_sections(result: Any) -> tuple[str, list[Section]]:
    """The introduction and sections of a spectrum report.

    Parameters
    ----------
    result : randrnn.experiments.spectrum.SpectrumResult
        A finished spectrum experiment.

    Returns
    -------
    tuple
        ``(intro, sections)`` for :func:`write_report`.
    """
    e, m = result.edge, result.measurement
    rows: list[Row] = [
        ("edge, predicted", e.edge, f"rightmost point of the support ({e.kind})"),
        (
            "edge, numerics",
            m.edge,
            f"± {_g(m.edge_se, '.2g')} (1 SE over {m.n_realizations} realizations)",
        ),
        ("bulk height, predicted", e.height, "extent of the support along Im"),
        (
            "(numeric - predicted) / height",
            result.deviation_over_height,
            "deviation in units of the bulk width",
        ),
        ("outliers, predicted", len(result.outliers.values), "from the block means"),
        ("n", result.ensemble.n, ""),
    ]
    sections: list[Section] = [("Spectrum and predicted support", "", rows, ["spectrum"])]
    sens = result.sensitivity
    if sens is not None:
        srows: list[Row] = []
        for st, c in sens.comparisons.items():
            seg = list(c.points_segment)
            note = (
                f"max |dev| / width = {_g(c.max_abs_dev_over_width)}, max |z| = "
                f"{_g(c.max_abs_z, '.2g')} over {c.points_compared} points"
                + (f"; not compared (tau-support edge): {seg}" if seg else "")
            )
            srows.append((st, c.verdict, note))
        srows += [(st, "skipped", why) for st, why in sens.skipped.items()]
        criterion = next(iter(sens.comparisons.values())).criterion if sens.comparisons else ""
        sections.append(
            (
                "Edge sensitivity",
                (
                    "The predicted edge (dense large-N theory) along each statistic, against the "
                    f"edge of sampled spectra at n = {sens.n} ({sens.n_realizations} "
                    f"realizations per point). Agreement: {html.escape(criterion)}. z-scores use "
                    f"the SE over {sens.n_realizations} realizations, itself uncertain, and the "
                    "finite-n bias of the edge estimate is not subtracted."
                ),
                srows,
                ["edge_sensitivity"],
            )
        )
    intro = (
        "Jacobian A = T<sup>-1</sup>(-I + W G) of a sparse E/I block ensemble "
        "(Chotibut, Evnin &amp; Horinouchi, arXiv:2512.12767)."
    )
    if getattr(result, "sparse", None) is not None:
        sections[1:1] = _sparse_sections(result)
        intro += (
            " Theory: the dense limit and the finite-connectivity theory (growth-rate edge, "
            "population dynamics on the cavity equations, the bar of units on no cycle; "
            "docs/theory.md sections 5.5 and 5.7)."
        )
    return intro, sections


def _html_table(head: list[str], rows: list[list[str]]) -> str:
    """An HTML table of already formatted (escaped) cells."""
    h = "".join(f"<th>{x}</th>" for x in head)
    body = "".join(
        "<tr>"
        + "".join(f"<td class='num'>{c}</td>" if i else f"<td>{c}</td>" for i, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return f"<table><tr>{h}</tr>{body}</table>"


def _pm(value: float, se: float) -> str:
    return f"{_g(value, '.4g')} ± {_g(se, '.2g')}"


def _bound(v: float) -> str:
    return ("−∞" if v < 0 else "+∞") if math.isinf(v) else f"{v:.4g}"


def _sparse_sections(result: Any) -> list[Section]:
    """Sections of the finite-connectivity comparison (``result.sparse``)."""
    sp = result.sparse
    e, m, c, p, sc = sp.edge, sp.measurement, sp.comparison, sp.prediction, sp.component
    r = m.n_realizations
    edge_rows: list[Row] = [
        ("edge, finite connectivity", e.edge, "rightmost point where the growth rate >= 0"),
        (
            "edge, first-moment criterion",
            e.edge_first_moment,
            "the dense formula with second moments c E[w²] (an upper bound)",
        ),
        ("edge, dense limit", result.edge.edge, "variances; no bar"),
        ("bulk height, finite connectivity", e.height, "extent of the support along Im"),
        (
            "growth rate at 0",
            e.growth_at_zero,
            "the bulk is unstable iff >= 0 (independent of the timescales)",
        ),
        (
            "rightmost eigenvalue of the giant component, measured",
            m.giant_rightmost,
            (
                f"± {_g(m.giant_rightmost_se, '.2g')} (1 SE over {r} realizations); at small c "
                "it sits inside the predicted edge"
            ),
        ),
        (
            "bar eigenvalues, predicted",
            sc.expected_bar_count,
            (
                f"n × bar fraction {_g(sc.bar_fraction, '.4g')} (units outside the giant "
                "strongly connected component)"
            ),
        ),
        (
            "bar eigenvalues, measured",
            m.bar_count,
            (
                f"± {_g(m.bar_count_se, '.2g')} (exact −1/τ_i of singleton components); "
                f"z = {_g(sp.bar_count_z, '.2f')}"
            ),
        ),
        (
            "giant component fraction",
            m.giant_fraction,
            (
                f"± {_g(m.giant_fraction_se, '.2g')} measured; "
                f"{_g(float(np.sum(sc.bulk_fraction)), '.4g')} predicted"
            ),
        ),
        ("outliers, predicted", len(sp.outliers.values), "outside the finite-connectivity support"),
    ]
    head = [
        "region",
        "[x0, x1) × [y0, y1)",
        "predicted ± SE",
        "dense limit",
        f"measured ± SE ({r} realizations)",
        "z",
        "z (dense)",
    ]
    rows = []
    for i, name in enumerate(sp.region_names):
        b = sp.rectangles[i]
        zd = c.z_dense[i] if c.z_dense is not None else math.nan
        rows.append(
            [
                html.escape(str(name)),
                f"[{_bound(b[0])}, {_bound(b[1])}) × [{_bound(b[2])}, {_bound(b[3])})",
                _pm(float(p.fraction[i]), float(p.fraction_se[i])),
                _g(float(sp.dense_fraction[i]), ".4g"),
                _pm(float(m.fraction[i]), float(m.fraction_se[i])),
                _g(float(c.z[i]), "+.2f"),
                _g(float(zd), "+.2f"),
            ]
        )
    ok = "" if c.passed is None else ("ok" if c.passed else "bad")
    regions_text = (
        (
            "Automatic regions: R1 right of x<sub>r</sub> (15% of the bulk height left of the "
            "edge, right of every timescale pole), R2/R4 the bulk above/below |Im| = height/8, R3 "
            "the strip around the real axis holding the bar. "
            if sp.automatic
            else ""
        )
        + "Sides cross the real axis only outside the segment of timescale poles. "
        + _html_table(head, rows)
        + f"Verdict: <span class='{ok}'>{html.escape(c.verdict)}</span>. Criterion: "
        + f"{html.escape(c.criterion)}. The largest |z| of the dense limit is "
        + f"{_g(c.max_abs_z_dense, '.3g')}."
        + (f" {html.escape(sp.dense_note)}" if sp.dense_note else "")
        + " The SE over a few realizations is itself uncertain; the finite-n bias of the "
        "large-n theory is not in it."
    )
    ch = sp.chi2
    density_rows: list[Row] = [
        ("chi² / cell", ch.per_dof, "below 1 is expected: eigenvalues repel (sub-Poisson)"),
        ("cells compared", ch.cells, f"upper half-plane, expected count >= {ch.min_expected:g}"),
        ("p-value (Poisson counts)", ch.p_value, "conservative for repelling eigenvalues"),
        ("eigenvalues counted", ch.n_eigenvalues, f"n × {r} realizations"),
    ]
    density_text = (
        "Predicted eigenvalue mass per cell (population dynamics, "
        f"{html.escape(str(p.settings.to_dict()))}) against the histogram of the sampled "
        "eigenvalues on the same grid. The row of cells on the real axis is left out (the bar, "
        "and cells the prediction treats only approximately), and so is the lower half-plane "
        "(the mirror image: conjugate pairs)."
    )
    out: list[Section] = [
        ("Finite connectivity: edge, bar and outliers", "", edge_rows, []),
        ("Eigenvalue fractions in regions", regions_text, [], ["regions"]),
        (
            "Eigenvalue density at finite connectivity",
            density_text,
            density_rows,
            ["sparse_density"],
        ),
    ]
    sw = sp.sweep
    if sw is not None:
        shead = [
            html.escape(sw.degree_label),
            "edge, finite connectivity",
            "edge, first moment",
            "edge, dense limit",
            "giant rightmost ± SE",
            "rightmost, predicted median",
            f"{sw.quantile:g} quantile of Re λ ± SE",
            f"{sw.quantile:g} quantile, predicted",
            "giant fraction",
        ]
        srows = [
            [
                _g(float(sw.degree[i]), ".3g"),
                _g(float(sw.edge_sparse[i]), ".4g"),
                _g(float(sw.edge_first_moment[i]), ".4g"),
                _g(float(sw.edge_dense[i]), ".4g"),
                _pm(float(sw.giant_rightmost[i]), float(sw.giant_rightmost_se[i])),
                _g(float(sw.rightmost_pred[i]), ".4g"),
                _pm(float(sw.quantile_real[i]), float(sw.quantile_real_se[i])),
                _g(float(sw.quantile_pred[i]), ".4g"),
                _g(float(sw.giant_fraction[i]), ".3g"),
            ]
            for i in range(sw.factors.size)
        ]
        out.append(
            (
                "Edge vs mean in-degree",
                (
                    "Every in-degree multiplied by a factor and every weight by its inverse "
                    "square root, so that c E[w²] (the dense-limit statistics) stays fixed; "
                    f"numerics at n = {sw.n}, {sw.n_realizations} realizations per point "
                    "(strongly connected components, the giant one by dense LAPACK or Arnoldi). "
                    "At small c the rightmost eigenvalue sits inside the edge (the density "
                    "vanishes smoothly there; its predicted median solves n F(x) = log 2, F the "
                    "predicted fraction right of x) and is occasionally far outside it (rare "
                    "strong short cycles the tree theory does not describe); the quantile is the "
                    "robust comparison (its prediction is undefined where it falls among the "
                    "timescale poles). " + _html_table(shead, srows)
                ),
                [],
                ["edge_vs_degree"],
            )
        )
    return out


def write_spectrum_report(
    result: Any, out_dir: str | os.PathLike[str], figures: Mapping[str, Callable[[Any], Any]]
) -> Path:
    """Write ``figures/*.png`` (``randrnn.plots.spectrum.figures(result)``) and ``report.html``
    of a spectrum experiment into ``out_dir``."""
    from randrnn.io import provenance

    out = Path(out_dir)
    pngs = write_figures(result, out / "figures", figures)
    intro, sections = spectrum_sections(result)
    return write_report(
        out / "report.html",
        title="randrnn spectrum: Jacobian eigenvalues vs random-matrix theory",
        intro=intro,
        sections=sections,
        pngs=pngs,
        meta={**provenance(), "seed": result.seed, "seconds": round(result.seconds, 2)},
    )


def spectrum_headline(result: Any) -> str:
    """One line for the terminal: predicted and measured edge (with the sparse theory: the
    finite-connectivity edge and the largest |z| of the region fractions)."""
    m = result.measurement
    sp = getattr(result, "sparse", None)
    if sp is not None:
        c = sp.comparison
        return (
            f"edge_sparse_pred={_g(sp.edge.edge, '.4f')} edge_dense_pred={result.edge.edge:.4f} "
            f"giant_rightmost={_g(sp.measurement.giant_rightmost, '.4f')}"
            f"±{_g(sp.measurement.giant_rightmost_se, '.4f')} "
            f"regions max|z|={_g(c.max_abs_z, '.2f')} ({c.verdict}) "
            f"n={result.ensemble.n} ({result.seconds:.1f} s)"
        )
    return (
        f"edge_pred={result.edge.edge:.4f} edge_numeric={m.edge:.4f}±{m.edge_se:.4f} "
        f"n={result.ensemble.n} ({result.seconds:.1f} s)"
    )


# ----------------------------------------------------------------------------------------------
# randrnn fixedpoints


def _scalar_rows(summary: Mapping[str, Any], prefix: str = "") -> list[Row]:
    """Rows of the scalar entries of a (nested) summary dict; lists are left out."""
    rows: list[Row] = []
    for k, v in summary.items():
        if isinstance(v, Mapping):
            rows += _scalar_rows(v, f"{prefix}{k}.")
        elif isinstance(v, (bool, int, float, str)) or v is None:
            rows.append((f"{prefix}{k}", "undefined" if v is None else v, ""))
    return rows


def fixedpoints_sections(result: Any) -> tuple[str, list[Section]]:
    """The introduction and sections of a fixed-points report.

    Parameters
    ----------
    result : randrnn.experiments.fixedpoints.FixedPointsResult
        A finished fixed-point experiment.

    Returns
    -------
    tuple
        ``(intro, sections)`` for :func:`write_report`.
    """
    fp = result.fixed_points
    s = fp.summary()
    st = s["starts"]
    rows: list[Row] = [
        ("fixed points", s["n_fixed"], f"|F(x*)| <= {fp.tol:g}"),
        (
            "  stable / marginal / unstable",
            f"{s.get('n_stable', 0)} / {s.get('n_marginal', 0)} / {s.get('n_unstable', 0)}",
            f"rightmost Jacobian eigenvalue vs ±{fp.stability_tol:g}",
        ),
        ("slow points", s["n_slow"], "local minima of q = |F|^2/2 with q > 0"),
        ("largest residual of a fixed point", s["max_residual_fixed"] or float("nan"), ""),
        ("starts", st["total"], ", ".join(f"{k}: {v}" for k, v in st.items() if k != "total")),
    ]
    sections: list[Section] = [
        (
            "Fixed and slow points",
            (
                "Batched Newton searches with a backtracking line search from random states and "
                "from states of a simulation of the same realization; where Newton stalls, "
                "Levenberg-Marquardt minimises q = |F|^2/2 (slow points). Duplicates are merged "
                "within ten times each point's Newton correction."
            ),
            rows,
            ["states"],
        )
    ]
    lrows: list[Row] = []
    for rel in result.relations:
        worst = max(v for k, v in rel.items() if k not in ("n_silent", "point"))
        lrows.append(
            (
                f"point {rel['point']}: worst relation",
                worst,
                (
                    f"{rel['n_silent']} silent units; eigen-equations, biorthonormality, "
                    "v_r = D v_x, l_x = D l_r, equal drives (active modes)"
                ),
            )
        )
    silent = [lin for lin in result.linearizations if lin.silent_statement()]
    if silent:
        lrows.append(("silent units", "", silent[0].silent_statement()))
    sections.append(
        (
            "Two linearizations: activations x and activities r = phi(x)",
            (
                "A_x = T<sup>-1</sup>(-I + W D) and A_r = -T<sup>-1</sup> + D T<sup>-1</sup> W at "
                "each fixed point (Pagan, Valente, Ostojic &amp; Brody, arXiv:2309.04030): same "
                "spectrum, v_r = D v_x, l_r = D<sup>-1</sup> l_x, l_r<sup>T</sup> b_r = "
                "l_x<sup>T</sup> b_x; relative residuals below."
            ),
            lrows,
            [],
        )
    )
    prow: list[Row] = []
    for p in result.predictions:
        prow += [
            (f"point {p.point}: edge, predicted", p.edge.edge, "dense theory, measured gains"),
            (f"point {p.point}: edge, measured", p.measured_edge, "rightmost eigenvalue"),
            (
                f"point {p.point}: (measured - predicted) / height",
                p.deviation_over_height,
                "one realization: finite-size spread not subtracted",
            ),
        ]
    sections.append(
        (
            "Jacobian spectra at the fixed points",
            (
                "The support of A = T<sup>-1</sup>(-I + J G) predicted by the dense random-matrix "
                "theory with the gains G = phi'(x*) measured at the point (assumed independent of "
                "J; at a fixed point they are not)."
                + (
                    ""
                    if result.no_prediction is None
                    else f" Not predicted for this network: {html.escape(result.no_prediction)}"
                )
            ),
            prow,
            ["eigenvalues"],
        )
    )
    if result.context is not None:
        sections.append(
            (
                "Context dependence",
                (
                    "A context input moves the operating point. In activity coordinates the "
                    "input vectors b_r = D b_x change with context; in activation coordinates "
                    "b_x does not, and context acts through the selection vectors l_x (l_r "
                    "changes only as much as the slow mode itself does). The drive of each mode "
                    "by each input is the same in both coordinates: that is what context selects."
                ),
                _scalar_rows(result.context.summary()),
                ["context"],
            )
        )
    if result.operating is not None:
        sections.append(
            (
                "E/I network at its operating point vs the random-matrix ensemble",
                (
                    "Eigenvalues of the Jacobian of a sparse E/I network with heterogeneous "
                    "timescales at its stable equilibrium, against the prediction from its "
                    "measured block statistics, timescales and gains; a control with the gains "
                    "permuted within each population isolates the theory's independence assumption."
                ),
                _scalar_rows(result.operating.summary()),
                ["operating_point"],
            )
        )
    intro = (
        f"Fixed points of one realization of a {result.realization.n}-unit network "
        f"(phi = {result.realization.network.phi.name}), their two linearizations, and the "
        "random-matrix prediction for their Jacobians."
    )
    return intro, sections


def write_fixedpoints_report(
    result: Any, out_dir: str | os.PathLike[str], figures: Mapping[str, Callable[[Any], Any]]
) -> Path:
    """Write ``figures/*.png`` (``randrnn.plots.fixedpoints.figures(result)``) and
    ``report.html`` of a fixed-point experiment into ``out_dir``."""
    out = Path(out_dir)
    pngs = write_figures(result, out / "figures", figures)
    intro, sections = fixedpoints_sections(result)
    return write_report(
        out / "report.html",
        title="randrnn fixedpoints: fixed points, linearizations, Jacobian spectra",
        intro=intro,
        sections=sections,
        pngs=pngs,
        meta=_meta(result.realization.seeds, result.seconds),
    )


def fixedpoints_headline(result: Any) -> str:
    """One line for the terminal: counts and the worst residual."""
    s = result.fixed_points.summary()
    worst = s["max_residual_fixed"]
    return (
        f"{s['n_fixed']} fixed points ({s.get('n_stable', 0)} stable), {s['n_slow']} slow "
        f"points from {s['starts']['total']} starts; max |F(x*)| = "
        f"{'none' if worst is None else format(worst, '.1e')} "
        f"({result.seconds['total']:.1f} s)"
    )


# ----------------------------------------------------------------------------------------------
# randrnn lowrank


def _lowrank_counts(rows: list[Mapping[str, Any]]) -> tuple[int, int, int, int, float]:
    """``(agree, counted, without_z, exact, max_abs_z)`` of agreement-table rows.

    Rows exact by symmetry (``exact``) are not counted; ``max_abs_z`` is over the counted rows
    with a z (``inf`` when a z is infinite).
    """
    counted = [r for r in rows if not r.get("exact", False)]
    z = np.array([float(r["z"]) for r in counted], dtype=float)
    finite = np.abs(z[np.isfinite(z)])
    return (
        int(sum(bool(r["agree"]) for r in counted)),
        len(counted),
        int(np.sum(np.isnan(z))),
        len(rows) - len(counted),
        float(finite.max(initial=0.0)) if not np.any(np.isinf(z)) else math.inf,
    )


def _zmax_str(z: float) -> str:
    return "inf" if math.isinf(z) else _g(z, ".3g")


def _num(x: float, scale: float = 1.0) -> str:
    """``x`` to four digits; zero below the fixed-point tolerance (1e-12 of ``scale``)."""
    return _g(0.0 if abs(x) < 1e-12 * max(1.0, scale) else x, ".4g")


def _complex_str(value: complex) -> str:
    v = complex(value)
    if not (math.isfinite(v.real) and math.isfinite(v.imag)):
        return "undefined"
    if abs(v.imag) <= 1e-9 * (1.0 + abs(v.real)):
        return f"{v.real:.4g}"
    return f"{v.real:.4g} {'+' if v.imag >= 0 else '-'} {abs(v.imag):.4g}i"


def _lowrank_table(rows: list[Mapping[str, Any]], realizations: int) -> str:
    """HTML table of a comparison's rows: quantity, theory, network mean ± SE, z, agreement."""
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "quantity",
            "theory",
            "network mean ± SE",
            "realizations",
            "z",
            "|z| &le; 3",
        )
    )
    body = []
    for r in rows:
        z = float(r["z"])
        if r.get("exact", False):
            mark = "<span title='exact by symmetry: not counted'>exact</span>"
            zs = "0"
        elif math.isnan(z):
            mark = "<span title='fewer than two realizations: no z'>&ndash;</span>"
            zs = "undefined"
        else:
            mark = "<span class='ok'>✓</span>" if r["agree"] else "<span class='bad'>✗</span>"
            zs = ("+∞" if z > 0 else "−∞") if math.isinf(z) else f"{z:+.2f}"
        se = _g(float(r["se"]), ".2g")
        net = (
            f"{_g(float(r['mean']), '.4g')} ± {se}"
            if math.isfinite(float(r["se"]))
            else _g(float(r["mean"]), ".4g")
        )
        body.append(
            f"<tr><td>{html.escape(str(r['quantity']))}</td>"
            f"<td class='num'>{_num(float(r['theory']))}</td>"
            f"<td class='num'>{net}</td>"
            f"<td class='num'>{int(r['n_realizations'])}/{realizations}</td>"
            f"<td class='num'>{zs}</td><td>{mark}</td></tr>"
        )
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _lowrank_theory_rows(comparison: Any) -> list[Row]:
    c = comparison
    th = c.theory
    rows: list[Row] = []
    scale = float(np.abs(th.points).max(initial=0.0))
    for k in range(len(th)):
        kappa = ", ".join(_num(x, scale) for x in th.points[k])
        eig = ", ".join(_complex_str(v) for v in th.eigenvalues[k])
        rows.append(
            (f"point {k} ({th.stability[k]})", f"κ = ({kappa})", f"eigenvalues of ∂F/∂κ: {eig}")
        )
    if c.cycle is not None:
        cyc = c.cycle
        rows += [
            (
                "limit cycle: period",
                cyc.period,
                f"return times spread {_g(cyc.period_spread, '.2g')}"
                + ("" if cyc.converged else "; not converged"),
            ),
            ("limit cycle: radius", cyc.radius, "mean distance from its centre over one period"),
        ]
    if math.isfinite(c.ring_radius):
        rows.append(
            (
                "ring of fixed points: radius",
                c.ring_radius,
                "median radius of the theory's marginal fixed points",
            )
        )
    return rows


def lowrank_sections(result: Any) -> tuple[str, list[Section]]:
    """The introduction and sections of a low-rank report.

    The theory is the mean-field latent dynamics of Gaussian-mixture low-rank networks
    (Beiran, Dubreuil, Valente, Mastrogiuseppe & Ostojic, arXiv:2007.02062; docs/theory.md
    section 7.1); the agreement of each quantity is the z-score stored in the comparison's
    table.

    Parameters
    ----------
    result : randrnn.experiments.lowrank.LowRankResult
        A finished low-rank experiment.

    Returns
    -------
    tuple
        ``(intro, sections)`` for :func:`write_report`: an ``Agreement`` section (figure
        ``agreement``) and one section per example and nonlinearity, headed
        ``<example> (<phi>)``, with its table, the theory's fixed points and its figure
        (:attr:`~randrnn.experiments.lowrank.ExampleComparison.figure_name`).
    """
    lr = result.config.lowrank
    comps = list(result.comparisons)
    S = lr.realizations
    couplings = [d["coupling"] for d in comps[0].seeds] if comps else []
    phis = sorted({c.phi for c in comps}, key=[c.phi for c in comps].index)
    intro = (
        "Gaussian-mixture low-rank networks (Beiran, Dubreuil, Valente, Mastrogiuseppe &amp; "
        "Ostojic, arXiv:2007.02062; docs/theory.md section 7.1). <b>Theory</b>: the mean-field "
        "latent dynamics &kappa;&#775; = F(&kappa;) of each example's mixture (n &rarr; "
        "&infin;): its fixed points and the eigenvalues of &part;F/&part;&kappa; there, and "
        "its limit cycle (period, radius) or ring of fixed points (radius). <b>Networks</b>: "
        f"S = {S} realizations of n = {lr.n} units sampled from the same mixture (coupling "
        f"seeds {couplings}), &phi; = {html.escape(', '.join(phis))}: their fixed points, "
        "from the exact finite-n latent field, matched to the theory's (same stability, "
        "nearest), the R non-trivial eigenvalues of their Jacobians, and noise-free "
        "simulations of the full network projected on the latent space (where the trials "
        "end, the period and radius of the oscillation, the radius of the ring). "
        "<b>Agreement</b>: for each quantity, z = (mean &minus; theory) / SE with the mean "
        "and standard error over realizations; the quantity agrees when |z| &le; 3. The SE "
        "is the spread between realizations at this n: a finite-n bias of the network mean "
        "is not in it and shows as |z| &gt; 3 once it exceeds that spread. A quantity "
        "measured in fewer than two realizations (no matching network point) has no z and "
        "does not count as agreeing; a quantity every realization reproduces exactly (a "
        "symmetry: the origin of an odd &phi; with zero-mean loadings) is marked "
        "<i>exact</i> and not counted. Names: <code>pointK[stability].kappaR</code> is "
        "coordinate R of the theory's point K; <code>.eigI.re</code> / <code>.im</code> the "
        "real / imaginary part of its eigenvalue I (by decreasing real part); eigenvalues "
        "degenerate in the theory split at finite n and are compared through their mean "
        "(<code>eig0+1</code>)."
    )
    rows_all = [r for c in comps for r in c.table]
    k, m, u, e, zmax = _lowrank_counts(rows_all)
    summary_rows: list[Row] = []
    for c in comps:
        ck, cm, cu, ce, cz = _lowrank_counts(c.table)
        summary_rows.append(
            (
                c.label,
                f"{ck}/{cm}",
                f"agree; max |z| = {_zmax_str(cz)}"
                + (f"; {cu} without a z" if cu else "")
                + (f"; {ce} exact by symmetry" if ce else ""),
            )
        )
    sections: list[Section] = [
        (
            "Agreement",
            (
                f"{k} of {m} quantities agree (|z| &le; 3) over {len(comps)} comparisons; "
                f"{u} have no z; largest |z| = {_zmax_str(zmax)}. Not counted: {e} quantities "
                "every realization reproduces exactly, by a symmetry of the example."
            ),
            summary_rows,
            ["agreement"],
        )
    ]
    for c in comps:
        ex = c.example
        feature = {
            "fixed_points": "fixed points",
            "cycle": "fixed points and a limit cycle",
            "ring": "a ring of fixed points and the isolated fixed points",
        }.get(ex.feature, ex.feature)
        verdict = (
            "<span class='ok'>every quantity agrees</span>"
            if c.all_agree
            else "<span class='bad'>not every quantity agrees</span>"
        )
        fig = c.figure_name
        text = (
            f"{html.escape(ex.description)} (rank {ex.rank}; parameters: "
            f"{html.escape(ex.source)}). Compared: {feature}; {len(ex.starts)} simulated "
            f"trials for t = {ex.t_max:g}. {verdict}."
            f"</p>{_lowrank_table(c.table, S)}<p>The theory's fixed points"
            + ("" if fig else " (no figure: only ranks one and two are drawn)")
            + ":"
        )
        sections.append(
            (f"{ex.name} ({c.phi})", text, _lowrank_theory_rows(c), [fig] if fig else [])
        )
    if result.approximation is not None:
        sections.append(_approximation_section(result.approximation))
    return intro, sections


def _approximation_section(ap: Any) -> Section:
    """The flow-approximation study: field error vs P, periods, the sampled networks."""
    s = ap.summary()
    tc = s["target_cycle"]
    rows: list[Row] = []
    for r in s["table"]:
        mp = r["mixture_period"]
        detail = (
            f"held-out {_g(r['heldout_error'])}; network at n = {ap.settings.n} (predicted) "
            f"{_g(r['predicted_network_error'])}; mixture period "
            + ("none" if mp is None else f"{mp:.4f} ({100 * r['mixture_period_error']:+.1f} %)")
        )
        if r.get("network_period") is not None:
            detail += (
                f"; sampled networks {r['network_period']:.4f} ± {r['network_period_se']:.3f} "
                f"({100 * r['network_period_error']:+.1f} %, {r['network_failed']} without a "
                "cycle)"
            )
        rows.append((f"P = {r['components']}: field error", _g(r["field_error"]), detail))
    ok = s["network_period_within_5pct"]
    text = (
        f"Target: {html.escape(ap.target.name)} "
        + (
            ""
            if tc is None
            else f"(limit cycle period {tc['period']:.4f}, radius {tc['radius']:.3f}). "
        )
        + "For each number of components P the components' m- and input statistics are drawn "
        "at random and the n-statistics fitted by regularised least squares, the penalty being "
        f"the finite-size noise of a network of n = {ap.settings.n} units sampled from the fit "
        "(docs/theory.md 7.3); the loadings' n-n covariance is the smallest that makes each "
        f"component's covariance positive definite. {ap.settings.realizations} networks are "
        "sampled from the fit with the most components and their cycles found on their exact "
        "latent dynamics. "
        + (
            "<span class='ok'>The networks' mean period is within 5 % of the target's.</span>"
            if ok
            else "<span class='bad'>The networks' mean period is not within 5 % of the "
            "target's.</span>"
        )
    )
    return ("Approximating a flow", text, rows, ["approximation_field", "approximation_cycles"])


def write_lowrank_report(
    result: Any, out_dir: str | os.PathLike[str], figures: Mapping[str, Callable[[Any], Any]]
) -> Path:
    """Write ``figures/*.png`` (``randrnn.plots.lowrank.figures(result)``) and ``report.html``
    of a low-rank experiment into ``out_dir``.

    Parameters
    ----------
    result : randrnn.experiments.lowrank.LowRankResult
        A finished low-rank experiment.
    out_dir : str or Path
        Output directory (created if needed).
    figures : mapping
        Figure name -> function of the result.

    Returns
    -------
    Path
        The report.
    """
    out = Path(out_dir)
    pngs = write_figures(result, out / "figures", figures)
    intro, sections = lowrank_sections(result)
    lr = result.config.lowrank
    return write_report(
        out / "report.html",
        title="randrnn lowrank: latent mean-field theory vs full low-rank networks",
        intro=intro,
        sections=sections,
        pngs=pngs,
        meta=_meta(
            {"seed": lr.seed, "realization s": "coupling = initial = noise = seed + s"},
            result.seconds,
        ),
    )


def lowrank_headline(result: Any) -> str:
    """One line for the terminal: how many compared quantities agree, the largest |z|."""
    comps = list(result.comparisons)
    k, m, u, e, zmax = _lowrank_counts(result.table())
    examples = list(dict.fromkeys(c.example.name for c in comps))
    phis = list(dict.fromkeys(c.phi for c in comps))
    no_z = f"; {u} without a z (< 2 realizations)" if u else ""
    exact = f"; {e} exact by symmetry, not counted" if e else ""
    parts = []
    if comps:
        parts.append(
            f"{k}/{m} quantities agree (|z| <= 3) over {len(examples)} examples x "
            f"{'/'.join(phis)}; max |z| = {_zmax_str(zmax)}{no_z}{exact}"
        )
    ap = getattr(result, "approximation", None)
    if ap is not None:
        pm, pse = ap.network.period_mean_se
        tc = ap.best.target_cycle
        rel = "" if tc is None else f" ({100 * (pm / tc.period - 1):+.1f} % of the target's)"
        parts.append(
            f"{ap.target.name}, P = {ap.best.n_components}: networks' period {pm:.3f} ± "
            f"{pse:.3f}{rel}"
        )
    return f"{'; '.join(parts)} ({result.seconds.get('total', math.nan):.1f} s)"


# ----------------------------------------------------------------------------------------------
# randrnn sweep


def _sweep_counts(status: np.ndarray) -> dict[str, int]:
    """Cells per status code (see ``randrnn.sweeps.cells.STATUS_CODES``)."""
    s = np.asarray(status)
    return {
        "cells": int(s.size),
        "done": int((s == 1).sum()),
        "theory failures": int((s == 2).sum()),
        "errors": int((s == -1).sum()),
        "pending": int((s == 0).sum()),
    }


def _sweep_grid_table(view: Any, plan: Mapping[str, Any]) -> str:
    """One row per axis value: its cells by status; then the whole grid."""
    head = [
        "axis",
        "config field",
        "value",
        "cells",
        "done",
        "theory failures",
        "errors",
        "pending",
    ]
    status = view["status"]
    rows: list[list[str]] = []
    fields = {a["dim"]: a["field"] for a in plan.get("axes", [])}
    for dim in [d for d in view.dims if d != "realization"]:
        for value in view[dim].values:
            c = _sweep_counts(status.sel({dim: value}).values)
            v = value.item() if hasattr(value, "item") else value
            rows.append(
                [
                    html.escape(str(dim)),
                    html.escape(str(fields.get(str(dim), ""))),
                    html.escape(str(v)),
                ]
                + [str(c[k]) for k in ("cells", "done", "theory failures", "errors", "pending")]
            )
    c = _sweep_counts(status.values)
    rows.append(
        ["<b>all</b>", "", f"x {view.sizes.get('realization', 1)} realization(s)"]
        + [f"<b>{c[k]}</b>" for k in ("cells", "done", "theory failures", "errors", "pending")]
    )
    return _html_table(head, rows)


def _sweep_failures(result: Any) -> list[tuple[str, str, str]]:
    """``(cell, kind, message)`` of every cell that failed, in grid order."""
    view = result.view
    messages = dict(view.attrs.get("failures", {}) or {})
    messages.update(result.failed)
    kinds = {}
    status = view["status"].transpose(*result.plan.dims).values
    for cell in result.plan.cells:
        code = int(status[cell.index])
        if code == 2:
            kinds[cell.key] = "theory failure"
        elif code == -1 or cell.key in result.failed:
            kinds[cell.key] = "error (after every retry)"
    order = [c.key for c in result.plan.cells]
    keys = sorted(messages, key=lambda k: order.index(k) if k in order else len(order))
    return [(k, kinds.get(k, "failure"), str(messages[k])) for k in keys]


def _exponent(value: float, se: float) -> str:
    return f"{_g(value, '.2f')} ± {_g(se, '.2f')}"


def _stage_section(view: Any) -> Section | None:
    """The stage-scaling table, when the view has an ``n`` axis and stage resources."""
    from randrnn.sweeps import stage_scaling

    if "n" not in view.dims or view.sizes["n"] < 2:
        return None
    try:
        prof = stage_scaling(view)
    except ValueError:
        return None
    ex = prof.exponents()
    head = (
        ["stage"]
        + [f"time at N={v} (s)" for v in prof.values]
        + [
            "time exponent",
            "theory",
            "memory exponent",
            "theory",
        ]
    )
    rows = []
    for i, s in enumerate(prof.stages):
        e = ex[s]
        rows.append(
            [html.escape(s)]
            + [_pm(prof.seconds[i, j], prof.seconds_se[i, j]) for j in range(len(prof.values))]
            + [
                _exponent(e["seconds"], e["seconds_se"]),
                _g(e["seconds_theory"], "g") if s != "total" else "-",
                _exponent(e["memory"], e["memory_se"]) if s != "total" else "-",
                _g(e["memory_theory"], "g") if s != "total" else "-",
            ]
        )
    text = (
        "Wall time and peak resident memory (above each stage's start, from the kernel) of each "
        "stage of the run experiment vs N: means over the done cells at each N (realizations "
        "and the other axes pooled) ± SE, and power-law exponents ± SE (fits weighted by the "
        "SEs, the SE scaled up when the points scatter more; unweighted when some N has a single "
        "cell). Theory: the large-N cost of the algorithms at fixed trials and duration "
        "(<code>randrnn.sweeps.THEORY_EXPONENTS</code>); "
        "lower-order terms pull the measured exponents below it at moderate N. With several "
        "cells per worker process at once, or a warm process, memory readings are not one "
        "cell's alone." + _html_table(head, rows)
    )
    return ("Time and memory of each stage vs N", text, [], ["stage_scaling"])


def sweep_sections(result: Any, figure_names: list[str] | None = None) -> tuple[str, list[Section]]:
    """The introduction and sections of a sweep's report.

    Parameters
    ----------
    result : randrnn.sweeps.SweepResult
        A finished (or partly finished) sweep.
    figure_names : list of str, optional
        The figures to show (default: none).

    Returns
    -------
    tuple
        ``(intro, sections)`` for :func:`write_report`.
    """
    view = result.view
    plan = view.attrs.get("plan") or result.plan.to_dict()
    st = result.plan.settings
    figs = list(figure_names or [])
    c = _sweep_counts(view["status"].values)
    axes = ", ".join(f"{a.dim} ({a.field}, {len(a.values)} values)" for a in result.plan.axes)
    intro = (
        f"The <b>{html.escape(st.experiment)}</b> experiment over a grid of {axes or 'no axis'}, "
        f"{st.realizations} realization(s) per point (seeds spawned per realization, shared "
        f"along the other axes): {c['done']} of {c['cells']} cells done, "
        f"{c['theory failures']} theory failure(s), {c['errors']} error(s). This run computed "
        f"{len(result.computed)} cell(s) and reused {len(result.reused)} from the store."
    )
    sections: list[Section] = [
        (
            "The grid",
            "Cells by status along each axis (theory failure: the experiment ran and the "
            "science failed, e.g. an unstable realization; error: the worker raised or died "
            "after every retry, and a rerun tries again)." + _sweep_grid_table(view, plan),
            [
                ("cells computed in this run", len(result.computed), ""),
                ("cells reused from the store", len(result.reused), "complete before this run"),
                ("cells that failed in this run", len(result.failed), "after every retry"),
            ],
            [],
        )
    ]
    failures = _sweep_failures(result)
    if failures:
        rows = [[html.escape(k), html.escape(kind), html.escape(msg)] for k, kind, msg in failures]
        sections.append(("Failures", _html_table(["cell", "kind", "message"], rows), [], []))
    metric_figs = [f for f in figs if f != "stage_scaling"]
    if metric_figs:
        sections.append(
            (
                "Metrics along the grid",
                (
                    "Means over the realizations (done cells only) with ±1 SE error bars, one "
                    "line per combination of the other axes."
                ),
                [],
                metric_figs,
            )
        )
    stage = _stage_section(view)
    if stage is not None:
        sections.append(
            (stage[0], stage[1], stage[2], ["stage_scaling"] if "stage_scaling" in figs else [])
        )
    elif "stage_scaling" in figs:
        sections.append(("Time and memory of each stage vs N", "", [], ["stage_scaling"]))
    ov = result.overhead()
    sec = result.seconds
    sections.append(
        (
            "Cost of running on the cluster",
            "",
            [
                ("workers", result.workers, "worker processes (0: inline, in this process)"),
                ("cells timed", ov["cells"], "computed in this run, from the ledger"),
                ("compute (s)", ov["compute"], "the cells' summed experiment time"),
                ("busy (s)", ov["busy"], "workers x wall time of the cells"),
                ("mean cell (s)", ov["cell_mean"], "a cell's experiment time"),
                (
                    "sweep cost per cell (s)",
                    ov["per_cell"],
                    "reading the results + writing the cell + scheduling gap",
                ),
                ("sweep cost / cell time", ov["per_cell_fraction"], ""),
                ("write per cell (s)", ov["write_per_cell"], "mean time to write a cell's group"),
                (
                    "overhead fraction, end to end",
                    ov["fraction"],
                    "1 - compute / busy (also workers idle at the end)",
                ),
                ("cluster start (s)", sec.get("cluster", math.nan), ""),
                ("cells wall (s)", sec.get("cells", math.nan), "first submission to last result"),
                ("view (s)", sec.get("view", math.nan), "assembling and writing the view"),
                ("total (s)", sec.get("total", math.nan), ""),
            ],
            [],
        )
    )
    store = html.escape(str(result.store))
    dims = [a.dim for a in result.plan.axes]
    first = result.plan.cells[0].coords if result.plan.cells else {}
    args = ", ".join(f"{d}={first.get(d)!r}" for d in [*dims, "realization"])
    sections.append(
        (
            "The store",
            (
                f"All cells and the view are in <code>{store}</code> (Zarr). Read the view with "
                f"<code>xarray.open_zarr({store!r})</code> (lazy) or "
                f"<code>randrnn.sweeps.open_sweep({store!r})</code>; one cell's arrays, config and "
                f"provenance with <code>randrnn.sweeps.open_cell({store!r}, "
                f"{html.escape(args)})</code>. Computations are logged in "
                "<code>ledger.jsonl</code>; rerunning the sweep computes only the missing or "
                "failed cells."
            ),
            [],
            [],
        )
    )
    return intro, sections


def write_sweep_report(
    result: Any, outdir: str | os.PathLike[str], figures: Mapping[str, Callable[[Any], Any]]
) -> Path:
    """Write ``figures/*.png`` and ``report.html`` of a sweep into ``outdir``.

    Parameters
    ----------
    result : randrnn.sweeps.SweepResult
        A finished (or partly finished) sweep.
    outdir : str or Path
        Output directory (created if needed).
    figures : mapping
        Figure name -> function of the sweep's view (``randrnn.plots.sweep.figures(view)``).

    Returns
    -------
    Path
        The report.
    """
    out = Path(outdir)
    pngs = write_figures(result.view, out / "figures", figures)
    intro, sections = sweep_sections(result, list(figures))
    attrs = result.view.attrs
    meta = {
        "randrnn": attrs.get("randrnn_version"),
        "numpy / scipy": f"{attrs.get('numpy_version')} / {attrs.get('scipy_version')}",
        "python": attrs.get("python_version"),
        "machine": f"{attrs.get('machine')}, {attrs.get('cpu_count')} cores",
        "settings": result.plan.settings.to_dict(),
        "seeds": result.plan.seeds,
        "base config": result.plan.base,
        "seconds": {k: round(v, 2) for k, v in result.seconds.items()},
        "created": attrs.get("created"),
    }
    return write_report(
        out / "report.html",
        title=f"randrnn sweep: the {result.plan.settings.experiment} experiment over a grid",
        intro=intro,
        sections=sections,
        pngs=pngs,
        meta=meta,
    )


def sweep_headline(result: Any) -> str:
    """One line for the terminal: experiment, cells done of the grid, failures, the store."""
    c = _sweep_counts(result.view["status"].values)
    fails = []
    if c["theory failures"]:
        fails.append(f"{c['theory failures']} theory failure(s)")
    if c["errors"]:
        fails.append(f"{c['errors']} error(s)")
    return (
        f"sweep {result.plan.settings.experiment}: {c['done']}/{c['cells']} cells done "
        f"({len(result.computed)} computed, {len(result.reused)} reused); "
        f"{', '.join(fails) or 'no failures'}; store {result.store}"
    )


# ----------------------------------------------------------------------------------------------
# randrnn train, randrnn trained-spectrum


def _population_rows(stats: list[Mapping[str, Any]]) -> list[Row]:
    rows: list[Row] = []
    for p in stats:
        name = p["population"]
        rows.append((f"{name}: units", p["units"], ""))
        rows.append((f"{name}: time constant, mean", p["tau_mean"], "steps"))
        rows.append((f"{name}: time constant, SD", p["tau_sd"], "steps"))
        if "gain_mean" in p:
            rows.append((f"{name}: gain phi'(x*), mean", p["gain_mean"], ""))
            rows.append((f"{name}: gain phi'(x*), SD", p["gain_sd"], ""))
    return rows


def write_train_report(
    summary: Mapping[str, Any],
    network: Any,
    out_dir: str | os.PathLike[str],
    figures: Mapping[str, Callable[[Any], Any]],
) -> Path:
    """Write ``figures/*.png`` and ``report.html`` of a trained network into ``out_dir``.

    ``summary`` is the command's ``summary.json`` content (settings, accuracy, populations).
    """
    out = Path(out_dir)
    pngs = write_figures(network, out / "figures", figures)
    st = summary["settings"]
    rows: list[Row] = [
        ("task", str(st.get("task")), ""),
        ("units", st.get("n"), f"inhibitory fraction {st.get('fraction_inhibitory')}"),
        ("training noise sigma", st.get("noise"), ""),
        ("seed", st.get("seed"), "initialisation, trials and noise"),
        ("iterations", summary["iterations"], f"of at most {st.get('n_iterations')}"),
        ("training wall time (s)", summary["train_seconds"], "summed over resumptions"),
        (
            "accuracy",
            summary["accuracy"],
            f"{summary['accuracy_trials']} fresh trials with the training noise",
        ),
    ]
    sections: list[Section] = [
        ("Training", "", rows, ["training_curve"]),
        ("Time constants", "", _population_rows(summary["populations"]), ["timescales"]),
    ]
    return write_report(
        out / "report.html",
        title="randrnn train: an E/I rate network trained with noise",
        intro=(
            "Continuous-time E/I rate network (Dale's law, fixed sparse mask, trainable time "
            "constants, sigmoid units) trained with additive noise "
            "(Rungratsameetaweemana, Kim, Chotibut &amp; Sejnowski, PNAS 2025). "
            "<code>randrnn trained-spectrum DIR</code> analyses its equilibria."
        ),
        sections=sections,
        pngs=pngs,
        meta=_meta(st.get("seed"), {"train": float(summary["train_seconds"])}),
    )


def write_trained_spectrum_report(
    result: Any, out_dir: str | os.PathLike[str], figures: Mapping[str, Callable[[Any], Any]]
) -> Path:
    """Write ``figures/*.png`` and ``report.html`` of an equilibrium analysis into ``out_dir``."""
    out = Path(out_dir)
    pngs = write_figures(result, out / "figures", figures)
    s = result.summary()
    c = s["comparison"]
    fp = s["fixed_points"]
    rows: list[Row] = [
        ("fixed and slow points found", fp["count"], ", ".join(fp["kinds"])),
        ("analysed point: residual |F|", s["residual"], "a fixed point below 1e-8"),
        ("rightmost eigenvalue", s["rightmost"], "its distance from 0 is -this"),
        ("predicted edge, finite connectivity", c["edge_sparse_pred"], "growth criterion"),
        ("predicted edge, dense limit", c["edge_dense_pred"], ""),
        ("predicted median rightmost at this n", c["rightmost_pred"], "cavity_extreme"),
        ("(rightmost - predicted) / bulk height", c["rightmost_minus_pred_over_width"], ""),
        ("bar: eigenvalues at -1/tau", c["bar_measured"], f"predicted {c['bar_predicted']:.3g}"),
        (
            f"{c['quantile']:g} quantile of Re, measured",
            c["quantile_measured"],
            f"predicted {c['quantile_predicted']:.4g}",
        ),
    ]
    head = ["region", "sparse (pred)", "dense (pred)", "measured", "z (sparse)"]
    table = _html_table(
        head,
        [
            [
                html.escape(r["region"]),
                _pm(r["sparse"], r["sparse_se"]),
                f"{r['dense']:.4f}",
                _pm(r["measured"], r["measured_se"]),
                f"{r['z']:+.2f}",
            ]
            for r in c["regions"]
        ],
    )
    sections: list[Section] = [
        ("Equilibrium and edge", "", rows, ["eigenvalues"]),
        (
            "Fractions of eigenvalues in regions",
            "Predicted by population dynamics on the fitted ensemble (finite connectivity) and "
            "in the dense limit, against the Jacobian's eigenvalues (binomial SEs). " + table,
            [],
            [],
        ),
        ("Populations at the equilibrium", "", _population_rows(s["populations"]), []),
    ]
    return write_report(
        out / "report.html",
        title="randrnn trained-spectrum: the Jacobian at an equilibrium vs the E/I ensemble",
        intro=(
            "The fitted sparse E/I ensemble (Chotibut, Evnin &amp; Horinouchi, arXiv:2512.12767) "
            "against the Jacobian of the network at an equilibrium of its delay period."
        ),
        sections=sections,
        pngs=pngs,
        meta=_meta(None, s["seconds"]),
    )
