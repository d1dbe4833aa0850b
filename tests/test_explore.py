"""hiresim explore: the page's views and callbacks (no browser), and the page end to end in
Chromium (Playwright driving Debian's ``chromium``).

The end-to-end test installs the ``chromium`` Debian package when it is missing and the tests
run as root; otherwise it is skipped with the reason printed.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.analysis.compare import compare, compare_groups, display_rows
from sim.analysis.plots import timeseries_data
from sim.cli.main import app as cli
from sim.experiments import runner, store
from sim.experiments.store import load_run
from sim.explore import views, whatif
from sim.explore.whatif import Job, JobState, WhatIf
from sim.inputs.params import REGISTRY, Param
from sim.inputs.scenario import load_scenario
from tests.fakes import BASELINE, POLICY, FakeScenario, make_run

pytest.importorskip("dash")

from sim.explore.app import Explorer, address, create_app, make_server_for

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TINY = {"students": 2000, "seeds": 2, "months": 24}
"""The end-to-end test's run: seconds on two busy cores."""


def _rows(table) -> list[list[str]]:
    return display_rows(table)[1]


# ==================================================================== views (no browser)


@pytest.fixture(scope="module")
def fake_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_run(
        tmp_path_factory.mktemp("explore") / "fake",
        [BASELINE, POLICY, FakeScenario("other", effect=-0.01, noise=0.002)],
        seeds=(1, 2, 3, 4, 5),
        months=24,
        groups=True,
    )


def _selection(run: Path, **changes) -> views.Selection:
    fields = {
        "run_dir": str(run),
        "baseline": "baseline",
        "scenarios": ("credit_bearing_expansion", "other"),
        "metric": "mean_starting_salary",
        "window": (13, 24),
        "group_kind": "discipline",
        "group_metric": "recent_grad_unemployment_rate",
    }
    return views.Selection(**(fields | changes))


def test_effect_table_is_compare_table(fake_run: Path) -> None:
    table, seeds = views.effects(_selection(fake_run))
    expected = compare(
        fake_run,
        metrics=["mean_starting_salary"],
        scenarios=["credit_bearing_expansion", "other"],
        window="13:24",
    )
    assert [list(r) for r in table.rows] == _rows(expected)
    assert table.header[:-1] == tuple(display_rows(expected)[0][:-1])
    assert "5 seeds" in seeds
    assert "--window 13:24" in _selection(fake_run).compare_command()


def test_who_gains_is_compare_groups_table(fake_run: Path) -> None:
    table = views.group_effects(_selection(fake_run))
    expected = compare_groups(
        fake_run,
        "discipline",
        metrics=["recent_grad_unemployment_rate"],
        scenarios=["credit_bearing_expansion", "other"],
        window="13:24",
    )
    assert [list(r) for r in table.rows] == _rows(expected)
    assert sum(table.gap) == 2  # one gap row per scenario


def test_timeseries_figure_draws_plot_data(fake_run: Path) -> None:
    sel = _selection(fake_run, metric="mc_holder_share")
    figure = views.timeseries_figure(sel)
    lines = [t for t in figure["data"] if "hovertemplate" in t]
    assert [t["name"] for t in lines] == ["baseline", "credit_bearing_expansion", "other"]
    data = timeseries_data(fake_run, "mc_holder_share", scenarios=["baseline"])
    # Shares are drawn in percent.
    assert lines[0]["y"] == pytest.approx([100 * v for v in data.column("mean").to_pylist()])
    assert "%" in lines[0]["hovertemplate"]
    difference = views.difference_figure(sel)
    assert [t["name"] for t in difference["data"] if "hovertemplate" in t] == [
        "credit_bearing_expansion",
        "other",
    ]


