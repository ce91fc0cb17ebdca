"""What the experiments share: the theory failures they report, quiet numerics, stage timing."""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from randrnn.covariance import UnstableNetworkError
from randrnn.errors import ConvergenceError, DivergenceError


class NothingToCompareError(RuntimeError):
    """The network has no fluctuations (quiescent or a static fixed point): no covariances.

    Raised right after the DMFT, before the prediction and the simulation, so that a network
    without fluctuations costs no simulation time.
    """


#: failures of the science, not of the input: an experiment reports them and writes nothing.
#: ``UnstableNetworkError`` (the linear-equivalent network of a realization is unstable),
#: ``ConvergenceError`` (a solver did not converge), ``DivergenceError`` (the simulation
#: diverged) and :class:`NothingToCompareError`.
THEORY_FAILURES: tuple[type[Exception], ...] = (
    UnstableNetworkError,
    ConvergenceError,
    DivergenceError,
    NothingToCompareError,
)


@contextlib.contextmanager
def quiet_numerics() -> Iterator[None]:
    """Silence NumPy floating-point warnings and ``RuntimeWarning``s of undefined statistics.

    Every metric that such an operation makes undefined (NaN) is reported with its reason by
    the comparison itself (see ``CovarianceComparison.why``), so the warnings add nothing.
    """
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def strict_json(obj: Any) -> Any:
    """NaN and inf floats -> None, NumPy scalars -> Python, tuples -> lists, recursively.

    ``summary.json`` is strict JSON: an undefined value is ``null``.
    """
    if isinstance(obj, dict):
        return {k: strict_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [strict_json(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def _status_bytes(field: str) -> float:
    """A memory field of ``/proc/self/status`` (``VmHWM``, ``VmRSS``) in bytes; NaN off Linux."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(f"{field}:"):
                    return float(line.split()[1]) * 1024.0
    except OSError:
        pass
    return float("nan")


def _reset_peak_rss() -> bool:
    """Reset the peak resident memory to the current one (Linux >= 4.0); False if unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


class StageClock:
    """Wall time and memory per named stage (``with clock("dmft"): ...``).

    ``clock.seconds[name]`` is the stage's wall time; ``clock.memory[name]`` the peak resident
    memory of the process during the stage above its resident memory when the stage began, in
    bytes: what the stage itself needed at its peak. The peak is read from the kernel (Linux:
    ``VmHWM``, reset at each stage start through ``/proc/self/clear_refs``), so it costs
    nothing and counts every allocator (NumPy, BLAS, compiled kernels); elsewhere it is NaN. It
    is the whole process's: with several stages running at once in one process (threads), each
    one's reading includes the others'.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.memory: dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start_rss = _status_bytes("VmRSS")
        tracked = _reset_peak_rss()
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t0
            if tracked:
                peak = max(_status_bytes("VmHWM") - start_rss, 0.0)
                self.memory[name] = max(self.memory.get(name, 0.0), peak)
            else:
                self.memory[name] = float("nan")

    def total(self) -> dict[str, float]:
        """The stage times with ``total``, their sum."""
        return {**self.seconds, "total": float(sum(self.seconds.values()))}
