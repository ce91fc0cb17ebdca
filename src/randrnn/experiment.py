"""Deprecated location of the run experiment: use :mod:`randrnn.experiments`.

Kept as a re-export while the import contracts name this module; nothing in randrnn imports it.
"""

from __future__ import annotations

from randrnn.experiments.run import DEFAULT_RUN_CONFIG as DEFAULT_RUN_CONFIG
from randrnn.experiments.run import RunResult as RunResult
from randrnn.experiments.run import experiment_from_config as experiment_from_config
from randrnn.experiments.run import run_experiment as run_experiment

__all__ = ["DEFAULT_RUN_CONFIG", "RunResult", "experiment_from_config", "run_experiment"]