def test_partial_folder_compares_finished_seeds(tmp_path: Path) -> None:
    """A folder still being written: the seeds finished in every scenario shown, and the same
    numbers as a finished folder with those seeds."""
    partial = make_run(
        tmp_path / "partial",
        [BASELINE, FakeScenario(POLICY.name, POLICY.effect, POLICY.noise, seeds=(1, 2, 3))],
        seeds=(1, 2, 3, 4, 5),
        months=24,
    )
    manifest = store.read_manifest(partial)
    manifest |= {"status": "running", "summary": {"total": 10, "done": 8, "pending": 2}}
    store.write_manifest(partial, manifest)
    finished = make_run(tmp_path / "finished", [BASELINE, POLICY], seeds=(1, 2, 3), months=24)

    sel = _selection(partial, scenarios=(POLICY.name,))
    table, seeds = views.effects(sel)
    assert "3 seeds" in seeds
    expected = compare(finished, metrics=["mean_starting_salary"], window="13:24")
    assert [list(r) for r in table.rows] == _rows(expected)
    status = views.run_choices(partial).status
    assert "Still being written: 8 of 10 tasks done" in status


def test_on_run_defaults_and_kept_choices(fake_run: Path) -> None:
    explorer = Explorer(runs=[fake_run], runs_root=fake_run / "none")
    out = explorer.on_run(str(fake_run))
    status, _, baseline, _, chosen, _, metric, lo, hi, window = out[:10]
    assert baseline == "baseline"
    assert chosen == ["credit_bearing_expansion", "other"]
    assert metric == "recent_grad_unemployment_rate"  # the report's first key metric
    assert (lo, hi, window) == (1, 24, [13, 24])  # the last 12 months, as compare
    assert "3 scenarios" in status
    kept = explorer.on_run(str(fake_run), "baseline", ["other"], "mc_holder_share", [1, 6])
    assert kept[4] == ["other"] and kept[6] == "mc_holder_share" and kept[9] == [1, 6]
    assert explorer.on_run(str(fake_run / "nothing"))[0].startswith("error:")


def test_on_selection_shows_refusals_as_text(fake_run: Path) -> None:
    explorer = Explorer(runs=[fake_run], runs_root=fake_run / "none")
    body, _, _ = explorer.on_selection(str(fake_run), "baseline", ["baseline"], "mc_holder_share",
                                       [13, 24])  # fmt: skip
    assert "error: choose at least one scenario" in str(body)


def test_find_runs_lists_given_then_newest(tmp_path: Path) -> None:
    old = make_run(tmp_path / "outputs" / "old", [BASELINE], seeds=(1,), months=3)
    new = make_run(tmp_path / "outputs" / "explore" / "new", [BASELINE], seeds=(1,), months=3)
    os.utime(old / "manifest.json", (1, 1))
    given = make_run(tmp_path / "given", [BASELINE], seeds=(1,), months=3)
    assert views.find_runs([given], tmp_path / "outputs") == [given, new, old]


def test_cli_refuses_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["explore", str(tmp_path), "--no-browser"])
    assert result.exit_code == 2
    assert f"{tmp_path}: not a run folder" in result.stderr


def test_cli_says_when_the_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["explore", "--port", str(port), "--no-browser"])
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr


# ==================================================================== what-ifs (no browser)


def test_what_if_params_follow_the_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    names = set(whatif.offered_names())
    assert {n for n in REGISTRY if n.endswith("_conversion")} <= names
    assert "employers.premium_share" in names
    assert "employers.jobs_per_labour_force" in names
    assert "market.offer_rounds" in names
    assert "employers.mc_positive_share" not in names  # a report figure, not an assumption
    assert "students.return_elasticity" in names
    # A labour-demand assumption added to the registry appears without a change to the page.
    new = Param("market.new_demand", 1.0, "ratio", (0.0, 2.0), "new", "assumption", "a")
    monkeypatch.setitem(REGISTRY, new.name, new)
    assert new.name in whatif.offered_names()


def test_what_if_file_extends_the_nearest_ancestor(tmp_path: Path) -> None:
    parent = load_scenario("full_blueprint")
    changed = WhatIf(parent, "half", {"employers.premium_share": 0.45})
    assert 'extends = "full_blueprint"' in changed.render(tmp_path)
    scenario = changed.scenario(tmp_path)
    assert scenario.value("employers.premium_share") == 0.45
    assert scenario.policies == parent.policies

    first = parent.policy_origins.index("full_blueprint")  # B1, stated by full_blueprint
    off = WhatIf(parent, "no_b1", {}, frozenset({first}))
    assert 'extends = "credit_bearing_expansion"' in off.render(tmp_path)
    kept = [p for i, p in enumerate(parent.policies) if i != first]
    assert off.scenario(tmp_path).policies == tuple(kept)


