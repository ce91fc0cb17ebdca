"""Configs of the commands: defaults, merging, strict types, checks before any work, messages.

Every bad config a user is likely to write is refused at construction (before any sampling,
solving or simulating) with a message that names the full key, shows the value as typed and
says what to do.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from click.testing import CliRunner

from randrnn.cli import main
from randrnn.config import (
    PredictionSettings,
    RunConfig,
    SensitivitySettings,
    SimulateConfig,
    SpectrumConfig,
    SpectrumSettings,
    apply_overrides,
    config_from_mapping,
    default_mapping,
    load_config,
    merge_config,
)
from randrnn.config import commands as config_commands
from randrnn.ensembles import STATISTICS, GaussianEnsemble
from randrnn.networks import RateNetwork, Seeds, realize
from randrnn.simulate import SimulationSettings, simulate

#: a small run/simulate config (the sizes the break test used)
SMALL = (
    "ensemble.n=100",
    "simulation.t_max=50.0",
    "simulation.n_trials=4",
    "simulation.max_lag=2.0",
)


def load(command, *overrides, path=None):
    return load_config(command, path, [*SMALL, *overrides] if command != "spectrum" else overrides)


def refused(command, *overrides, error=(ValueError, TypeError), path=None):
    with pytest.raises(error) as info:
        load(command, *overrides, path=path)
    return str(info.value)


# ----------------------------------------------------------------------------------------------
# Defaults: one source, the numbers of the built-in runs unchanged


def test_run_defaults_are_the_builtin_run():
    cfg = load_config("run")
    assert isinstance(cfg, RunConfig)
    assert cfg.network.ensemble == GaussianEnsemble(n=1000, g=3.0)
    assert cfg.to_dict()["network"] == {"phi": "tanh", "tau": 1.0, "sigma": 0.0, "sigma_b": 0.0}
    assert cfg.simulation == SimulationSettings(
        dt=0.05,
        t_max=1000.0,
        burn_in=50.0,
        n_trials=128,
        stats_every=10,
        acf_every=4,
        max_lag=20.0,
        n_blocks=16,
        n_quadruples=2000,
    )
    assert cfg.seeds == Seeds(coupling=0, input=1, initial=2, noise=3)
    assert cfg.prediction == PredictionSettings(method="auto", naive=True)
    assert load_config("scaling").to_dict() == cfg.to_dict()


def test_simulate_defaults_are_the_builtin_simulation():
    cfg = load_config("simulate")
    assert isinstance(cfg, SimulateConfig)
    assert cfg.network.ensemble == GaussianEnsemble(n=1000, g=2.0)
    assert cfg.simulation == SimulationSettings(dt=0.05, t_max=200.0, burn_in=50.0, n_trials=16)
    assert cfg.seeds == Seeds()


def test_spectrum_defaults_are_the_builtin_spectrum():
    cfg = load_config("spectrum")
    assert isinstance(cfg, SpectrumConfig)
    ens = cfg.to_dict()["ensemble"]
    assert (ens["n"], ens["fractions"], ens["signs"]) == (1000, [0.8, 0.2], [1, -1])
    assert ens["connectivity"] == [[0.05, 0.2], [0.2, 0.2]]
    assert ens["keep_mean"] is False
    assert cfg.spectrum == SpectrumSettings(method="dense", n_realizations=3, seed=0, k=80, bins=25)
    assert cfg.sensitivity.to_dict() == {
        "enabled": True,
        "n": 1000,
        "n_realizations": 3,
        "sparsity": [0.5, 1.0, 1.5, 2.0],
        "fraction_excitatory": [0.6, 0.7, 0.8, 0.9],
        "weight_scale": [0.6, 0.8, 1.0, 1.2],
        "tau_spread": [0.0, 0.3, 0.6, 0.9],
        "gain_spread": [0.0, 0.3, 0.6, 0.9],
    }
    assert set(STATISTICS) <= set(SensitivitySettings.__dataclass_fields__)


@pytest.mark.parametrize("command", ["run", "simulate", "spectrum"])
def test_recorded_config_rebuilds_the_same_config(command):
    cfg = load_config(command)
    again = config_from_mapping(command, cfg.to_dict())
    assert again.to_dict() == cfg.to_dict()
    assert default_mapping(command).keys() == cfg.to_dict().keys()


def test_complete_tables_build_the_same_specs_without_presets():
    from randrnn import io

    cfg = load_config("simulate", None, ["ensemble.n=20"])
    net, seeds, settings = io.experiment_from_config(cfg.to_dict())
    assert net.to_config() == cfg.network.to_config()
    assert (seeds, settings) == (cfg.seeds, cfg.simulation)
    with pytest.raises(TypeError, match=r"`ensemble` must be a table"):
        io.experiment_from_config({"ensemble": 5})


# ----------------------------------------------------------------------------------------------
# Files and overrides merge onto the preset table by table


def test_empty_config_file_gives_the_defaults(tmp_path):
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    for command in ("simulate", "spectrum"):
        assert load_config(command, empty).to_dict() == load_config(command).to_dict()


def test_config_file_and_overrides_merge_key_by_key(tmp_path):
    f = tmp_path / "small.toml"
    f.write_text("[ensemble]\nn = 100\ng = 2.0\n[simulation]\nt_max = 50.0\nmax_lag = 2.0\n")
    cfg = load_config("run", f, ["simulation.n_trials=4", "prediction.naive=false"])
    assert (cfg.network.n, cfg.network.ensemble.g) == (100, 2.0)
    assert (cfg.simulation.t_max, cfg.simulation.n_trials) == (50.0, 4)
    assert cfg.simulation.n_quadruples == 2000  # from the run preset
    assert cfg.prediction.naive is False


def test_a_table_of_another_kind_replaces_the_preset_table():
    base = {"ensemble": {"kind": "gaussian", "n": 10, "g": 2.0}}
    assert merge_config(base, {"ensemble": {"kind": "block"}}) == {"ensemble": {"kind": "block"}}
    msg = refused("simulate", 'ensemble.kind="block"')
    assert "[ensemble] (kind = 'block') is missing the key(s)" in msg
    assert "'fractions'" in msg


# ----------------------------------------------------------------------------------------------
# Unknown tables and keys


def test_unknown_keys_list_the_valid_ones():
    msg = refused("simulate", "ensemble.foo=1")
    assert "unknown key(s) ['foo'] in `ensemble`" in msg
    assert "valid keys: ['allow_self_coupling', 'eta', 'g', 'kind', 'n']" in msg
    msg = refused("simulate", "simulaton.t_max=10")
    assert "unknown key(s) ['simulaton'] in [config]" in msg
    assert "Did you mean 'simulation'?" in msg
    msg = refused("simulate", "simulation.tmax=10")
    assert "unknown key(s) ['tmax'] in [simulation]" in msg
    assert "Did you mean 't_max'?" in msg
    msg = refused("spectrum", "spectrm.k=3")
    assert "in [config]" in msg
    assert "in []" not in msg


@pytest.mark.parametrize(
    ("item", "match"),
    [
        ("ensemble.n", r"`--set` must be key=value \(e\.g\. ensemble\.g=2\.0\); got 'ensemble\.n'"),
        ("=5", r"unknown key\(s\) \[''\] in \[config\]"),
        ("n=5", r"unknown key\(s\) \['n'\] in \[config\]"),
        ("ensemble.=5", r"unknown key\(s\) \[''\] in `ensemble`"),
        ("ensemble.n=", r"`ensemble\.n` must be an integer; got ''"),
    ],
)
def test_malformed_overrides_are_named(item, match):
    for command in ("simulate", "spectrum"):
        with pytest.raises((ValueError, TypeError), match=match):
            load_config(command, None, [item])


def test_override_through_a_value_is_refused():
    with pytest.raises(ValueError, match=r"goes through `ensemble\.n`, which is not a table"):
        apply_overrides({"ensemble": {"n": 5}}, ["ensemble.n.x=5"])


@pytest.mark.parametrize("table", ["ensemble", "seeds", "network", "prediction", "simulation"])
@pytest.mark.parametrize("value", ["5", "[1]"])
def test_a_value_for_a_table_is_refused_naming_the_table(table, value):
    got = "5" if value == "5" else "[1]"
    msg = refused("run", f"{table}={value}", error=TypeError)
    assert msg == (f"`{table}` must be a table ([{table}] or --set {table}.KEY=VALUE); got {got}.")


# ----------------------------------------------------------------------------------------------
# Strict types; messages name the full key and show values as typed


@pytest.mark.parametrize(
    ("item", "error", "match"),
    [
        ('ensemble.n="100"', TypeError, r"`ensemble\.n` must be an integer; got '100'\."),
        ("ensemble.n=abc", TypeError, r"`ensemble\.n` must be an integer; got 'abc'\."),
        ("ensemble.n=100.0", TypeError, r"`ensemble\.n` must be an integer; got 100\.0\."),
        ("simulation.n_trials=4.0", TypeError, r"`simulation\.n_trials` must be an integer"),
        ("ensemble.g=[1,2]", TypeError, r"`ensemble\.g` must be a real number; got \[1, 2\]\."),
        (
            "simulation.n_quadruples=2.5",
            TypeError,
            r"^`simulation\.n_quadruples` must be an integer; got 2\.5\.$",
        ),
        ('ensemble.allow_self_coupling="no"', TypeError, r"`ensemble\.allow_self_coupling`"),
        ('prediction.naive="false"', TypeError, r"`prediction\.naive` must be true or false"),
        ("simulation.progress=3", TypeError, r"`simulation\.progress` must be true or false"),
        ('simulation.covariance="no"', TypeError, r"`simulation\.covariance` must be true"),
        ('simulation.record_units="abc"', TypeError, r"`simulation\.record_units` must be a list"),
        ("simulation.record_units=3", TypeError, r"`simulation\.record_units` must be a list"),
        ("simulation.record_units=[1.7]", TypeError, r"`simulation\.record_units\[0\]` must be"),
        (
            "simulation.record_units=[500]",
            ValueError,
            r"`simulation\.record_units` must be unit indices in \[0, 100\)",
        ),
        ("simulation.record_units=[0,0,-1]", ValueError, r"`simulation\.record_units\[2\]`"),
        ("seeds.noise=-1", ValueError, r"`seeds\.noise` must be a non-negative integer; got -1"),
        ("seeds.noise=1.5", TypeError, r"`seeds\.noise` must be an integer; got 1\.5"),
        ("simulation.n_blocks=3", ValueError, r"`simulation\.n_blocks` must be >= 4"),
        ('simulation.dtype="float16"', ValueError, r"`simulation\.dtype` must be one of"),
        ('prediction.method="fast"', ValueError, r"`prediction\.method` must be one of"),
        ('network.tau="1"', TypeError, r"`network\.tau` must be a real number; got '1'"),
        ("network.phi=3", ValueError, r"`network\.phi` must be one of \['erf'"),
        ('network.phi="softsign"', ValueError, r"`network\.phi` must be one of .* got 'softsign'"),
        ('ensemble.kind="sparse"', ValueError, r"`ensemble\.kind` must be one of \['block'"),
        ("network.b=[1,2,3]", ValueError, r"`network\.b` must have shape \(100,\); got shape \(3,"),
        ("network.b=0.5", TypeError, r"`network\.b` must be a list of numbers"),
        ('network.b=["a","b"]', TypeError, r"`network\.b\[0\]` must be a real number; got 'a'"),
    ],
)
def test_wrong_types_and_values_name_the_full_key(item, error, match):
    with pytest.raises(error, match=match):
        load("run" if item.startswith("prediction") else "simulate", item)


@pytest.mark.parametrize(
    ("item", "match"),
    [
        ("ensemble.n=0", r"`ensemble\.n` must be a positive integer; got 0"),
        ("ensemble.n=-5", r"`ensemble\.n` must be a positive integer; got -5"),
        ("ensemble.g=-1", r"`ensemble\.g` must be >= 0; got -1"),
        ("simulation.dt=0", r"`simulation\.dt` must be > 0; got 0"),
        ("simulation.dt=-0.01", r"`simulation\.dt` must be > 0; got -0\.01"),
        ("simulation.t_max=-10", r"`simulation\.t_max` must be > 0; got -10"),
        ("simulation.n_trials=0", r"`simulation\.n_trials` must be a positive integer; got 0"),
        ("network.sigma=-1", r"`network\.sigma` must be >= 0; got -1"),
        ("network.sigma_b=-0.5", r"`network\.sigma_b` must be >= 0; got -0\.5"),
        ("network.tau=0", r"`network\.tau` must be > 0; got 0"),
        ("ensemble.g=nan", r"`ensemble\.g` must be finite; got nan"),
        ("simulation.dt=inf", r"`simulation\.dt` must be finite; got inf"),
        ("simulation.max_abs=nan", r"`simulation\.max_abs` must be finite; got nan"),
    ],
)
def test_out_of_range_values_are_refused(item, match):
    with pytest.raises(ValueError, match=match):
        load("simulate", item)


def test_legal_edge_values_are_accepted():
    assert load("simulate", "ensemble.g=0").network.ensemble.g == 0.0
    st = load("simulate", "simulation.burn_in=100").simulation  # burn-in longer than t_max
    assert st.burn_in == 100.0
    assert load("simulate", 'network.phi="Tanh"').to_dict()["network"]["phi"] == "tanh"


def test_b_and_sigma_b_conflict_names_both_keys():
    msg = refused("simulate", "network.sigma_b=0.5", f"network.b={[0.1] * 100}")
    assert "`network.b` and `network.sigma_b` are exclusive" in msg


def test_settings_refuse_strings_for_bools_and_floats_for_ints():
    with pytest.raises(TypeError, match=r"`n_quadruples` must be a non-negative integer; got 1\.5"):
        SimulationSettings(n_quadruples=1.5)
    with pytest.raises(TypeError, match=r"`covariance` must be true or false"):
        SimulationSettings(covariance="no")
    with pytest.raises(TypeError, match=r"`record_units\[0\]` must be a non-negative integer"):
        SimulationSettings(record_units=[1.7])
    assert SimulationSettings(record_units=np.array([3, 1])).record_units == (3, 1)
    with pytest.raises(TypeError, match=r"`naive` must be true or false"):
        PredictionSettings(naive="false")


def test_simulate_refuses_a_dict_for_settings():
    net = RateNetwork(ensemble=GaussianEnsemble(n=10, g=1.0))
    with pytest.raises(TypeError, match=r"^`settings` must be a .*SimulationSettings.*got dict"):
        simulate(realize(net), {"t_max": 10})


# ----------------------------------------------------------------------------------------------
# Checks across tables and of the run length, before any work


def test_dt_not_below_tau_is_refused_with_the_numbers():
    msg = refused("run", "simulation.dt=1.0")
    assert msg.startswith("`simulation.dt` must be smaller than the smallest `network.tau`")
    assert "dt = 1.0, min(tau) = 1.0" in msg
    assert "np.float64" not in msg
    assert "simulation.dt" in refused("run", "simulation.dt=2")
    assert "min(tau) = 0.5" in refused("run", "network.tau=0.5", "simulation.dt=0.5")


def test_run_needs_a_positive_max_lag():
    msg = refused("run", "simulation.max_lag=0")
    assert msg.startswith("`simulation.max_lag` must be > 0 for randrnn run")
    assert load("simulate", "simulation.max_lag=0").simulation.max_lag == 0.0


def test_max_lag_longer_than_a_block_names_every_setting():
    msg = refused("simulate", "simulation.max_lag=20.0")
    assert msg.startswith("`simulation.max_lag` must be shorter than a block; got 20.0.")
    for key in ("t_max", "n_blocks", "stats_every", "acf_every", "dt"):
        assert f"`simulation.{key}`" in msg


def test_run_records_no_trajectories():
    assert "`simulation.record_units` must be empty" in refused(
        "run", "simulation.record_units=[1]"
    )


def test_quadruples_on_fewer_than_four_units_say_how_to_turn_them_off():
    msg = refused("run", "ensemble.n=2")
    assert "`simulation.n_quadruples` = 2000 needs `ensemble.n` >= 4" in msg
    assert "Set simulation.n_quadruples=0" in msg
    assert load("run", "ensemble.n=2", "simulation.n_quadruples=0").network.n == 2


def test_t_max_inflated_by_whole_blocks_is_refused():
    msg = refused("simulate", "simulation.stats_every=100000")
    assert "would be rounded up to 80000 time units (1600x)" in msg
    assert "`simulation.stats_every` = 100000" in msg
    assert "`simulation.n_blocks`" in msg
    # the suggested largest stats_every keeps the sampled time within 2 t_max
    largest = int(re.search(r"at most (\d+)", msg).group(1))
    st = SimulationSettings(t_max=50.0, stats_every=largest, max_lag=0.0)
    assert st.t_sampled <= 2 * st.t_max


def test_absurd_step_counts_are_refused_naming_dt():
    msg = refused("simulate", "simulation.dt=1e-300")
    assert msg.startswith("`simulation.dt` = 1e-300 with `simulation.t_max` = 50.0")
    assert "at most 1e+10 are allowed" in msg


def test_long_runs_warn_with_the_step_count():
    with pytest.warns(UserWarning, match=r"will take 5,000,000,000 integration steps") as rec:
        SimulationSettings(dt=1e-8, t_max=50.0, burn_in=0.0, max_lag=0.0)
    assert "`dt` = 1e-08" in str(rec[0].message)
    with pytest.warns(UserWarning, match=r"20,000,000 integration steps .*`simulation\.dt`"):
        load("simulate", "simulation.dt=5e-6")


# ----------------------------------------------------------------------------------------------
# Memory: estimated before allocating, refused with the number and the fix


def test_memory_estimate_counts_the_accumulators():
    n = 20_000

    def per_entry(**kw):
        st = SimulationSettings(t_max=1000.0, max_lag=0.0, **kw)
        assert st.estimated_bytes(n) == sum(st.memory_breakdown(n).values())
        return st.memory_breakdown(n)["couplings and N x N accumulators"] / n**2

    # J (8) + scaled J^T (4) + 3 x (block 4 + mean 8 + Welford 4 + half 4) + scratch (4)
    assert per_entry() == 76
    assert per_entry(dtype="float64") == 8 + 8 + 3 * (8 + 8 + 4 + 4) + 8
    # without covariances the set-up copies of J are the peak: J, (1 - e) J, cast, copy
    assert per_entry(covariance=False, cross_covariance=False) == 8 + 8 + 4 + 4


def test_a_network_too_large_for_memory_is_refused_before_allocating():
    msg = refused("simulate", "ensemble.n=1000000")
    assert msg.startswith("the simulation with `ensemble.n` = 1000000 needs about 69.1 TiB")
    assert "simulation.cross_covariance" in msg
    msg = refused("run", "ensemble.n=1000000")
    assert "`prediction.naive` = false" in msg


def test_memory_check_uses_what_this_process_may_allocate(monkeypatch):
    budget = 6 * 2**30
    monkeypatch.setattr(config_commands, "available_memory", lambda: budget)
    msg = refused("simulate", "ensemble.n=20000")
    assert "more than the 6.0 GiB available" in msg
    fits = int(re.search(r"at most about (\d+) fits", msg).group(1))
    st = load("simulate").simulation
    assert st.estimated_bytes(fits) <= budget < st.estimated_bytes(fits + 1)
    assert load("simulate", f"ensemble.n={fits}").network.n == fits
    monkeypatch.setattr(config_commands, "available_memory", lambda: None)
    assert load("simulate", "ensemble.n=20000").network.n == 20_000


def test_available_memory_is_known_on_linux():
    from randrnn._validation import available_memory

    avail = available_memory()
    assert avail is None or avail > 0


# ----------------------------------------------------------------------------------------------
# TOML files: errors name the file


@pytest.mark.parametrize(
    ("text", "where"),
    [("[ensemble\n", "line 1, column 10"), ("[ensemble]\nn = 1\nn = 2\n", "line 3")],
)
def test_invalid_toml_names_the_file_and_line(tmp_path, text, where):
    f = tmp_path / "bad.toml"
    f.write_text(text)
    for command in ("simulate", "spectrum"):
        msg = refused(command, path=f)
        assert msg.startswith(f"CONFIG {str(f)!r} is not valid TOML")
        assert where in msg


def test_utf8_byte_order_mark_is_accepted(tmp_path):
    f = tmp_path / "bom.toml"
    f.write_bytes(b"\xef\xbb\xbf[ensemble]\nn = 100\n")
    assert load_config("simulate", f).network.n == 100


def test_other_encodings_are_refused_as_not_utf8(tmp_path):
    f = tmp_path / "u16.toml"
    f.write_text("[ensemble]\nn = 100\n", encoding="utf-16")
    assert refused("simulate", path=f).startswith("CONFIG must be UTF-8 TOML")
    f.write_bytes("[ensemble]\nname = 'é'\n".encode("latin-1"))
    msg = refused("simulate", path=f)
    assert msg.startswith("CONFIG must be UTF-8 TOML")
    assert "byte 0xe9" in msg


def test_missing_or_directory_config_is_refused(tmp_path):
    assert "cannot be read" in refused("simulate", path=tmp_path / "nope.toml")
    assert "cannot be read" in refused("simulate", path=tmp_path)


# ----------------------------------------------------------------------------------------------
# randrnn spectrum configs


def test_spectrum_config_errors_are_clean():
    assert "`spectrum.n_realizations` must be an integer; got 'abc'" in refused(
        "spectrum", "spectrum.n_realizations=abc"
    )
    assert "`sensitivity.enabled` must be true or false" in refused(
        "spectrum", 'sensitivity.enabled="false"'
    )
    assert "unknown key(s) ['foo'] in `ensemble`" in refused("spectrum", "ensemble.foo=1")
    assert "`ensemble.n` must be a positive integer" in refused("spectrum", "ensemble.n=0")
    assert "`spectrum.method` must be one of ['dense', 'arnoldi']" in refused(
        "spectrum", 'spectrum.method="foo"'
    )
    assert "`sensitivity.sparsity` must be a list of numbers" in refused(
        "spectrum", "sensitivity.sparsity=0.5"
    )
    msg = refused("spectrum", 'spectrum.method="arnoldi"', "spectrum.k=2000")
    assert "`spectrum.k` must be < `ensemble.n` - 1 = 999" in msg
    assert load("spectrum", "sensitivity.enabled=false").sensitivity.enabled is False


def test_spectrum_config_merges_onto_the_defaults(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text("[ensemble]\nn = 200\n[spectrum]\nseed = 7\n")
    cfg = load_config("spectrum", f)
    assert (cfg.ensemble.n, cfg.spectrum.seed, cfg.spectrum.n_realizations) == (200, 7, 3)
    assert cfg.ensemble.n_populations == 2


# ----------------------------------------------------------------------------------------------
# The command line: config errors are usage errors (exit 2), without a traceback


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["simulate", "--set", "ensemble=5"], "`ensemble` must be a table"),
        (["simulate", "--set", "simulation.n_quadruples=2.5"], "must be an integer; got 2.5."),
        (["simulate", "--set", "simulation.dt=1e-300"], "`simulation.dt` = 1e-300"),
        (["simulate", "--set", "ensemble.n=1000000"], "needs about 69.1 TiB of memory"),
        (["spectrum", "--set", "ensemble.n"], "`--set` must be key=value"),
    ],
)
def test_config_errors_exit_2_without_traceback(tmp_path, args, text):
    r = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "o")])
    assert r.exit_code == 2, r.output
    assert text in r.output
    assert "Traceback" not in r.output
    assert not (tmp_path / "o").exists()


def test_invalid_toml_on_the_command_line_names_the_file(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text("[ensemble\n")
    for command in ("simulate", "spectrum"):
        r = CliRunner().invoke(main, [command, str(f), "--out", str(tmp_path / "o")])
        assert r.exit_code == 2, r.output
        assert "bad.toml" in r.output
        assert "line 1" in r.output


def test_scaling_sizes_that_are_not_integers_name_the_option(tmp_path):
    r = CliRunner().invoke(main, ["scaling", "--sizes", "abc", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    assert "--sizes" in r.output


def test_values_in_messages_have_no_numpy_reprs():
    msg = refused("run", "network.tau=0.05", "simulation.dt=0.05")
    assert "min(tau) = 0.05" in msg
    assert "np.float64" not in msg


def test_command_line_warnings_are_one_line(capsys):
    from randrnn.cli._options import load_command_config

    cfg = load_command_config("simulate", None, (*SMALL, "simulation.dt=5e-6"))
    assert cfg.simulation.n_steps == 20_000_000
    err = capsys.readouterr().err
    assert err.startswith("Warning: the simulation will take 20,000,000 integration steps")
    assert err.count("\n") == 1


def test_a_dense_spectrum_too_large_for_memory_is_refused():
    msg = refused("spectrum", "ensemble.n=100000")
    assert msg.startswith("a dense spectrum of 100000 units needs about")
    assert "spectrum.method = 'arnoldi'" in msg
    msg = refused("spectrum", "sensitivity.n=100000")
    assert "`sensitivity.n` = 100000" in msg
