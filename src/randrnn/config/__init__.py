"""Configs of the commands: one frozen dataclass per TOML table, one source of defaults.

A command's config is built in three steps, and all of it is checked before any work starts:

1. its preset (:data:`PRESETS`): the entries where the command's defaults differ from the
   defaults of the dataclasses (``randrnn run``: tanh, ``g = 3``, ``N = 1000``, 128 trials of
   1000 tau; ``randrnn simulate``: ``g = 2``, 16 trials of 200 tau);
2. a CONFIG file and ``--set TABLE.KEY=VALUE`` overrides, merged onto the preset table by table
   (an empty file gives the defaults; a table with another ``kind`` replaces the preset's);
3. one dataclass per table, then the whole-command config, which checks across tables: ``dt``
   against ``tau``, the run length, the memory the run needs against what this machine has.

Types are strict: strings are not booleans, ``2.5`` is not an integer, a value is not a table.
Every error names the full key (``simulation.n_quadruples``), the value and a fix.

- :class:`PredictionSettings`, :class:`SpectrumSettings`, :class:`SensitivitySettings`,
  :class:`SparseSettings` -- the tables that have no spec class elsewhere (``[ensemble]``,
  ``[network]``, ``[simulation]`` and ``[seeds]`` are :mod:`randrnn.ensembles`,
  :class:`~randrnn.networks.RateNetwork`, :class:`~randrnn.simulate.SimulationSettings` and
  :class:`~randrnn.networks.Seeds`; the ``[cavity]`` table of ``randrnn spectrum`` is
  :class:`~randrnn.rmt.CavitySettings`).
- :data:`ENSEMBLE_PRESETS` -- named Jacobian ensembles for ``[ensemble] preset = NAME``
  (``inhibitory_core``); :data:`SPARSE_MAX_IN_DEGREE` -- the in-degree below which
  ``spectrum.theory = "auto"`` picks the finite-connectivity theory; :func:`pole_segment` --
  the real segment of timescale poles that region sides must not cross.
- :class:`SimulateConfig`, :class:`RunConfig`, :class:`SpectrumConfig` -- whole-command configs;
  ``to_dict()`` is the full TOML-able config recorded with results.
- :func:`load_config` -- preset, CONFIG file and overrides to a config object.
- :func:`config_from_mapping` -- the same from a mapping; :func:`default_mapping` -- a preset as
  a plain mapping (nothing checked against this machine).
- :func:`read_toml`, :func:`apply_overrides`, :func:`merge_config`, :func:`check_keys` -- the
  mapping-level pieces (from :mod:`randrnn.io`).
"""

from __future__ import annotations

from randrnn.config.commands import CommandConfig as CommandConfig
from randrnn.config.commands import FixedPointsConfig as FixedPointsConfig
from randrnn.config.commands import LowRankConfig as LowRankConfig
from randrnn.config.commands import RunConfig as RunConfig
from randrnn.config.commands import SimulateConfig as SimulateConfig
from randrnn.config.commands import SpectrumConfig as SpectrumConfig
from randrnn.config.commands import pole_segment as pole_segment
from randrnn.config.loading import ENSEMBLE_PRESETS as ENSEMBLE_PRESETS
from randrnn.config.loading import PRESETS as PRESETS
from randrnn.config.loading import TABLES as TABLES
from randrnn.config.loading import Command as Command
from randrnn.config.loading import config_from_mapping as config_from_mapping
from randrnn.config.loading import default_mapping as default_mapping
from randrnn.config.loading import load_config as load_config
from randrnn.config.tables import DESIGNS as DESIGNS
from randrnn.config.tables import SPARSE_MAX_IN_DEGREE as SPARSE_MAX_IN_DEGREE
from randrnn.config.tables import ApproximationSettings as ApproximationSettings
from randrnn.config.tables import ContextSettings as ContextSettings
from randrnn.config.tables import FixedPointSettings as FixedPointSettings
from randrnn.config.tables import LowRankSettings as LowRankSettings
from randrnn.config.tables import OperatingPointSettings as OperatingPointSettings
from randrnn.config.tables import PredictionSettings as PredictionSettings
from randrnn.config.tables import SensitivitySettings as SensitivitySettings
from randrnn.config.tables import SparseSettings as SparseSettings
from randrnn.config.tables import SpectrumSettings as SpectrumSettings
from randrnn.io import apply_overrides as apply_overrides
from randrnn.io import check_keys as check_keys
from randrnn.io import load_toml as read_toml
from randrnn.io import merge_config as merge_config
from randrnn.io import parse_value as parse_value

__all__ = [
    "DESIGNS",
    "ENSEMBLE_PRESETS",
    "PRESETS",
    "SPARSE_MAX_IN_DEGREE",
    "TABLES",
    "ApproximationSettings",
    "Command",
    "CommandConfig",
    "ContextSettings",
    "FixedPointSettings",
    "FixedPointsConfig",
    "LowRankConfig",
    "LowRankSettings",
    "OperatingPointSettings",
    "PredictionSettings",
    "RunConfig",
    "SensitivitySettings",
    "SimulateConfig",
    "SparseSettings",
    "SpectrumConfig",
    "SpectrumSettings",
    "apply_overrides",
    "check_keys",
    "config_from_mapping",
    "default_mapping",
    "load_config",
    "merge_config",
    "parse_value",
    "pole_segment",
    "read_toml",
]