def test_save_writes_a_file_validate_accepts(tmp_path: Path) -> None:
    parent = load_scenario("full_blueprint")
    path = tmp_path / "scen" / "half.toml"
    wi = WhatIf(parent, "half", {"employers.premium_share": 0.45}, frozenset({0}))
    saved = whatif.save(wi, path)
    assert load_scenario(path).hash == saved.hash
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    # A later save replaces the page's own file, never another one.
    whatif.save(wi, path)
    other = tmp_path / "scen" / "mine.toml"
    other.write_text("# my notes\n")
    with pytest.raises(whatif.ScenarioError, match="not written by hiresim explore"):
        whatif.save(WhatIf(parent, "mine"), other)
    assert "hiresim run full_blueprint" in whatif.run_command(parent, path, "half")


def test_bad_values_get_the_cli_messages(tmp_path: Path) -> None:
    """Out-of-range and mistyped values are refused with the lines `hiresim validate` prints
    for the same file, and nothing is written."""
    explorer = Explorer(runs_root=tmp_path / "none", whatif_root=tmp_path / "wi")
    names = whatif.offered_names()
    parent = load_scenario("full_blueprint")
    values = [parent.value(n) for n in names]
    values[names.index("employers.premium_share")] = 1.5
    values[names.index("market.offer_rounds")] = 2.5
    path = tmp_path / "bad.toml"
    shown = str(explorer.on_save("full_blueprint", "bad", [0, 1, 2, 3], values, str(path)))
    assert not path.exists()
    path.write_text(
        explorer._whatif("full_blueprint", "bad", [0, 1, 2, 3], values).render(tmp_path)
    )
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2
    expected = [line for line in result.stderr.splitlines() if "params." in line]
    assert len(expected) == 2
    assert "out of range [0, 1]" in expected[0] + expected[1]
    for line in expected:
        assert line in shown
    assert "2 problems found." in shown


def test_an_empty_field_is_named(tmp_path: Path) -> None:
    explorer = Explorer(runs_root=tmp_path / "none", whatif_root=tmp_path / "wi")
    values: list[object] = [0.5] * len(whatif.offered_names())
    values[whatif.offered_names().index("employers.premium_share")] = None
    shown = str(explorer.on_run_click("full_blueprint", "x", [], values, 3000, 3, 24))
    assert "(form): params.employers.premium_share: missing: a number in [0, 1]" in shown
    assert explorer.job is not None and explorer.job.state.status == "idle"


def test_run_size_gets_the_cli_messages() -> None:
    size, problems = whatif.run_size(50, "3", 0)
    result = CliRunner().invoke(cli, ["run", "baseline", "--students", "50", "--months", "0"])
    assert result.exit_code == 2
    assert problems == [line for line in result.stderr.splitlines() if "(arguments)" in line]
    assert size == {"seeds": 3}
    assert whatif.run_size("3000", 3, 24) == ({"students": 3000, "seeds": 3, "months": 24}, [])


def _tiny_whatif(tmp_path: Path, name: str = "half") -> whatif.Prepared:
    wi = WhatIf(load_scenario("full_blueprint"), name, {"employers.premium_share": 0.45})
    prepared = whatif.prepare(wi, {"students": 300, "seeds": 2, "months": 6}, tmp_path / "wi")
    whatif.write_scenario_file(prepared, wi)
    return prepared


