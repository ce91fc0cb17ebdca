"""Train the E/I rate network on delayed match-to-sample at n = 200 with training noise.

Kim, Li & Sejnowski, PNAS 116, 22811 (2019); Rungratsameetaweemana, Kim, Chotibut & Sejnowski,
PNAS 122, e2316745122 (2025). Trains (randrnn.training.train) until the mean training accuracy
over the last 20 iterations reaches 0.95 or the budget runs out, then measures the accuracy on
1000 fresh trials with the training noise; seeds are tried in turn until one reaches 90 %.
Saves the network under validation/results/trained_dms_n200_s<seed>_noise<level>/ and the
numbers as summary.json there.

Run: OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 .venv/bin/python validation/train_dms.py
     [--noise 0.5] [--seeds 0 1 2] [--iterations 6000] [--delay 30] [--checkpoints]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from randrnn.training import DMSTask, TrainSettings, train

RESULTS = Path(__file__).parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--noise", type=float, default=0.5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--iterations", type=int, default=6000)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument(
        "--checkpoints", action="store_true", help="checkpoint into <out>/checkpoint (resumable)"
    )
    parser.add_argument("--delay", type=int, default=DMSTask().delay, help="delay in steps")
    args = parser.parse_args()
    for seed in args.seeds:
        settings = TrainSettings(
            n=200,
            task=DMSTask(delay=args.delay),
            noise=args.noise,
            seed=seed,
            n_iterations=args.iterations,
            batch=args.batch,
            lr=args.lr,
            checkpoint_every=250,
        )
        name = f"trained_dms_n200_s{seed}_noise{args.noise:g}"
        if args.delay != DMSTask().delay:
            name += f"_delay{args.delay}"
        out = RESULTS / name
        t0 = time.perf_counter()
        net = train(settings, out=out / "checkpoint" if args.checkpoints else None)
        wall = time.perf_counter() - t0
        accuracy = net.evaluate(n_trials=args.trials, seed=10_000 + seed)
        accuracy_noiseless = net.evaluate(n_trials=args.trials, seed=10_000 + seed, noise=0.0)
        summary = {
            "seed": seed,
            "noise": args.noise,
            "n": settings.n,
            "iterations": net.iterations,
            "training_seconds": net.seconds,
            "wall_seconds_this_run": wall,
            "final_training_accuracy_mean_last_20": float(net.history["accuracy"][-20:].mean()),
            "final_training_loss": float(net.history["loss"][-1]),
            "test_trials": args.trials,
            "test_accuracy": accuracy,
            "test_accuracy_noiseless": accuracy_noiseless,
            "settings": settings.to_dict(),
        }
        net.save(out)
        (out / "summary.json").write_text(json.dumps(summary, indent=2))
        print(
            f"seed={seed} noise={args.noise:g} iterations={net.iterations} "
            f"train_time={net.seconds:.0f}s test_accuracy={accuracy:.3f} "
            f"(noiseless {accuracy_noiseless:.3f}) -> {out}"
        )
        if accuracy >= 0.9:
            break


if __name__ == "__main__":
    main()
