"""``okrsim report``: one self-contained HTML file from scenario files, a comparison or a sweep.

Each kind of input is made here the way a user makes it (the ``okrsim``
commands, in-process) with tiny organisations, then reported on.  The slow
test opens every report in headless Debian Chromium: no page errors, every
chart drawn, and no request for anything but the file itself.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from browser import VIEWPORT, WatchedPage, plotly_traces

from okrsim.cli import main
from okrsim.comparison import compare
from okrsim.params import Scenario
from okrsim.report.pages import comparison_report, read_comparison, read_sweep, sweep_effects

pytest_plugins = ["browser_plugin"]

TINY = "[org]\nn_teams = 4\nteam_size = 6\n[horizon]\nquarters = 2\n"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two tiny policy files, a comparison directory and a sweep directory."""
    root = tmp_path_factory.mktemp("report-inputs")
    decoupled = root / "decoupled.toml"
    decoupled.write_text(TINY + "[comp]\ncoupling = 0.0\n")
    coupled = root / "coupled.toml"
    coupled.write_text(TINY + "[comp]\ncoupling = 0.8\n")
    compared = root / "compared"
    args = ["compare", str(decoupled), str(coupled), "--reps", "3", "--workers", "1"]
    assert main([*args, "--out", str(compared)]) == 0
    experiment = root / "sweep.toml"
    experiment.write_text(
        '[experiment]\nname = "tiny_coupling"\ndescription = "Does coupling lower targets?"\n'
        'design = "grid"\nreplications = 2\nseed = 11\ncrn = true\n'
        "[set]\norg.n_teams = 2\norg.team_size = 4\nhorizon.quarters = 2\n"
        "[axes]\ncomp.coupling = {low = 0, high = 1, steps = 3}\n"
        'comp.bonus_curve = ["linear", "step"]\n'
    )
    swept = root / "swept"
    args = ["sweep", str(experiment), "-o", str(swept), "--executor", "serial", "--no-progress"]
    assert main(args) == 0
    return {"decoupled": decoupled, "coupled": coupled, "compared": compared, "swept": swept}


@pytest.fixture(scope="module")
def reports(inputs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``okrsim report`` run on each kind of input."""
    out = tmp_path_factory.mktemp("reports")
    made = {
        "scenarios": out / "scenarios.html",
        "compared": out / "compared.html",
        "swept": out / "swept.html",
    }
    files = [str(inputs["decoupled"]), str(inputs["coupled"])]
    run = ["--reps", "3", "--seed", "4", "--workers", "1"]
    assert main(["report", *files, *run, "--out", str(made["scenarios"])]) == 0
    assert main(["report", str(inputs["compared"]), "--out", str(made["compared"])]) == 0
    assert main(["report", str(inputs["swept"]), "--out", str(made["swept"])]) == 0
    return made


def findings_of(html: str) -> str:
    """A report's findings and numbers: from the executive summary up to the charts."""
    start, end = html.index('<section class="summary"'), html.index('<h2 id="charts">')
    return html[start:end]


def assert_self_contained(html: str) -> None:
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"""<(script|img|iframe|link|source)[^>]+(src|href)=["']https?://""", html)
    assert not re.search(r"""@import\s+url\(["']?https?://""", html)
    assert html.count("plotly.js v") >= 1  # plotly.js inlined, once


def test_report_of_scenario_files_answers_the_question_with_intervals(reports):
    html = reports["scenarios"].read_text()
    assert_self_contained(html)
    assert "<b>The question.</b> What happens to ambition" in html
    assert '<h2 id="policies">Policies compared</h2>' in html
    assert "<b>coupled</b>: 80 % of the rating from the OKR score" in html
    assert "3 paired replications" in html
    assert "root seed 4" in html
    assert "docs/ODD.md" in html
    top = re.search(r'<ol class="top">(.*?)</ol>', html, re.S)
    assert top is not None, "no headline difference stated"
    findings = re.findall(r"<li>(.*?)</li>", top.group(1), re.S)
    assert findings
    assert all(re.search(r"→.*(higher|lower) in \d of 3 paired runs\.$", f) for f in findings)


def test_a_comparison_directory_reports_what_compare_reported(inputs, reports):
    from_dir = reports["compared"].read_text()
    assert_self_contained(from_dir)
    comparison = read_comparison(inputs["compared"])
    assert comparison.names == ("decoupled", "coupled")
    assert comparison.reps == 3
    assert comparison.seed == 0
    assert "3 paired replications" in from_dir
    # okrsim compare wrote its report.html with the same builder: the same findings
    written = (inputs["compared"] / "report.html").read_text()
    assert findings_of(written) == findings_of(from_dir)


