"""Jacobian spectra at stable equilibria of E/I networks vs the random-matrix prediction.

For each case and size, several realizations (seeds 0..R-1) of an E/I rate network with Dale's
law, sparse couplings, heterogeneous timescales and a static input
(randrnn.experiments.operating): the Jacobian's eigenvalues at the stable equilibrium, with the
actual gains phi'(x*) and with the gains permuted within each population (the control that
breaks their dependence on J), against the prediction of randrnn.rmt for the ensemble of the
realization's measured statistics. Cases:

- sigmoid_ei: sigmoid units, p = ((0.1, 0.3), (0.1, 0.3)), the OperatingPointSettings defaults;
- sigmoid_core: the "inhibitory core, excitatory periphery" preset (excitatory outgoing weights
  pruned; sparse inhibitory core with broad lognormal weights);
- tanh_ei: tanh units, weaker excitation.

Connection probabilities are those of the settings at n = 1000 and scale as 1000 / n at other
sizes: fixed mean in-degrees, the finite-connectivity regime of the theory (at fixed
probabilities the block means grow like n and the E/I mean loop, with slow inhibition, loses
stability).

Reported per case and size (mean +- SE over realizations): predicted edge and height, the
bulk's largest real part, tail-fit edge and 0.99 quantile of real parts, the deviations
(measured - predicted edge) / height, the fraction of eigenvalues in each region (predicted,
measured, and the paired difference), the bar count (measured, graph, predicted), the
outliers, and the correlations of h^2 with the in-/out-strength of the couplings.

    python validation/operating_point_spectra.py --sizes 1000 2000 --realizations 6
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from randrnn.ensembles import HalfNormal, LogNormal
from randrnn.experiments.operating import (
    REGIONS,
    NoStableFixedPointError,
    OperatingPointSettings,
    run_operating_point,
)

CASES = ("sigmoid_ei", "sigmoid_core", "tanh_ei")
#: size at which the cases' connection probabilities are the settings' ones; at other sizes they
#: are scaled by REFERENCE_N / n, so that the mean in-degrees (and the block means) stay fixed
REFERENCE_N = 1000


def settings(case: str, n: int, seed: int) -> OperatingPointSettings:
    """The case at size ``n``: connection probabilities scaled by 1000 / n (fixed in-degrees)."""
    if case == "sigmoid_ei":
        base = OperatingPointSettings(n=n, seed=seed)
    elif case == "sigmoid_core":
        base = OperatingPointSettings.inhibitory_core(n=n, seed=seed)
    elif case == "tanh_ei":
        base = OperatingPointSettings(
            n=n,
            seed=seed,
            phi="tanh",
            weight_e=HalfNormal(scale=0.05),
            weight_i=LogNormal(median=0.12, sigma=0.5),
            input_mean=(0.3, 0.3),
        )
    else:
        raise ValueError(f"unknown case {case!r}; choose from {CASES}.")
    k = REFERENCE_N / n
    conn = tuple(tuple(min(1.0, p * k) for p in row) for row in base.connectivity)
    return dataclasses.replace(base, connectivity=conn)


def one(case: str, n: int, seed: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    try:
        r = run_operating_point(settings(case, n, seed))
    except NoStableFixedPointError as exc:
        return {"case": case, "n": n, "seed": seed, "error": str(exc)}
    s = r.summary()
    s["case"] = case
    s["wall_seconds"] = time.perf_counter() - t0
    return s


def _mse(values: list[float]) -> tuple[float, float]:
    x = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if x.size == 0:
        return math.nan, math.nan
    se = float(x.std(ddof=1) / math.sqrt(x.size)) if x.size > 1 else math.nan
    return float(x.mean()), se


def aggregate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in rows if "error" not in r]
    out: dict[str, Any] = {"n_realizations": len(ok), "n_failed": len(rows) - len(ok)}
    if not ok:
        return out

    def put(key: str, vals: list[Any]) -> None:
        out[key] = _mse(vals)

    put("edge_pred", [r["edge_pred"] for r in ok])
    put("height_pred", [r["height_pred"] for r in ok])
    put("perron_at_zero", [r["perron_at_zero"] for r in ok])
    put("bar_count_pred", [r["bar_count_pred"] for r in ok])
    for reg in REGIONS:
        put(f"fraction_pred_{reg}", [r["fractions_pred"][reg] for r in ok])
    for which in ("actual", "shuffled"):
        m = [r[which] for r in ok]
        put(f"{which}_max_real", [x["max_real"] for x in m])
        put(f"{which}_tail_fit_edge", [x["tail_fit_edge"] for x in m])
        put(f"{which}_quantile_real", [x["quantile_real"] for x in m])
        put(f"{which}_height", [x["height"] for x in m])
        put(f"{which}_dev_max_real", [x["edge_deviation"]["max_real"] for x in m])
        put(f"{which}_dev_tail_fit", [x["edge_deviation"]["tail_fit"] for x in m])
        put(f"{which}_bar_count", [x["bar_count"] for x in m])
        put(f"{which}_graph_bar_count", [x["graph_bar_count"] for x in m])
        out[f"{which}_bar_equals_graph"] = all(x["bar_count"] == x["graph_bar_count"] for x in m)
        for reg in REGIONS:
            put(f"{which}_fraction_{reg}", [x["fractions"][reg] for x in m])
            put(
                f"{which}_fraction_diff_{reg}",
                [
                    x["fractions"][reg] - r["fractions_pred"][reg]
                    for x, r in zip(m, ok, strict=False)
                ],
            )
        # outlier with the largest real part: measured minus predicted
        d_re, d_im = [], []
        for x, r in zip(m, ok, strict=False):
            if r["outliers_pred"]:
                d_re.append(x["outliers"][0][0] - r["outliers_pred"][0][0])
                d_im.append(abs(x["outliers"][0][1]) - abs(r["outliers_pred"][0][1]))
        put(f"{which}_outlier_dre", d_re)
        put(f"{which}_outlier_dim", d_im)
    for pop in ("E", "I"):
        for key in (
            "rank_corr_h2_in_strength",
            "rank_corr_h2_in_strength_shuffled",
            "rank_corr_h2_out_strength",
            "rank_corr_tau_h2",
            "strength_gain_ratio",
            "strength_gain_ratio_shuffled",
        ):
            put(f"{pop}_{key}", [r["dependence"][pop][key] for r in ok])
    put("seconds", [r["wall_seconds"] for r in ok])
    return out


def fmt(ms: tuple[float, float], digits: int = 4) -> str:
    m, se = ms
    if not math.isfinite(m):
        return "-"
    if not math.isfinite(se):
        return f"{m:.{digits}g}"
    return f"{m:.{digits}g} ± {se:.2g}"


def markdown(summary: dict[str, Any], meta: dict[str, Any]) -> str:
    lines = [
        "# Jacobian spectra at stable equilibria of E/I networks vs the random-matrix prediction",
        "",
        (
            f"Generated by `validation/operating_point_spectra.py` in {meta['minutes']:.1f} min "
            f"({meta['realizations']} realizations per case and size; mean ± SE over "
            "realizations). Prediction: randrnn.rmt for the ensemble of each realization's "
            "measured block statistics, timescale and gain laws (measured_ensemble). actual: the "
            "Jacobian at x*; shuffled: same J and tau, gains permuted within each population."
        ),
        "",
        (
            "Edge: the bulk (all eigenvalues but the bar and the matched predicted outliers); "
            "dev = (measured - predicted edge) / predicted height. Regions leave out the band "
            "|Im z| < 0.05 height; right/left of the real part where the support is highest; top: "
            "|Im z| > height / 4. diff = measured - predicted fraction (paired per realization)."
        ),
        "",
        "## Edge",
        "",
        (
            "| case | n | R | edge pred | height pred | rho(M(0)) | which | max Re | tail-fit | "
            "q99 Re | dev max | dev tail-fit |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, a in summary.items():
        case, n = key.split("@")
        if not a.get("n_realizations"):
            lines.append(f"| {case} | {n} | 0 | failed | | | | | | | | |")
            continue
        for which in ("actual", "shuffled"):
            lines.append(
                f"| {case} | {n} | {a['n_realizations']} | {fmt(a['edge_pred'])} | "
                f"{fmt(a['height_pred'])} | {fmt(a['perron_at_zero'], 3)} | {which} | "
                f"{fmt(a[f'{which}_max_real'])} | {fmt(a[f'{which}_tail_fit_edge'])} | "
                f"{fmt(a[f'{which}_quantile_real'])} | {fmt(a[f'{which}_dev_max_real'], 3)} | "
                f"{fmt(a[f'{which}_dev_tail_fit'], 3)} |"
            )
    lines += [
        "",
        "## Bulk fractions",
        "",
        "| case | n | region | predicted | actual | diff actual | shuffled | diff shuffled |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, a in summary.items():
        if not a.get("n_realizations"):
            continue
        case, n = key.split("@")
        for reg in REGIONS:
            lines.append(
                f"| {case} | {n} | {reg} | {fmt(a[f'fraction_pred_{reg}'])} | "
                f"{fmt(a[f'actual_fraction_{reg}'])} | "
                f"{fmt(a[f'actual_fraction_diff_{reg}'], 3)} | "
                f"{fmt(a[f'shuffled_fraction_{reg}'])} | "
                f"{fmt(a[f'shuffled_fraction_diff_{reg}'], 3)} |"
            )
    lines += [
        "",
        "## Bar, outliers and the gains' dependence on the couplings",
        "",
        (
            "| case | n | bar pred | bar actual | = graph | outlier dRe act | outlier d|Im| act | "
            "outlier dRe shuf | outlier d|Im| shuf |"
        ),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for key, a in summary.items():
        if not a.get("n_realizations"):
            continue
        case, n = key.split("@")
        lines.append(
            f"| {case} | {n} | {fmt(a['bar_count_pred'])} | {fmt(a['actual_bar_count'])} | "
            f"{a['actual_bar_equals_graph'] and a['shuffled_bar_equals_graph']} | "
            f"{fmt(a['actual_outlier_dre'], 3)} | {fmt(a['actual_outlier_dim'], 3)} | "
            f"{fmt(a['shuffled_outlier_dre'], 3)} | {fmt(a['shuffled_outlier_dim'], 3)} |"
        )
    lines += [
        "",
        (
            "Spearman rank correlations per population of h² with the in-strength sum_k J_jk² "
            "(actual; shuffled), with the out-strength sum_k J_kj², and of tau with h²; "
            "strength-gain ratio E[R C h²] / (E[R] E[C h²]) (actual; shuffled)."
        ),
        "",
        (
            "| case | n | pop | rank corr(h², in) | rank corr(h², in) shuf | rank corr(h², out) | "
            "rank corr(tau, h²) | strength-gain ratio | ratio shuf |"
        ),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for key, a in summary.items():
        if not a.get("n_realizations"):
            continue
        case, n = key.split("@")
        for pop in ("E", "I"):
            lines.append(
                f"| {case} | {n} | {pop} | {fmt(a[f'{pop}_rank_corr_h2_in_strength'], 3)} | "
                f"{fmt(a[f'{pop}_rank_corr_h2_in_strength_shuffled'], 3)} | "
                f"{fmt(a[f'{pop}_rank_corr_h2_out_strength'], 3)} | "
                f"{fmt(a[f'{pop}_rank_corr_tau_h2'], 3)} | "
                f"{fmt(a[f'{pop}_strength_gain_ratio'], 3)} | "
                f"{fmt(a[f'{pop}_strength_gain_ratio_shuffled'], 3)} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000])
    ap.add_argument("--cases", nargs="+", default=list(CASES))
    ap.add_argument("--realizations", type=int, default=6)
    ap.add_argument("--out", default="validation/results/operating_point_spectra.json")
    a = ap.parse_args()
    t0 = time.perf_counter()
    rows: list[dict[str, Any]] = []
    summary: dict[str, Any] = {}
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    for n in a.sizes:
        for case in a.cases:
            group = []
            for seed in range(a.realizations):
                r = one(case, n, seed)
                group.append(r)
                rows.append(r)
                print(
                    json.dumps(
                        {
                            k: r.get(k)
                            for k in ("case", "n", "seed", "edge_pred", "wall_seconds", "error")
                        }
                    ),
                    flush=True,
                )
            summary[f"{case}@{n}"] = aggregate(group)
            meta = {
                "minutes": (time.perf_counter() - t0) / 60,
                "realizations": a.realizations,
                "sizes": a.sizes,
                "cases": a.cases,
            }
            out.write_text(json.dumps({"meta": meta, "summary": summary, "runs": rows}, indent=1))
            out.with_suffix(".md").write_text(markdown(summary, meta))


if __name__ == "__main__":
    main()
