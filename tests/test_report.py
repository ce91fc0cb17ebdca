"""report: narratives and verdicts come from the typed results (no figures needed)."""

from __future__ import annotations

import pytest

from helpers import naive_unstable_run_config, run_config, scaling_result_example
from randrnn import report
from randrnn.experiments import run_experiment


@pytest.fixture(scope="module")
def result():
    return run_experiment(run_config(n=30), progress=False)


def _rows(sections):
    return {row[0]: row for _, _, rows, _ in sections for row in rows}


def test_run_sections_print_the_comparisons_verdicts(result):
    intro, sections = report.run_sections(result)
    assert "N = 30" in intro
    assert "temporal" in intro
    rows = _rows(sections)
    c = result.covariance.phi
    assert rows["verdict (φ)"] == ("verdict (φ)", c.verdict, c.criterion)
    assert rows["verdict (x)"][1] == result.covariance.x.verdict
    assert rows["Wick test"][1] == result.wick.verdict
    assert rows["off-diagonal corr (φ)"][1] == c.offdiag_corr
    titles = [s[0] for s in sections]
    assert "The naive Gaussian closure" in titles
    naive = sections[titles.index("The naive Gaussian closure")]
    assert "better on both metrics" in naive[1]
    assert report.run_headline(result).endswith(c.verdict)


def test_run_sections_say_when_the_naive_closure_does_not_apply():
    r = run_experiment(naive_unstable_run_config(), progress=False)
    _, sections = report.run_sections(r)
    _, text, rows, figs = next(s for s in sections if s[0] == "The naive Gaussian closure")
    assert "not applicable to this realization" in text
    assert rows == []
    assert figs == []
    assert "naive closure not applicable" in report.run_headline(r)


def test_scaling_sections_show_undefined_values():
    _, sections = report.scaling_sections(scaling_result_example(naive=False))
    rows = _rows(sections)
    assert rows["N = 100"][1].endswith("/ undefined")
    assert rows["RMS residual cross-cov exponent"][1] == "-1.00 ± 0.01"
    assert "not applicable: the naive closure is unstable" in sections[0][1]
    assert "N^(-1.00 ± 0.01)" in report.scaling_headline(scaling_result_example())


def test_tables_write_undefined_for_nan(tmp_path):
    path = report.write_report(
        tmp_path / "r.html",
        title="t",
        intro="",
        sections=[("s", "", [("a", float("nan"), ""), ("b", 0.5, "")], [])],
        pngs={},
        meta={},
    )
    html = path.read_text()
    assert "<td class='num'>undefined</td>" in html
    assert ">nan<" not in html