def test_a_comparison_directory_names_each_policys_settings(inputs):
    comparison = read_comparison(inputs["compared"])  # okrsim compare wrote scenarios.json
    assert set(comparison.scenarios) == {"decoupled", "coupled"}
    assert comparison.scenarios["coupled"] == Scenario.from_toml(inputs["coupled"]).with_overrides(
        {"horizon.quarters": comparison.scenarios["coupled"].horizon.quarters}
    )
    html = comparison_report(comparison)
    assert "<b>decoupled</b>: 0 % of the rating from the OKR score" in html


def test_a_sweep_directory_reports_each_settings_effect_across_its_range(inputs, reports):
    html = reports["swept"].read_text()
    assert_self_contained(html)
    assert "<b>The question.</b> Does coupling lower targets?" in html
    assert "comp.coupling from 0.0 to 1.0" in html
    assert "12 of 12 runs completed" in html
    assert "docs/ODD.md" in html
    effects = sweep_effects(read_sweep(inputs["swept"]))
    coupling = effects[
        (effects["axis"] == "comp.coupling") & (effects["metric"] == "sandbagging_index")
    ].iloc[0]
    assert coupling["ci_low"] > 0  # coupling lowers targets: sandbagging rises
    row = re.search(
        r"Sandbagging of targets</span></td><td><code>comp.coupling</code></td>"
        r"<td>0 → 1</td><td>([^<]+)</td>",
        html,
    )
    assert row is not None
    start, end = (float(v) for v in re.findall(r"([\d.]+) %", row.group(1))[:2])
    assert end > start  # read from the start of the range, both levels shown
    # rating accuracy level by level and curve by curve, and why a comparison can differ
    why = html[html.index("Why rating accuracy can point the other way in a comparison") :]
    assert re.search(r"linear: 0: [\d.-]+, 0\.5: [\d.-]+, 1: [\d.-]+", why)
    assert "step: 0: " in why


def test_a_paired_report_runs_the_same_comparison_as_compare(inputs):
    scenarios = {n: Scenario.from_toml(inputs[n]) for n in ("decoupled", "coupled")}
    again = compare(scenarios, reps=3, seed=0)
    from_dir = read_comparison(inputs["compared"])
    pd.testing.assert_series_equal(again.table["diff"].round(12), from_dir.table["diff"].round(12))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report", "{decoupled}", "--out", "{out}"], "at least two scenario files"),
        (["report", "{tmp}", "--out", "{out}"], "neither a sweep directory"),
        (["report", "{compared}", "--reps", "5", "--out", "{out}"], "--reps and --seed apply"),
        (["report", "{compared}", "{decoupled}", "--out", "{out}"], "one results directory"),
        (["report", "{tmp}/missing.toml", "{decoupled}", "--out", "{out}"], "file not found"),
    ],
)
def test_bad_input_is_one_error_line_and_exit_code_2(inputs, tmp_path, capsys, argv, message):
    paths = {k: str(v) for k, v in inputs.items()}
    filled = [a.format(**paths, tmp=tmp_path, out=tmp_path / "r.html") for a in argv]
    assert main(filled) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert message in err
    assert not (tmp_path / "r.html").exists()


@pytest.mark.slow
def test_every_report_opens_offline_in_chromium_with_its_charts(chromium, reports):
    for kind, path in reports.items():
        context = chromium.new_context(viewport=VIEWPORT)
        try:
            requested: list[str] = []
            watched = WatchedPage(context.new_page()).attach()
            watched.page.on("request", lambda r, seen=requested: seen.append(r.url))
            watched.page.goto(path.as_uri())
            watched.page.wait_for_load_state("networkidle")
            charts = plotly_traces(watched.page)
            expected = path.read_text().count('class="plotly-graph-div"')
            assert len(charts) == expected >= 3, kind
            assert all(c["title"] and c["traces"] for c in charts), kind
            assert requested == [path.as_uri()], f"{kind} report requested {requested}"
            if kind == "scenarios":
                watched.screenshot("report")
            watched.assert_clean()
        finally:
            context.close()


def test_pdf_without_chromium_is_one_error_line(inputs, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("OKRSIM_CHROMIUM", str(tmp_path / "no-chromium"))
    out = tmp_path / "r.html"
    assert main(["report", str(inputs["compared"]), "--out", str(out), "--pdf"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --pdf: needs Chromium at ")
    assert err.count("\n") == 1
    assert not out.exists()  # nothing written before the check
    assert not out.with_suffix(".pdf").exists()
