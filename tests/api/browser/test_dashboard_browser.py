"""The dashboard in headless Chromium against a live API with two real runs.

Checks what a visitor sees: no console errors and no failed requests; the
savings chart shows the numbers the API returns (read again here with httpx);
the headline compares with B1 and names it as the API's ``baseline_labels``
do, the lighting saving is split into class rule and optimisation, annual
figures say that they are extrapolated; an over-built run's violation of the
3 % voltage-rise rule is written in words; a failed run is shown with its
reason, never replaced by another; the grid map draws every line of the
GeoJSON; the sweep's heat maps carry the values of the API's summary, the
best points are written in words and a running sweep shows its progress; the
language switch; keyboard access to the controls; a wrong key answered in
words; the key is taken in a form and never appears in a URL or the server's
access log. A full-page screenshot is kept in
``test-artifacts/dashboard.png``, one of the sweep section in
``test-artifacts/dashboard-sweeps.png``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.api.browser.conftest import (
    LOAD_TIMEOUT_MS,
    LiveDashboard,
    Watched,
    open_dashboard,
    sign_in,
)


def table_values(page: Any, table_id: str) -> dict[str, dict[str, float]]:
    """Row key -> column -> raw value of a data table (the data-value attributes)."""
    return page.eval_on_selector(
        f"#{table_id}",
        """t => Object.fromEntries([...t.tBodies[0].rows].map(r => [r.dataset.key,
            Object.fromEntries([...r.cells].filter(c => c.dataset.column)
                .map(c => [c.dataset.column, Number(c.dataset.value)]))]))""",
    )


def german_number(text: str) -> float:
    """Parse a number formatted by Intl.NumberFormat('de-DE') (1.234,5; minus sign)."""
    return float(text.replace("\u2212", "-").replace(".", "").replace(",", "."))


def rounding(text: str) -> float:
    """Largest rounding error of a number shown with the decimals of ``text`` (+ float slack)."""
    decimals = len(text.rpartition(",")[2]) if "," in text else 0
    return 0.5 * 10.0**-decimals + 1e-9


def test_dashboard_shows_the_api_values(
    page: Watched, live: LiveDashboard, artifacts: Path
) -> None:
    p = open_dashboard(page, live, f"run={live.run_ids[1]}&period=day&baseline=B0")
    run_id = int(p.input_value("#run"))
    assert run_id in live.run_ids
    assert p.inner_text("#error") == ""
    api = live.get(f"/runs/{run_id}/savings", period="day", baseline="B0", format="json")
    expected: dict[str, dict[str, float]] = {}
    for row in api["rows"]:
        if row["baseline"] == "B0" and row["metric"] == "cost_eur":
            expected.setdefault(row["period"], {})[row["source"]] = row["value"]
    assert len(expected) == 2  # two local days
    shown = table_values(p, "savings-table")
    assert set(shown) == set(expected)
    for period, by_source in expected.items():
        for source in ("pv", "battery", "lighting", "total"):
            assert shown[period][source] == pytest.approx(by_source[source], rel=1e-9, abs=1e-9)
    # the sums written above the bars, as a reader sees them: German format, rounded to
    # the d decimals the chart chose, so within half a unit of the last digit
    totals = p.eval_on_selector_all(
        "#savings-figure svg .bar-total", "ts => ts.map(t => t.textContent)"
    )
    want = [expected[k]["total"] for k in sorted(expected)]
    assert len(totals) == len(want)
    for text, value in zip(totals, want, strict=True):
        assert german_number(text) == pytest.approx(value, abs=rounding(text))
    # one bar segment per source and period, each as tall as its value says
    segments = p.eval_on_selector_all(
        "#savings-figure svg rect.bar",
        "rs => rs.map(r => [r.closest('g').dataset.period, r.dataset.source, "
        "Number(r.dataset.value)])",
    )
    assert len(segments) == sum(
        1 for v in expected.values() for s in ("pv", "battery", "lighting") if v[s] != 0
    )
    # the headline tile sums the periods' totals
    tile = p.inner_text("[data-tile='cost_eur'] .tile-value").replace("€", "").strip()
    total_eur = sum(v["total"] for v in expected.values())
    assert german_number(tile) == pytest.approx(total_eur, abs=rounding(tile))
    # autarky tile from the run's KPIs
    results = live.get(f"/runs/{run_id}/results")
    autarky = p.inner_text("[data-tile='autarky'] .tile-value").rstrip("% \n")
    assert german_number(autarky) == pytest.approx(
        100 * results["kpis"]["optimised"]["self_sufficiency"], abs=rounding(autarky)
    )
    # licence footer: the weather file this run used, and the data that went in
    footer = p.inner_text("footer")
    weather = results["metadata"]["data_files"]["weather"]["path"].rsplit("/", 1)[-1]
    assert f"Wetterdaten dieser Berechnung: {weather}" in footer
    for words in ("CC-BY-4.0", "Deutscher Wetterdienst", "SMARD.de"):
        assert words in footer
    p.screenshot(path=str(artifacts / "dashboard.png"), full_page=True)
    assert page.problems == []


def test_grid_map_draws_every_line(page: Watched, live: LiveDashboard) -> None:
    p = open_dashboard(page, live)
    run_id = int(p.input_value("#run"))
    geojson = live.get(f"/runs/{run_id}/grid.geojson")
    lines = [f for f in geojson["features"] if f["properties"]["element_type"] == "line"]
    drawn = p.eval_on_selector_all(
        "#grid-view svg [data-kind='line']", "ls => ls.map(l => l.dataset.name)"
    )
    assert len(drawn) == len(lines) > 0
    assert sorted(drawn) == sorted(f["properties"]["name"] for f in lines)
    assert p.locator("#grid-view svg [data-kind='trafo']").count() == 1
    # the most loaded line is named in words, not by colour alone
    top = max(lines, key=lambda f: f["properties"]["max_loading_pct"])
    assert top["properties"]["name"] in p.inner_text("#grid-view .grid-summary")
    assert page.problems == []


def test_map_draws_buildings_lights_and_street_names(page: Watched, live: LiveDashboard) -> None:
    p = open_dashboard(page, live, f"run={live.run_ids[0]}")
    geojson = live.get(f"/runs/{live.run_ids[0]}/grid.geojson")
    by_kind: dict[str, list[Any]] = {}
    for f in geojson["features"]:
        by_kind.setdefault(f["properties"]["element_type"], []).append(f["properties"])
    assert len(by_kind["building"]) == 2 and len(by_kind["light"]) == 1
    for kind in ("building", "light"):
        drawn = p.eval_on_selector_all(
            f"#grid-leaflet svg [data-kind='{kind}']", "es => es.map(e => e.dataset.name)"
        )
        assert sorted(drawn) == sorted(f["name"] for f in by_kind[kind]), kind
    # readable names: the street on the map (no tiles needed), addresses instead of ids
    assert "Teststraße" in p.inner_text("#grid-leaflet .street-label")
    assert {f["place"] for f in by_kind["building"]} == {
        "Teststraße 1",
        "Grundschule Teststraße",
    }
    service = next(f for f in by_kind["line"] if f["name"] == "service B1")
    assert service["role"] == "service" and service["place"] == "Teststraße 1"
    title = p.eval_on_selector(
        "#grid-leaflet [data-kind='line'][data-name='service B1']",
        "e => e.querySelector('title').textContent",
    )
    assert title.startswith("Hausanschluss Teststraße 1")
    # no tile server is configured: the page loads nothing from elsewhere
    assert p.evaluate("document.querySelectorAll('.leaflet-tile').length") == 0
    assert page.problems == []


#: Columns of the members table and the fields of GET /runs/{id}/members they show.
MEMBER_COLUMNS = {
    "share": "share_frac",
    "investment": "investment_eur",
    "annual_return": "annual_return_eur",
    "npv": "npv_eur",
    "energy": "energy_kwh_per_year",
}


def test_members_returns_add_up_to_the_project(page: Watched, live: LiveDashboard) -> None:
    run_id = live.run_ids[0]
    p = open_dashboard(page, live, f"run={run_id}")
    p.wait_for_selector("#members-section:not([hidden]) #members-table")
    body = live.get(f"/runs/{run_id}/members")
    project = body["project"]
    shown = table_values(p, "members-table")
    assert set(shown) == {"Anna", "Bernd", "total"}
    for m in body["members"]:
        row = shown[m["member"]]
        # by hand: the share of (annual savings - operating cost) and of the investment
        want = m["share_frac"] * (project["annual_savings_eur"] - project["opex_eur_per_year"])
        assert row["annual_return"] == pytest.approx(want, rel=1e-9)
        assert row["investment"] == pytest.approx(m["share_frac"] * project["capex_eur"], rel=1e-9)
        for column, key in MEMBER_COLUMNS.items():
            assert row[column] == pytest.approx(m[key], rel=1e-12), column
    assert shown["Anna"]["share"] == 0.75 and shown["Bernd"]["share"] == 0.25
    assert sum(shown[n]["annual_return"] for n in ("Anna", "Bernd")) == pytest.approx(
        project["annual_return_eur"], rel=1e-9
    )
    assert shown["total"]["annual_return"] == pytest.approx(project["annual_return_eur"])
    # a two-day run: the yearly return says it is extrapolated
    cell = p.inner_text("#members-table tr[data-key='Anna'] td[data-column='annual_return']")
    assert "hochgerechnet aus 2 Tagen" in cell
    # a scenario without members shows no members section
    p.select_option("#run", str(live.run_ids[1]))
    p.wait_for_selector("#members-section[hidden]", state="attached")
    assert page.problems == []


def test_comparison_table_has_the_chosen_runs(page: Watched, live: LiveDashboard) -> None:
    p = open_dashboard(page, live)
    chosen = p.eval_on_selector_all(
        "#compare-choice input:checked", "is => is.map(i => Number(i.value))"
    )
    assert len(chosen) >= 2
    ids = ",".join(map(str, sorted(chosen)))
    api = live.get("/compare", runs=ids, format="json")
    shown = table_values(p, "compare-table")
    row = next(r for r in api["rows"] if r["key"] == "self_sufficiency")
    assert set(shown["self_sufficiency"]) == set(row["values"])
    for name, value in row["values"].items():
        assert shown["self_sufficiency"][name] == pytest.approx(100 * value, rel=1e-9)
    assert page.problems == []


def test_language_switch(page: Watched, live: LiveDashboard) -> None:
    p = open_dashboard(page, live)
    assert p.get_attribute("html", "lang") == "de"
    assert p.inner_text("#savings-heading") == "Einsparungen im Zeitverlauf"
    p.click("#lang-toggle")
    assert p.get_attribute("html", "lang") == "en"
    assert p.inner_text("#savings-heading") == "Savings over time"
    assert p.inner_text("#grid-heading") == "Power grid"
    assert "Self-sufficiency" in p.inner_text("#tiles")
    assert p.inner_text("#status").startswith("Data of calculation")  # the live region too
    assert p.get_attribute("#lang-toggle", "lang") == "de"  # the button speaks its language
    p.click("#lang-toggle")
    assert p.get_attribute("html", "lang") == "de"
    assert p.inner_text("#grid-heading") == "Stromnetz"
    assert page.problems == []


def test_keyboard_reaches_the_controls(page: Watched, live: LiveDashboard) -> None:
    p = open_dashboard(page, live)
    p.evaluate("document.activeElement.blur()")
    reached = []
    for _ in range(12):
        p.keyboard.press("Tab")
        reached.append(p.evaluate("document.activeElement.id"))
    assert "run" in reached and "period" in reached, reached
    assert reached.index("run") < reached.index("period")
    # the period control works from the keyboard: choose "Woche" and the chart follows
    p.focus("#period")
    p.select_option("#period", "week")
    p.wait_for_function(
        "() => (document.querySelector('#savings-table caption')?.textContent ?? '')"
        ".includes('Woche')"
    )
    assert "period=week" in p.url
    assert page.problems == []


def heat_cells(page: Any, metric: str) -> list[list[Any]]:
    """Row, column, raw value and written text of every cell of a sweep heat map."""
    return page.eval_on_selector_all(
        f"#sweep-figure-{metric} svg g.cell",
        """gs => gs.map(g => [Number(g.dataset.row), Number(g.dataset.col),
            g.dataset.value === undefined ? null : Number(g.dataset.value),
            g.querySelector('text').textContent])""",
    )


def german(value: float, decimals: int) -> str:
    """``value`` as de-DE writes it: thousands dot, decimal comma (1.234,5)."""
    return f"{value:,.{decimals}f}".translate(str.maketrans(",.", ".,"))


def test_sweep_heat_maps_show_the_api_values(
    page: Watched, live: LiveDashboard, artifacts: Path
) -> None:
    p = open_dashboard(page, live)
    p.select_option("#sweep", str(live.sweep_id))
    p.wait_for_selector("#sweeps-section[aria-busy='false'] #sweep-figure-npv_eur svg")
    sweep = live.get(f"/sweeps/{live.sweep_id}")
    assert sweep["status"] == "succeeded" and sweep["points_total"] == 4
    summary = sweep["summary"]
    for metric, factor, decimals in (("self_sufficiency", 100, 1), ("npv_eur", 1, 0)):
        heat = summary["heatmaps"][metric]
        shown = heat_cells(p, metric)
        assert len(shown) == len(heat["rows"]["values"]) * len(heat["columns"]["values"]) == 4
        for row, col, value, text in shown:
            assert value == heat["values"][row][col]  # the API's raw value, unrounded
            assert text == german(factor * value + 0.0, decimals)
        svg = p.locator(f"#sweep-figure-{metric} svg")
        assert svg.get_attribute("role") == "img"
        # its accessible name is the picture's title; the values are also in a table
        title = p.eval_on_selector(
            f"#sweep-figure-{metric} svg", "s => s.querySelector('title').textContent"
        )
        assert title.startswith("Autarkie" if metric == "self_sufficiency" else "Kapitalwert")
        assert table_values(p, f"sweep-table-{metric}")  # text alternative present
    # the best points in words, with the API's numbers as the page writes them
    best = summary["best_by_npv"]
    words = p.inner_text("[data-best='npv_eur']")
    npv = best["npv_eur"]
    assert german(npv, 0 if abs(npv) >= 100 else 2) in words.replace("\u2212", "-")
    assert german(100 * best["self_sufficiency"], 1) + " %" in words
    top = summary["best_by_self_sufficiency"]
    words = p.inner_text("[data-best='self_sufficiency']")
    assert german(100 * top["self_sufficiency"], 1) + " %" in words
    added = [f"{top['pv_kwp_added']:g} kWp", f"{top['battery_kwh_added']:g} kWh"]
    assert all(a in words for a in added if not a.startswith("0 ")), (words, added)
    # one June day: the period is that date
    assert p.inner_text("#sweep-progress") == (
        "Alle 4 Rechenpunkte berechnet; gerechneter Zeitraum: 2. Juni 2025."
    )
    p.locator("#sweeps-section").screenshot(path=str(artifacts / "dashboard-sweeps.png"))
    assert page.problems == []


def test_a_running_sweep_shows_its_progress(page: Watched, live: LiveDashboard) -> None:
    p = page.page
    sweep = live.get(f"/sweeps/{live.sweep_id}")
    running = sweep | {
        "status": "running",
        "points_done": 1,
        "progress_frac": 0.25,
        "finished_at": None,
        "summary": None,
    }
    answers: list[str] = []

    def first_running(route: Any) -> None:  # the first answer: one of four points done
        answers.append(route.request.url)
        if len(answers) == 1:
            route.fulfill(json=running)
        else:
            route.continue_()

    p.route(f"{live.base_url}/sweeps/{live.sweep_id}", first_running)
    p.goto(f"{live.base_url}/dashboard/?sweep={live.sweep_id}")
    sign_in(p, live.viewer_key)
    p.wait_for_function(
        "() => document.getElementById('sweep-progress').textContent.includes('1 von 4')"
    )
    assert p.inner_text("#sweep-progress") == (
        "Wird berechnet: 1 von 4 Rechenpunkten fertig (25 %)."
    )
    assert p.get_attribute("#sweeps-section", "aria-busy") == "true"
    # asked again, the sweep has finished: the maps replace the progress line
    p.wait_for_selector("#sweeps-section[aria-busy='false'] #sweep-figure-npv_eur svg")
    assert len(answers) >= 2
    assert p.inner_text("#sweep-progress").startswith("Alle 4 Rechenpunkte")
    assert page.problems == []


def test_wrong_key_is_answered_in_words(page: Watched, live: LiveDashboard) -> None:
    p = page.page
    p.goto(f"{live.base_url}/dashboard/")
    sign_in(p, "esk_00000000_wrong")
    p.wait_for_function("() => document.getElementById('error').textContent.length > 0")
    assert "Schlüssel ungültig" in p.inner_text("#error")
    assert p.is_visible("#key")
    assert not p.is_visible("#views")


def german_words(page: Any, selector: str) -> str:
    """The text of ``selector`` with the minus sign as ASCII."""
    return str(page.inner_text(selector)).replace("\u2212", "-")


def test_headline_is_b1_named_by_the_api_labels(page: Watched, live: LiveDashboard) -> None:
    run_id = live.run_ids[1]
    p = open_dashboard(page, live, f"run={run_id}")
    assert p.input_value("#baseline") == "B1"  # the headline comparison by default
    results = live.get(f"/runs/{run_id}/results")
    assert results["headline_baseline"] == "B1"
    savings = live.get(f"/runs/{run_id}/savings", period="day", baseline="B1", format="json")
    want = savings["totals"]["B1"]["cost_eur"]["total"]
    assert want == pytest.approx(results["savings"]["vs_B1"]["cost_eur"], rel=1e-9, abs=1e-12)
    tile = p.inner_text("[data-tile='cost_eur'] .tile-value").replace("€", "").strip()
    assert german_number(tile) == pytest.approx(want, abs=rounding(tile))
    assert "gegenüber B1: Eigenverbrauchsregel" in p.inner_text("#tiles-note")
    assert "ohne Solaranlagen" not in p.inner_text("#tiles")
    points = results["savings"]["vs_B1"]["self_sufficiency_points"]
    assert f"{german(points, 1)} Prozentpunkte" in german_words(p, "[data-tile='autarky']")
    # the lighting saving: all of it from the class rule, optimisation adds nothing
    vs_b1 = results["savings"]["vs_B1"]
    assert vs_b1["e_lighting_optimisation_kwh"] == pytest.approx(0, abs=1e-6)
    parts = p.inner_text("#lighting-parts")
    assert "Klassenregel" in parts and "sie fügt nichts hinzu" in parts
    # annual figures of a two-day run are extrapolated, and the table says so at the number
    cells = p.eval_on_selector_all(
        "#compare-table tr[data-key='npv_eur'] td", "cs => cs.map(c => c.textContent)"
    )
    assert cells and all("hochgerechnet aus 2 Tagen (2025-06-02..2025-06-03)" in c for c in cells)
    # in English the footnote is the API's own label
    p.click("#lang-toggle")
    assert results["baseline_labels"]["B1"] in p.inner_text("#tiles-note")
    assert "optimisation adds nothing" in p.inner_text("#lighting-parts")
    assert page.problems == []


def test_ensemble_bands_on_the_tiles_and_the_monthly_chart(
    page: Watched, live: LiveDashboard
) -> None:
    """The second scenario has an ensemble over its run's days: P10-P90 and the bad year."""
    ensemble = live.get(f"/ensembles/{live.ensemble_id}")
    d = ensemble["summary"]["figures"]["self_sufficiency_pct"]
    assert d["n"] == 2 and d["p10"] < d["p90"]  # two weather years that differ
    p = open_dashboard(page, live, f"run={live.run_ids[1]}&period=month")
    band = german_words(p, "[data-tile='autarky'] .tile-band")
    assert "P10 bis P90 über 2 Wetter- und Preisjahre" in band
    shown = band.split(": ")[1].rstrip(" %").split(" bis ")
    assert len(shown) == 2
    for text, want in zip(shown, (d["p10"], d["p90"]), strict=True):
        assert german_number(text) == pytest.approx(want, abs=rounding(text))
    saving = ensemble["summary"]["figures"]["saving_vs_B1_eur"]
    cost_band = german_words(p, "[data-tile='cost_eur'] .tile-band")
    low = cost_band.split(": ")[1].split(" bis ")[0].replace("€", "").strip()
    assert german_number(low) == pytest.approx(saving["p10"], abs=rounding(low))
    # the bad year in words: the worst member, its value and the median, members counted
    words = p.inner_text("#tiles-bands")
    worst = d["worst_member"].replace("mean year", "mittleres Jahr")
    worst = worst.replace("extreme winter", "extremer Winter").replace("prices", "Preise")
    assert f"Schlechtes Jahr für die Autarkie: {worst} mit {german(d['min'], 1)} %" in words
    assert f"Median {german(d['p50'], 1)} %" in words
    assert f"Ensemble {live.ensemble_id}: 2 von 2 Jahren gerechnet" in words
    # the monthly chart: one whisker for June at the ensemble's monthly P10 and P90
    june = next(
        b
        for b in ensemble["summary"]["monthly_bands"]
        if b["month"] == "2025-06" and b["figure"] == "self_sufficiency_pct"
    )
    whiskers = p.eval_on_selector_all("#autarky-view svg g.band", "gs => gs.length")
    assert whiskers == 1
    cells = p.eval_on_selector_all(
        "#autarky-table tbody td", "cs => cs.map(c => Number(c.dataset.value))"
    )
    assert cells[1:] == [pytest.approx(june["p10"]), pytest.approx(june["p90"])]
    assert "Ensemble" in p.inner_text("#autarky-band-note")
    # a scenario without an ensemble has no band and no bad year
    p = open_dashboard(page, live, f"run={live.run_ids[0]}&period=month")
    assert p.query_selector("[data-tile='autarky'] .tile-band") is None
    assert not p.is_visible("#tiles-bands")
    assert p.eval_on_selector_all("#autarky-view svg g.band", "gs => gs.length") == 0
    assert page.problems == []


