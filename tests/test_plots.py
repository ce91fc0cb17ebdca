"""plots: figures from typed results; importing the package leaves the backend alone."""

from __future__ import annotations

import subprocess
import sys

import pytest

from helpers import naive_unstable_run_config, run_config, scaling_result_example
from randrnn.experiments import run_experiment


def test_importing_plots_keeps_the_users_backend():
    code = (
        "import matplotlib; matplotlib.use('svg'); "
        "import randrnn.plots, randrnn.plots.run, randrnn.plots.spectrum, randrnn.plots.dmft, "
        "randrnn.report; print(matplotlib.get_backend())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "svg"


@pytest.fixture(scope="module")
def plt():
    from randrnn.report import use_headless_backend

    use_headless_backend()
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


@pytest.mark.parametrize(
    "config", [run_config(n=30), naive_unstable_run_config()], ids=["naive", "no-naive"]
)
def test_run_figures_render_from_a_typed_result(plt, config):
    from randrnn.plots.run import ALL

    result = run_experiment(config, progress=False)
    for name, fn in ALL.items():
        fig = fn(result)
        assert fig.axes, name
        plt.close(fig)


@pytest.mark.parametrize("naive", [True, False])
def test_scaling_figure_renders_from_a_typed_result(plt, naive):
    from randrnn.plots.run import scaling

    fig = scaling(scaling_result_example(naive=naive))
    labels = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert any("N^(-1.00 ± 0.01)" in t for t in labels)
    curves = len(fig.axes[0].get_legend().get_texts())
    assert curves == (3 if naive else 2)  # no naive curve when it was never compared
    plt.close(fig)
