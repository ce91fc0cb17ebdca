"""randrnn.training: E/I rate networks trained with noise on working-memory tasks."""

from __future__ import annotations

import time

import numpy as np
import pytest

jax = pytest.importorskip("jax")
pytest.importorskip("optax")

from randrnn import Realization  # noqa: E402
from randrnn.errors import DivergenceError  # noqa: E402
from randrnn.fixedpoints import rate_field  # noqa: E402
from randrnn.training import (  # noqa: E402
    DelayedSignTask,
    DMSTask,
    TrainedNetwork,
    TrainSettings,
    model,
    task_from_config,
    train,
)

TINY = TrainSettings(
    n=40,
    task="delayed_sign",
    noise=0.5,
    n_iterations=400,
    batch=32,
    lr=0.02,
    seed=3,
    stop_window=20,
    target_accuracy=0.97,
)


@pytest.fixture(scope="module")
def tiny() -> tuple[TrainedNetwork, float]:
    t0 = time.perf_counter()
    net = train(TINY, progress=False)
    return net, time.perf_counter() - t0


def test_tiny_network_learns_delayed_sign_quickly(tiny):
    """n = 40 on delayed sign with training noise: >= 90 % on 1000 fresh noisy trials, < 30 s."""
    net, seconds = tiny
    accuracy = net.evaluate(n_trials=1000, seed=12345)
    assert seconds < 30.0
    assert accuracy >= 0.9
    assert net.history["loss"].shape == net.history["accuracy"].shape == (net.iterations,)
    assert net.history["loss"][-1] < net.history["loss"][0]


def test_dale_law_mask_and_time_constants(tiny):
    net, _ = tiny
    s = net.settings
    n_i = int(net.inhibitory.sum())
    assert n_i == round(s.fraction_inhibitory * s.n)
    # inhibitory units last, as the ensemble's population index
    assert not net.inhibitory[: s.n - n_i].any()
    assert net.inhibitory[s.n - n_i :].all()
    assert np.all(net.w[:, ~net.inhibitory] >= 0)
    assert np.all(net.w[:, net.inhibitory] <= 0)
    assert np.all(net.w[~net.mask] == 0)
    assert not np.diag(net.mask).any()
    assert np.all((net.tau >= s.tau_min) & (net.tau <= s.tau_max))
    # the mask is the fixed one drawn at initialisation
    _, mask0, _ = model.init_params(
        s.n,
        1,
        fraction_inhibitory=s.fraction_inhibitory,
        connectivity=s.connectivity,
        gain=s.gain,
        rng=np.random.default_rng([s.seed, 0]),
    )
    np.testing.assert_array_equal(net.mask, mask0)


@pytest.mark.parametrize("u", [None, [0.7]])
def test_realization_rate_field_equals_the_training_dynamics(tiny, u):
    """rate_field of realization(u) (NumPy, float64) against the model's Euler drift (JAX)."""
    net, _ = tiny
    real = net.realization(u)
    assert isinstance(real, Realization)
    assert real.custom
    np.testing.assert_array_equal(real.population, net.inhibitory.astype(int))
    assert real.network.phi.name == "sigmoid"
    X = np.random.default_rng(0).normal(scale=2.0, size=(5, net.n))
    u_vec = np.zeros((5, 1)) if u is None else np.tile(u, (5, 1))
    expected = np.asarray(
        model.drift(
            jax.numpy.asarray(X, dtype="float32"),
            jax.numpy.asarray(u_vec, dtype="float32"),
            *(jax.numpy.asarray(a, dtype="float32") for a in (net.w, net.w_in, net.b, net.tau)),
        ),
        dtype=float,
    )
    got = rate_field(real)(X)
    scale = np.abs(X).max() + np.abs(net.w).sum(axis=1).max() + 1.0
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5 * scale / net.tau.min())