def test_an_overbuilt_run_shows_its_violation_in_words(page: Watched, live: LiveDashboard) -> None:
    run_id = live.overbuilt_run_id
    p = open_dashboard(page, live, f"run={run_id}")
    assert int(p.input_value("#run")) == run_id
    grid = live.get(f"/runs/{run_id}/results")["grid"]
    assert grid["clean"] is False and grid["max_voltage_rise_pct"] > 3.0  # the seeded case
    tile = "[data-tile='grid']"
    assert p.inner_text(f"{tile} .tile-value") == "Grenze verletzt"
    rise = p.inner_text(f"{tile} [data-status='voltage_rise']")
    assert "über der Grenze von 3 %" in rise
    assert f"bis {german(grid['max_voltage_rise_pct'], 2)} %" in rise
    assert f"Teststraße 1 ({grid['max_voltage_rise_bus']})" in rise  # where, in words
    words = p.inner_text("#grid-status")
    assert f"{grid['violations']} Grenzverletzungen" in words
    assert "überlastet" in words  # the service line of the over-built roof
    assert "Hausanschluss Teststraße 1 (service B1)" in words
    # a clean run says so
    p.select_option("#run", str(live.run_ids[0]))
    p.wait_for_function(
        "() => document.querySelector(\"[data-tile='grid'] .tile-value\")?.textContent"
        " === 'in Ordnung'"
    )
    assert "Keine Grenzverletzung" in p.inner_text("[data-tile='grid']")
    assert page.problems == []


