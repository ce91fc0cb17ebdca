r"""Working-memory tasks for training rate networks: trial generation in NumPy.

Trials are time-major: inputs ``u`` have shape ``(T, batch, n_inputs)``, targets and the
loss mask ``(T, batch)``, labels ``(batch,)`` in ``{-1, +1}``. One time step is the Euler
step ``dt = 1`` of :mod:`randrnn.training.model` (durations are in steps).

- :class:`DelayedSignTask` -- one +-1 pulse, a delay, report its sign (a fast test task).
- :class:`DMSTask` -- delayed match-to-sample (Kim, Li & Sejnowski, PNAS 116, 22811 (2019);
  Rungratsameetaweemana, Kim, Chotibut & Sejnowski, PNAS 122, e2316745122 (2025)): two +-1
  stimuli separated by a delay; report +1 if they match, -1 otherwise.
- :func:`task_from_config` -- rebuild a task from its :meth:`to_dict`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import numpy as np

from randrnn._typing import FloatArray
from randrnn._validation import check_nonnegative_int, check_positive, check_positive_int

TrialBatch = tuple[FloatArray, FloatArray, FloatArray, np.ndarray]


def _check_rng(rng: Any) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"`rng` must be a numpy.random.Generator; got {type(rng).__name__}. "
            "Pass numpy.random.default_rng(seed)."
        )
    return rng


def _check_timing(task: Any) -> None:
    """The epochs' durations (steps) and the stimulus amplitude of a task."""
    check_nonnegative_int("fixation", task.fixation)
    check_positive_int("stimulus", task.stimulus)
    check_nonnegative_int("delay", task.delay)
    check_positive_int("response", task.response)
    object.__setattr__(task, "amplitude", check_positive("amplitude", task.amplitude))


@dataclass(frozen=True, slots=True, kw_only=True)
class DelayedSignTask:
    """One stimulus of sign +-1, a delay, then report the sign.

    Periods (in steps): ``fixation`` (no input), ``stimulus`` (input channel 0 at
    ``+-amplitude``), ``delay``, ``response`` (target = the sign; the loss mask is 1 here
    only).

    Parameters
    ----------
    fixation, stimulus, delay, response : int
        Period durations in Euler steps (``dt = 1``).
    amplitude : float
        Input amplitude of the stimulus.

    Examples
    --------
    >>> task = DelayedSignTask()
    >>> u, target, mask, labels = task.generate(np.random.default_rng(0), 4)
    >>> u.shape, target.shape, mask.shape, labels.shape
    ((40, 4, 1), (40, 4), (40, 4), (4,))
    >>> bool(np.all(target[-1] == labels))
    True
    """

    name: ClassVar[str] = "delayed_sign"
    n_inputs: ClassVar[int] = 1
    fixation: int = 5
    stimulus: int = 10
    delay: int = 15
    response: int = 10
    amplitude: float = 1.0

    def __post_init__(self) -> None:
        _check_timing(self)

    @property
    def n_steps(self) -> int:
        """Trial length in steps."""
        return self.fixation + self.stimulus + self.delay + self.response

    def generate(self, rng: np.random.Generator, batch: int) -> TrialBatch:
        """Draw ``batch`` trials.

        Parameters
        ----------
        rng : numpy.random.Generator
            Source of the labels.
        batch : int
            Number of trials.

        Returns
        -------
        u : (T, batch, 1) ndarray
            Inputs.
        target : (T, batch) ndarray
            The label in the response window, 0 elsewhere.
        mask : (T, batch) ndarray
            1 in the response window, 0 elsewhere.
        labels : (batch,) ndarray of int
            +1 or -1.
        """
        rng = _check_rng(rng)
        batch = check_positive_int("batch", batch)
        labels = rng.choice(np.array([-1, 1]), size=batch)
        T = self.n_steps
        u = np.zeros((T, batch, 1))
        s0 = self.fixation
        u[s0 : s0 + self.stimulus, :, 0] = self.amplitude * labels
        mask = np.zeros((T, batch))
        mask[T - self.response :] = 1.0
        target = mask * labels
        return u, target, mask, labels

    def to_dict(self) -> dict[str, Any]:
        """Return the task name and durations."""
        return {"name": self.name, **asdict(self)}


