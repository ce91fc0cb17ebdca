r"""Training continuous-time E/I rate networks with noise on working-memory tasks (JAX + optax).

Sigmoid rate units with Dale's law, a fixed sparse mask, trainable time constants bounded by a
sigmoid, Euler--Maruyama steps and additive noise during training (Kim, Li & Sejnowski, PNAS
116, 22811 (2019); Rungratsameetaweemana, Kim, Chotibut & Sejnowski, PNAS 122, e2316745122
(2025)); the trained networks, as :class:`randrnn.Realization`, are the objects whose Jacobians
Chotibut, Evnin & Horinouchi (arXiv:2512.12767) study (docs/theory.md sections 1 and 6).

- :class:`TrainSettings`, :func:`train`, :class:`TrainedNetwork` -- training, checkpoints,
  resumption, evaluation, saving and loading, :meth:`TrainedNetwork.realization`.
- :class:`DMSTask` (delayed match-to-sample), :class:`DelayedSignTask` -- trial generators;
  :func:`task_from_config`.
- :mod:`randrnn.training.model` -- the dynamics (imports JAX; this package imports JAX and optax
  only when training or evaluating: ``pip install randrnn[train]``).
"""

from __future__ import annotations

from randrnn.training.tasks import DelayedSignTask as DelayedSignTask
from randrnn.training.tasks import DMSTask as DMSTask
from randrnn.training.tasks import task_from_config as task_from_config
from randrnn.training.train import TrainedNetwork as TrainedNetwork
from randrnn.training.train import TrainSettings as TrainSettings
from randrnn.training.train import train as train

__all__ = [
    "DMSTask",
    "DelayedSignTask",
    "TrainSettings",
    "TrainedNetwork",
    "task_from_config",
    "train",
]
