"""Public exceptions and warnings of randrnn.

- :class:`ConvergenceError` -- an iterative solver did not reach its tolerance.
- :class:`DivergenceError` -- a simulation produced NaN or infinite values.
- :class:`RegimeWarning` -- a theory is used outside the regime where it holds.
- :class:`FiniteSizeWarning` -- a large-N statement is applied at a size where it is doubtful.
"""

from __future__ import annotations


class ConvergenceError(RuntimeError):
    """An iterative solver stopped above its requested tolerance.

    Parameters
    ----------
    message : str
        What failed.
    n_iter : int
        Iterations performed.
    residual : float
        Residual reached.
    tol : float
        Requested tolerance.
    """

    def __init__(self, message: str, *, n_iter: int, residual: float, tol: float) -> None:
        self.n_iter = int(n_iter)
        self.residual = float(residual)
        self.tol = float(tol)
        super().__init__(
            f"{message} (iterations={self.n_iter}, residual={self.residual:.3e}, "
            f"tol={self.tol:.1e})"
        )


class DivergenceError(RuntimeError):
    """A simulation produced NaN or infinite values.

    Parameters
    ----------
    message : str
        Description including the step, the time and the likely cause.
    step : int
        Integration step at which non-finite values were detected.
    time : float
        Simulated time (units of tau) at that step.
    """

    def __init__(self, message: str, *, step: int, time: float) -> None:
        self.step = int(step)
        self.time = float(time)
        super().__init__(message)


class RegimeWarning(UserWarning):
    """A theory is used outside the regime in which its assumptions hold."""


class FiniteSizeWarning(UserWarning):
    """A large-N prediction is used at a size where finite-size effects are large."""