@dataclass(frozen=True, slots=True, kw_only=True)
class DMSTask:
    """Delayed match-to-sample: two +-1 stimuli, report whether their signs match.

    Periods (in steps): ``fixation``, ``stimulus`` (channel 0 at ``+-amplitude``), ``delay``,
    ``stimulus`` (channel 1 at ``+-amplitude``), ``response`` (target +1 for a match, -1 for a
    non-match; the loss mask is 1 here only), as in Kim, Li & Sejnowski (PNAS 2019) and
    Rungratsameetaweemana et al. (PNAS 2025). The four stimulus pairs are equally likely.

    Parameters
    ----------
    fixation, stimulus, delay, response : int
        Period durations in Euler steps (``dt = 1``); both stimuli last ``stimulus`` steps.
    amplitude : float
        Input amplitude of the stimuli.

    Examples
    --------
    >>> u, target, mask, labels = DMSTask().generate(np.random.default_rng(1), 3)
    >>> u.shape
    (85, 3, 2)
    >>> s1, s2 = u[10, :, 0], u[60, :, 1]
    >>> bool(np.all(labels == np.sign(s1 * s2)))
    True
    """

    name: ClassVar[str] = "dms"
    n_inputs: ClassVar[int] = 2
    fixation: int = 5
    stimulus: int = 15
    delay: int = 30
    response: int = 20
    amplitude: float = 1.0

    def __post_init__(self) -> None:
        _check_timing(self)

    @property
    def n_steps(self) -> int:
        """Trial length in steps."""
        return self.fixation + 2 * self.stimulus + self.delay + self.response

    def generate(self, rng: np.random.Generator, batch: int) -> TrialBatch:
        """Draw ``batch`` trials.

        Parameters
        ----------
        rng : numpy.random.Generator
            Source of the stimulus signs.
        batch : int
            Number of trials.

        Returns
        -------
        u : (T, batch, 2) ndarray
            Inputs: the first stimulus on channel 0, the second on channel 1.
        target : (T, batch) ndarray
            +1 (match) or -1 (non-match) in the response window, 0 elsewhere.
        mask : (T, batch) ndarray
            1 in the response window, 0 elsewhere.
        labels : (batch,) ndarray of int
            +1 or -1.
        """
        rng = _check_rng(rng)
        batch = check_positive_int("batch", batch)
        signs = rng.choice(np.array([-1, 1]), size=(2, batch))
        labels = signs[0] * signs[1]
        T = self.n_steps
        u = np.zeros((T, batch, 2))
        s1 = self.fixation
        s2 = s1 + self.stimulus + self.delay
        u[s1 : s1 + self.stimulus, :, 0] = self.amplitude * signs[0]
        u[s2 : s2 + self.stimulus, :, 1] = self.amplitude * signs[1]
        mask = np.zeros((T, batch))
        mask[T - self.response :] = 1.0
        target = mask * labels
        return u, target, mask, labels

    def to_dict(self) -> dict[str, Any]:
        """Return the task name and durations."""
        return {"name": self.name, **asdict(self)}


Task = DelayedSignTask | DMSTask

TASKS: dict[str, type[DelayedSignTask] | type[DMSTask]] = {
    "delayed_sign": DelayedSignTask,
    "dms": DMSTask,
}


def task_from_config(config: str | dict[str, Any] | Task) -> Task:
    """Return a task from a name (defaults), a :meth:`to_dict` mapping, or a task.

    Examples
    --------
    >>> task_from_config("dms").n_inputs
    2
    >>> task_from_config({"name": "delayed_sign", "delay": 3}).delay
    3
    """
    if isinstance(config, (DelayedSignTask, DMSTask)):
        return config
    if isinstance(config, str):
        config = {"name": config}
    if not isinstance(config, dict):
        raise TypeError(
            f"`task` must be a task name {sorted(TASKS)}, a mapping or a task; "
            f"got {type(config).__name__}."
        )
    fields = dict(config)
    name = fields.pop("name", None)
    if name not in TASKS:
        raise ValueError(
            f"`task` must be one of {sorted(TASKS)}; got {name!r}. "
            "Use 'dms' or 'delayed_sign' (or DMSTask(...), DelayedSignTask(...))."
        )
    return TASKS[name](**fields)
