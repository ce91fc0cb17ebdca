"""Property test of the config loader: any TOML tree gives a valid config or a named error.

Random mutations of a small valid config (valid and invalid table names and keys; booleans,
integers, floats including NaN and inf, strings such as "false", lists and nested tables) go
through :func:`randrnn.config.config_from_mapping`. The loader either returns a config that
round-trips through ``to_dict()``, or raises ``ValueError``/``TypeError`` whose message names
a mutated key. Nothing is sampled or simulated: the networks are small and only specs are built.
"""

from __future__ import annotations

import copy
import math
import warnings

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from randrnn.config import TABLES, config_from_mapping, default_mapping  # noqa: E402

#: small valid configs: spec construction only, nothing large
BASES = {
    "simulate": {
        "ensemble": {"n": 12, "g": 0.5},
        "simulation": {"t_max": 20.0, "burn_in": 1.0, "n_trials": 2, "max_lag": 1.0},
    },
    "run": {
        "ensemble": {"n": 12, "g": 0.5},
        "simulation": {
            "t_max": 20.0,
            "burn_in": 1.0,
            "n_trials": 2,
            "max_lag": 1.0,
            "n_quadruples": 3,
        },
    },
    "spectrum": {
        "ensemble": {"n": 40},
        "sensitivity": {"n": 30, "n_realizations": 2},
    },
}

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
SCALARS = st.one_of(
    st.booleans(),
    INT64,
    st.integers(min_value=-3, max_value=50),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 1e-300, 1e300, 2.5, -1.0, 0.5, 1.0, 0.05]),
    st.sampled_from(["true", "false", "no", "1", "2.5", "tanh", "", "gaussian", "block", "dense"]),
    st.text(max_size=5),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(["kind", "n", "g", "x", "value"]), inner, max_size=3),
    ),
    max_leaves=6,
)


def _keys(command: str, table: str) -> list[str]:
    return sorted(default_mapping(command).get(table, {})) if table in TABLES[command] else []


@st.composite
def mutated(draw):
    command = draw(st.sampled_from(sorted(BASES)))
    mapping = copy.deepcopy(BASES[command])
    changes = []
    for _ in range(draw(st.integers(min_value=1, max_value=2))):
        table = draw(st.sampled_from([*TABLES[command], "simulaton", "prediction", "x"]))
        if draw(st.integers(min_value=0, max_value=9)) == 0:  # the whole table
            mapping[table] = draw(VALUES)
            changes.append((table, None))
            continue
        key = draw(st.sampled_from([*_keys(command, table), "kind", "tmax", "foo"]))
        node = mapping.setdefault(table, {})
        if isinstance(node, dict):
            node[key] = draw(VALUES)
            changes.append((table, key))
    return command, mapping, changes


def _names(message: str, table: str, key: str | None) -> bool:
    """Whether ``message`` names ``table.key`` (or the table, or the key in a list)."""
    if key is None or f"'{table}'" in message:
        return any(f"{q}{table}" in message for q in ("`", "'", "["))
    return f"{table}.{key}" in message or f"'{key}'" in message


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(mutated())
def test_loader_gives_a_config_or_names_the_offending_key(case):
    command, mapping, changes = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # long-run warnings are not errors
        try:
            cfg = config_from_mapping(command, mapping)
        except (ValueError, TypeError) as exc:
            msg = str(exc)
            assert any(_names(msg, t, k) for t, k in changes), (changes, msg)
            assert "np.float64" not in msg, msg
            assert "np.int64" not in msg, msg
            return
        again = config_from_mapping(command, cfg.to_dict())
    assert again.to_dict() == cfg.to_dict()
    for t, k in changes:  # an accepted value is recorded as given (numbers as numbers)
        if k is None or k not in mapping.get(t, {}) or k not in cfg.to_dict().get(t, {}):
            continue
        given_value, recorded = mapping[t][k], cfg.to_dict()[t][k]
        if isinstance(given_value, float) and isinstance(recorded, float):
            assert math.isclose(given_value, recorded) or given_value == recorded