def test_a_failed_run_is_shown_with_its_reason(page: Watched, live: LiveDashboard) -> None:
    failed = live.failed_run_id
    run = live.get(f"/runs/{failed}")
    assert run["status"] == "failed" and run["error"]
    p = page.page
    p.goto(f"{live.base_url}/dashboard/?run={failed}")
    sign_in(p, live.viewer_key)
    p.wait_for_function("() => document.getElementById('error').textContent.length > 0")
    error = p.inner_text("#error")
    assert f"Berechnung Nr. {failed} ist fehlgeschlagen" in error
    assert run["error"] in error
    for cause in run["diagnosis"]:
        assert cause in error
    # no other run in its place
    assert not p.is_visible("#views")
    assert p.input_value("#run") == ""
    # and it is listed among the failed runs, with its reason
    listed = p.inner_text(f"#failed-list [data-run='{failed}']")
    assert f"Nr. {failed}" in listed and run["error"] in listed
    assert page.problems == []


def settled(page: Any) -> None:
    """Wait until the page has drawn what it reads without a key (no request left open)."""
    page.wait_for_selector("#key-form[data-ready='true']")
    for views in ("#views", "#sweeps-section"):
        page.wait_for_selector(f"{views}[aria-busy='false']", timeout=LOAD_TIMEOUT_MS)