def test_job_runs_a_what_if_against_its_parent(tmp_path: Path) -> None:
    prepared = _tiny_whatif(tmp_path)
    job = Job(workers=1)
    assert job.start(prepared)
    state = job.wait(120)
    assert state.status == "done", state
    assert (state.done, state.total) == (4, 4)
    table = whatif.result_effects(state)
    assert table.column("scenario").to_pylist() == ["half"] * table.num_rows
    assert table.column("baseline").to_pylist()[0] == "full_blueprint"
    # The folder is an ordinary run folder, and its recorded command redoes it (all skipped).
    manifest = store.read_manifest(prepared.plan.out)
    assert manifest["status"] == "done"
    again = CliRunner().invoke(cli, [*manifest["command"][1:], "--quiet"])
    assert again.exit_code == 0, again.output
    assert len(load_run(prepared.plan.out).seeds("half")) == 2


def test_cancel_stops_the_run_at_the_next_task(tmp_path: Path) -> None:
    prepared = _tiny_whatif(tmp_path)
    job = Job(workers=1)
    job._cancel.set()  # as if the second click came before the first task ended
    report = runner.execute(prepared.plan, workers=1, progress=whatif._JobProgress(job))
    assert report.interrupted
    assert report.done == 1 < report.total
    assert store.read_manifest(prepared.plan.out)["status"] == "interrupted"


def test_one_run_at_a_time(tmp_path: Path) -> None:
    job = Job(workers=1)
    job._state = JobState(status="running", out="elsewhere")
    assert not job.start(_tiny_whatif(tmp_path))
    assert job.state.out == "elsewhere"


def test_a_second_click_cancels(tmp_path: Path) -> None:
    explorer = Explorer(runs_root=tmp_path / "none", job=Job(workers=1))
    assert explorer.job is not None
    explorer.job._state = JobState(status="running", total=6)
    shown = str(explorer.on_run_click("full_blueprint", "x", [], [], 3000, 3, 24))
    assert "Cancelling" in shown
    assert explorer.job._cancel.is_set() and explorer.job.state.status == "cancelling"
    assert explorer.on_poll()[3] == "Cancel run"  # until the run has stopped


def test_a_failed_run_shows_its_error_not_a_traceback(tmp_path: Path) -> None:
    prepared = _tiny_whatif(tmp_path)
    explorer = Explorer(runs_root=tmp_path / "none", job=Job(workers=1))
    assert explorer.job is not None
    prepared.plan.out.mkdir(parents=True, exist_ok=True)
    with store.RunLock(prepared.plan.out):  # another run is writing to the folder
        explorer.job.start(prepared)
        state = explorer.job.wait(60)
    assert state.status == "failed"
    shown = str(explorer.on_poll()[-1])
    assert "error:" in shown and "Traceback" not in shown


# ==================================================================== in a browser


