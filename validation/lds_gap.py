"""Markov gap and many-observations limit of latent LDS vs low-rank linear RNNs.

Valente, Ostojic & Pillow, arXiv:2110.09804; docs/theory.md section 7.4. Three measurements:

1. A latent LDS (latent dimension 2, the rank of the RNN it maps to) observed by ``n`` units
   (``p = n``) with anisotropic (heteroscedastic) white observation noise: the relative Markov gap
   (best AR(1) model vs Kalman filter, one-step prediction error) and the error of the
   many-observations RNN (``lds_to_rnn(..., limit="many_observations")``; max over lags 0..5 of
   the Frobenius error of the output autocovariance relative to the lag-0 one) vs ``n``.
2. The exact LDS of a rank-2 RNN of ``n`` units with anisotropic input noise, all units
   observed (``p = n``): the gap must vanish (observations Markov); the latent dimension; the
   RNN -> LDS autocovariance error (lags 0..10) against the RNN's own Lyapunov solution.
3. The same kind of RNN (n = 200) observed through its first ``p`` units: the gap vs ``p``.

    OPENBLAS_NUM_THREADS=1 python validation/lds_gap.py

Writes ``validation/results/lds_gap.json`` and ``validation/results/lds_gap.md``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from randrnn.lowrank.lds import (
    LatentLDS,
    LowRankLinearRNN,
    lds_to_rnn,
    markov_gap,
    output_autocovariance,
    rnn_to_lds,
)

RESULTS = Path(__file__).parent / "results"


def _latent(rng: np.random.Generator, d: int) -> tuple[np.ndarray, np.ndarray]:
    A = rng.normal(size=(d, d))
    A *= 0.9 / np.max(np.abs(np.linalg.eigvals(A)))
    B = rng.normal(size=(d, d))
    return A, B @ B.T + 0.1 * np.eye(d)


def _rnn(rng: np.random.Generator, n: int, r: int, observe: object = None) -> LowRankLinearRNN:
    M = rng.normal(size=(n, r))
    N = rng.normal(size=(n, r)) / n
    N *= 0.9 / np.max(np.abs(np.linalg.eigvals(N.T @ M)))
    L = rng.normal(size=(n, n)) / np.sqrt(n)
    S = L @ L.T + np.diag(rng.uniform(0.2, 1.0, n))
    return LowRankLinearRNN(M, N, S, observe=observe)


def lds_vs_n(sizes: list[int], d: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    A, Q = _latent(rng, d)
    n_max = max(sizes)
    C_all = rng.normal(size=(n_max, d))
    r_all = rng.uniform(0.5, 2.0, n_max)
    lags = np.arange(6)
    rows = []
    for n in sizes:
        t0 = time.perf_counter()
        lds = LatentLDS(A, Q, C_all[:n], np.diag(r_all[:n]))
        gap = markov_gap(lds)
        rnn = lds_to_rnn(lds, limit="many_observations")
        ref = output_autocovariance(lds, lags)
        approx = output_autocovariance(rnn, lags)
        err = np.max(np.linalg.norm(approx - ref, axis=(1, 2))) / np.linalg.norm(ref[0])
        info = np.linalg.inv(C_all[:n].T @ (C_all[:n] / r_all[:n, None]))
        rows.append(
            {
                "n": n,
                "p": n,
                "latent_dim": d,
                "relative_gap": gap.relative_gap,
                "logdet_gap": gap.logdet_gap,
                "many_obs_error": float(err),
                "estimate_error_norm": float(np.linalg.norm(info, 2)),
                "seconds": time.perf_counter() - t0,
            }
        )
        print(rows[-1], flush=True)
    return rows


def rnn_full_observation(sizes: list[int], r: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    lags = np.arange(11)
    rows = []
    for n in sizes:
        t0 = time.perf_counter()
        rnn = _rnn(rng, n, r)
        lds = rnn_to_lds(rnn)
        ref = output_autocovariance(rnn, lags)
        err = np.max(np.abs(output_autocovariance(lds, lags) - ref)) / np.max(np.abs(ref))
        gap = markov_gap(lds)
        rows.append(
            {
                "n": n,
                "p": n,
                "rank": r,
                "latent_dim": lds.latent_dim,
                "autocov_rel_error": float(err),
                "relative_gap": gap.relative_gap,
                "seconds": time.perf_counter() - t0,
            }
        )
        print(rows[-1], flush=True)
    return rows


def rnn_partial(n: int, ps: list[int], r: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    base = _rnn(rng, n, r)
    lags = np.arange(11)
    rows = []
    for p in ps:
        rnn = LowRankLinearRNN(base.M, base.N, base.noise_cov, observe=list(range(p)))
        lds = rnn_to_lds(rnn)
        ref = output_autocovariance(rnn, lags)
        err = np.max(np.abs(output_autocovariance(lds, lags) - ref)) / np.max(np.abs(ref))
        gap = markov_gap(lds)
        rows.append(
            {
                "n": n,
                "p": p,
                "latent_dim": lds.latent_dim,
                "autocov_rel_error": float(err),
                "relative_gap": gap.relative_gap,
                "logdet_gap": gap.logdet_gap,
            }
        )
        print(rows[-1], flush=True)
    return rows


def _markdown(out: dict) -> str:
    lines = [
        "# Latent LDS vs low-rank linear RNN: Markov gap and many-observations limit",
        "",
        (
            "Valente, Ostojic & Pillow, arXiv:2110.09804; docs/theory.md 7.4. "
            f"Run time {out['seconds']:.1f} s; seed {out['seed']}."
        ),
        "",
        "## 1. LDS (latent dim 2) observed by n units with heteroscedastic noise (p = n)",
        "",
        "| n | relative gap | log-det gap | many-obs RNN error | norm of (C^T R^-1 C)^-1 |",
        "|---|---|---|---|---|",
    ]
    for r in out["lds_vs_n"]:
        lines.append(
            f"| {r['n']} | {r['relative_gap']:.3e} | {r['logdet_gap']:.3e} | "
            f"{r['many_obs_error']:.3e} | {r['estimate_error_norm']:.3e} |"
        )
    lines += [
        "",
        "## 2. Rank-2 RNN, anisotropic noise, every unit observed (p = n)",
        "",
        "| n | latent dim | RNN->LDS autocov rel. error (lags 0..10) | relative gap |",
        "|---|---|---|---|",
    ]
    for r in out["rnn_full"]:
        lines.append(
            f"| {r['n']} | {r['latent_dim']} | {r['autocov_rel_error']:.1e} | "
            f"{r['relative_gap']:.1e} |"
        )
    lines += [
        "",
        f"## 3. Rank-2 RNN (n = {out['rnn_partial'][0]['n']}), first p units observed",
        "",
        "| p | latent dim | RNN->LDS autocov rel. error | relative gap | log-det gap |",
        "|---|---|---|---|---|",
    ]
    for r in out["rnn_partial"]:
        lines.append(
            f"| {r['p']} | {r['latent_dim']} | {r['autocov_rel_error']:.1e} | "
            f"{r['relative_gap']:.3e} | {r['logdet_gap']:.3e} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200, 500, 1000, 2000])
    ap.add_argument("--rnn-sizes", type=int, nargs="+", default=[50, 100, 200, 400])
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    t0 = time.perf_counter()
    out: dict = {"seed": args.seed}
    out["lds_vs_n"] = lds_vs_n(args.sizes, 2, args.seed)
    out["rnn_full"] = rnn_full_observation(args.rnn_sizes, 2, args.seed + 1)
    out["rnn_partial"] = rnn_partial(
        200, [1, 2, 5, 10, 20, 50, 100, 150, 190, 199, 200], 2, args.seed + 2
    )
    out["seconds"] = time.perf_counter() - t0
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "lds_gap.json").write_text(json.dumps(out, indent=2))
    (RESULTS / "lds_gap.md").write_text(_markdown(out))
    print(f"wrote {RESULTS / 'lds_gap.json'} ({out['seconds']:.1f} s)")


if __name__ == "__main__":
    main()