def test_no_key_in_any_url_or_the_access_log(page: Watched, live: LiveDashboard) -> None:
    p = page.page
    urls: list[str] = []
    p.on("request", lambda r: urls.append(r.url))
    # a key put into the address is dropped and not used: by the redirect of /dashboard ...
    p.goto(f"{live.base_url}/dashboard?key=esk_00000000_fromtheaddress&lang=de")
    settled(p)
    assert p.url == f"{live.base_url}/dashboard/?lang=de"
    # ... and by the page itself, which says so
    p.goto(f"{live.base_url}/dashboard/?key=esk_00000000_fromtheaddress&lang=de")
    settled(p)
    assert "key=" not in p.url
    assert "nicht verwendet" in p.inner_text("#key-notice")
    open_dashboard(page, live, f"run={live.run_ids[0]}")
    api_calls = [u for u in urls if "/runs" in u]
    assert api_calls, urls
    assert not [u for u in urls if live.viewer_key in u]
    assert not [u for u in urls if "fromtheaddress" in u and "/dashboard" not in u]
    # the server's access log of this whole session holds no key, though it logged the calls
    assert any("/runs/" in line for line in live.access_log)
    for key in (live.viewer_key, live.admin_key):
        assert not [line for line in live.access_log if key in line]
    assert page.problems == []