def _chromium() -> Path:
    """Debian's Chromium, installed with apt when missing and running as root."""
    if CHROMIUM.exists():
        return CHROMIUM
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        reason = f"{CHROMIUM} is missing and cannot be installed here (not root, or no apt-get)"
        print(reason)
        pytest.skip(reason)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            reason = f"{' '.join(command)} failed: {done.stderr.strip()[-300:]}"
            print(reason)
            pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = _chromium()
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("e2e") / "tiny"
    args = ["run", "baseline", "full_blueprint", "--out", str(out), "--workers", "1", "--quiet"]
    args += [f"--{k}={v}" for k, v in TINY.items()]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def page_url(tiny_run: Path, tmp_path: Path) -> Iterator[str]:
    explorer = Explorer(
        runs=[tiny_run],
        runs_root=tmp_path / "outputs",
        whatif_root=tmp_path / "explore",
        job=Job(workers=1),  # in the server's process: no worker start-up in a short test
    )
    server = make_server_for(create_app(explorer), 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield address(server)
    server.shutdown()
    assert explorer.job is not None
    explorer.job.wait(60)
    thread.join(10)


def _choose(page, dropdown: str, label: str) -> None:
    page.click(f"#{dropdown}")
    page.locator("[role=option]", has_text=label).first.click()
    page.keyboard.press("Escape")


@pytest.mark.browser
def test_page_end_to_end(browser, page_url: str, tiny_run: Path, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    shots = tmp_path / "screenshots"
    shots.mkdir()
    page.goto(page_url)

    # 1. The run's scenarios, its effect table and charts.
    page.wait_for_selector("#effects-table td", timeout=45_000)
    assert "full_blueprint" in page.inner_text("#effects-table")
    assert "baseline" in page.inner_text("#baseline")
    page.wait_for_selector("#timeseries .main-svg")
    page.screenshot(path=shots / "1-run.png", full_page=True)

    # 2. Another metric: the table and the chart change, and the table is compare's.
    _choose(page, "metric", "Mean starting salary (USD per year)")
    page.wait_for_function(
        "document.querySelector('#effects-table').innerText.includes('mean_starting_salary')"
    )
    page.wait_for_function(
        "document.querySelector('#timeseries .gtitle').textContent.includes('starting salary')"
    )
    shown = page.eval_on_selector_all(
        "#effects-table tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
    )
    expected = compare(
        tiny_run, metrics=["mean_starting_salary"], scenarios=["full_blueprint"], window="13:24"
    )
    assert shown == _rows(expected)
    page.screenshot(path=shots / "2-metric.png", full_page=True)

    # 3. A what-if against its parent, at a tiny size.
    page.fill("#wi-name", "half_premium")
    premium = page.locator('input[id*="employers.premium_share"]')
    premium.fill("0.45")
    premium.press("Tab")
    for key, value in (("students", 500), ("seeds", 2), ("months", 12)):
        page.fill(f"#wi-{key}", str(value))
        page.press(f"#wi-{key}", "Tab")
    page.click("#wi-run")
    page.wait_for_selector("#whatif-table td", timeout=60_000)
    result = page.inner_text("#whatif-table")
    assert "half_premium" in result and "mean_starting_salary" in result
    assert page.get_attribute("#wi-progress", "value") == page.get_attribute("#wi-progress", "max")
    page.screenshot(path=shots / "3-what-if.png", full_page=True)

    # 4. Out of range: refused with the range; then saved, and the file loads.
    premium.fill("1.5")
    premium.press("Tab")
    target = tmp_path / "saved" / "half_premium.toml"
    page.fill("#wi-path", str(target))
    page.press("#wi-path", "Tab")
    page.click("#wi-save")
    page.wait_for_function(
        "document.querySelector('#wi-saved').innerText.includes('out of range [0, 1]')"
    )
    assert not target.exists()
    premium.fill("0.45")
    premium.press("Tab")
    page.click("#wi-save")
    page.wait_for_selector("#saved-command")
    assert load_scenario(target).value("employers.premium_share") == 0.45
    assert page.inner_text("#saved-command").startswith("hiresim run full_blueprint ")
    page.screenshot(path=shots / "4-saved.png", full_page=True)

    # Nothing left this machine.
    assert requests
    outside = [u for u in requests if not re.match(r"https?://127\.0\.0\.1:\d+/", u)]
    assert outside == []
    page.close()


@pytest.mark.browser
def test_report_tables_fit_the_page(browser, tiny_run: Path, tmp_path: Path) -> None:
    """The static report at 1400 px: wide tables scroll inside their box, the page does not."""
    from sim.analysis.report import report

    # One metric and outcome keep the figures few; the tables keep all their columns.
    path = report(
        tiny_run,
        tmp_path / "report.html",
        metrics=["mean_starting_salary"],
        group_metrics=["mean_starting_salary"],
    )
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(path.as_uri())
    overflow = page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            const boxes = [...document.querySelectorAll('table')].map(t => t.parentElement);
            return {
                width,
                page: document.documentElement.scrollWidth,
                boxes: boxes.length,
                unboxed: boxes.filter(b => !b.classList.contains('table-box')).length,
                past: boxes.filter(b => b.getBoundingClientRect().right > width).length,
                wide: [...document.querySelectorAll('.table-box')]
                    .filter(b => b.scrollWidth > b.clientWidth).length,
            };
        }"""
    )
    page.screenshot(path=tmp_path / "report.png", full_page=True)
    page.close()
    assert overflow["boxes"] > 0 and overflow["unboxed"] == 0
    assert overflow["wide"] > 0  # some tables are wider than the page: the check is not vacuous
    assert overflow["past"] == 0
    assert overflow["page"] <= overflow["width"]