def test_same_seed_gives_bitwise_identical_training():
    s = TrainSettings(n=20, task="delayed_sign", n_iterations=15, batch=8, target_accuracy=None)
    a, b = train(s, progress=False), train(s, progress=False)
    np.testing.assert_array_equal(a.history["loss"], b.history["loss"])
    np.testing.assert_array_equal(a.w, b.w)
    c = train(TrainSettings(**{**s.to_dict(), "seed": 1}), progress=False)
    assert not np.array_equal(a.history["loss"], c.history["loss"])


def test_resume_from_a_midway_checkpoint_equals_an_uninterrupted_run(tmp_path):
    s = TrainSettings(
        n=20,
        task="delayed_sign",
        n_iterations=20,
        batch=8,
        checkpoint_every=5,
        target_accuracy=None,
    )
    full = train(s, out=tmp_path / "full", progress=False)

    class Interrupt(Exception):
        pass

    def stop_at_13(iteration, loss, accuracy):
        if iteration == 13:
            raise Interrupt

    with pytest.raises(Interrupt):
        train(s, out=tmp_path / "cut", progress=stop_at_13)
    with np.load(tmp_path / "cut" / "checkpoint.npz") as ck:
        assert int(ck["iteration"]) == 10
    resumed = train(s, out=tmp_path / "cut", progress=False)
    for name in ("w", "w_in", "b", "w_out", "tau"):
        np.testing.assert_array_equal(getattr(resumed, name), getattr(full, name))
    assert resumed.b_out == full.b_out
    np.testing.assert_array_equal(resumed.history["loss"], full.history["loss"])
    # a fresh start ignores the checkpoint; other settings refuse it
    restarted = train(s, out=tmp_path / "cut", progress=False, resume=False)
    np.testing.assert_array_equal(restarted.w, full.w)
    with pytest.raises(ValueError, match="other settings"):
        train(TrainSettings(**{**s.to_dict(), "lr": 0.02}), out=tmp_path / "cut", progress=False)


def test_save_load_and_xarray(tiny, tmp_path):
    net, _ = tiny
    net.save(tmp_path / "net")
    back = TrainedNetwork.load(tmp_path / "net")
    for name in ("w", "w_in", "b", "w_out", "tau", "inhibitory", "mask"):
        np.testing.assert_array_equal(getattr(back, name), getattr(net, name))
    assert back.settings == net.settings
    assert back.b_out == net.b_out
    np.testing.assert_array_equal(back.history["accuracy"], net.history["accuracy"])
    ds = net.to_xarray()
    assert ds["w"].dims == ("post", "pre")
    assert ds.sizes["iteration"] == net.iterations
    with pytest.raises(FileNotFoundError, match="path"):
        TrainedNetwork.load(tmp_path / "missing")


def test_dms_trials_encode_match():
    task = DMSTask(fixation=2, stimulus=3, delay=4, response=5)
    u, target, mask, labels = task.generate(np.random.default_rng(0), 400)
    first = u[2, :, 0]
    second = u[2 + 3 + 4, :, 1]
    np.testing.assert_array_equal(labels, np.sign(first) * np.sign(second))
    assert np.all(mask[-5:] == 1)
    assert np.all(mask[:-5] == 0)
    assert np.all(target[-1] == labels)
    # the four stimulus pairs are equally likely: match fraction within 4 standard errors
    assert abs(np.mean(labels == 1) - 0.5) < 4 * 0.5 / np.sqrt(400)
    assert task_from_config(task.to_dict()) == task


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("n", 0),
        ("fraction_inhibitory", 1.0),
        ("connectivity", 0.0),
        ("tau_max", 2.0),
        ("noise", -0.1),
        ("lr", 0.0),
        ("batch", 0),
        ("target_accuracy", 1.5),
        ("grad_clip", -1.0),
        ("task", "xor"),
    ],
)
def test_bad_settings_name_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        TrainSettings(**{field: value})


def test_bad_task_duration_names_the_field():
    with pytest.raises(ValueError, match="response"):
        DelayedSignTask(response=0)


def test_nan_loss_raises():
    s = TrainSettings(n=20, task="delayed_sign", n_iterations=10, lr=1e30, target_accuracy=None)
    with pytest.raises(DivergenceError, match="diverged"):
        train(s, progress=False)