def test_the_public_dashboard_opens_without_a_key(page: Watched, live: LiveDashboard) -> None:
    p = page.page
    asked: list[str] = []
    p.on("request", lambda r: asked.append(r.url))
    run_id = live.run_ids[1]
    p.goto(f"{live.base_url}/dashboard/?run={run_id}")
    for views in ("#views", "#sweeps-section"):
        p.wait_for_selector(f"{views}[aria-busy='false']", timeout=LOAD_TIMEOUT_MS)
    assert int(p.input_value("#run")) == run_id
    savings = live.get(f"/runs/{run_id}/savings", period="day", baseline="B1", format="json")
    tile = p.inner_text("[data-tile='cost_eur'] .tile-value").replace("€", "").strip()
    want = savings["totals"]["B1"]["cost_eur"]["total"]
    assert german_number(tile) == pytest.approx(want, abs=rounding(tile))
    # read from the API without a key, no key anywhere; the form stays to sign in
    api_calls = [u for u in asked if "/runs" in u]
    assert api_calls and all(u.startswith(f"{live.base_url}/runs") for u in api_calls), api_calls
    assert not any("key" in u.lower() for u in asked), asked
    assert p.is_visible("#key")
    assert p.inner_text("#error") == ""
    assert page.problems == []


def test_a_private_run_is_not_found_without_a_key(page: Watched, live: LiveDashboard) -> None:
    p = page.page
    hidden = live.private_run_id
    p.goto(f"{live.base_url}/dashboard/?run={hidden}")
    p.wait_for_function("() => document.getElementById('error').textContent.length > 0")
    assert f"Berechnung Nr. {hidden} wird nicht gezeigt: Nicht gefunden" in p.inner_text("#error")
    assert not p.is_visible("#views")
    assert str(hidden) not in p.eval_on_selector_all("#run option", "os => os.map(o => o.value)")
    # the only problem is the expected 404 of that run (the page names it, nothing breaks)
    unexpected = [x for x in page.problems if f"/runs/{hidden}" not in x]
    unexpected = [x for x in unexpected if "404" not in x or "console" not in x]
    assert unexpected == [], unexpected
    assert any(f"HTTP 404: {live.base_url}/runs/{hidden}" in x for x in page.problems)
