"""Parameter sweeps: grid points, a 2 x 2 Gera sweep on the process pool, best points."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from energy.cli.compare import register
from energy.district import GERA_DISTRICT_FILE, District, load_district
from energy.errors import InputDataError
from energy.scenario import ScenarioOptions
from energy.studies.sweep import (
    SweepResult,
    SweepSpec,
    points,
    run_point,
    run_sweep,
    summarise_sweep,
)
from energy.variants import split_total_kwp

OPTIONS = ScenarioOptions(start="2025-06-30", days=1, ac_check=False)
GRID = {"pv_kwp_added": [0, 100], "battery_kwh_added": [0, 200]}


@pytest.fixture(scope="module")
def gera() -> District:
    return load_district(GERA_DISTRICT_FILE)


@pytest.fixture(scope="module")
def sweep(gera: District) -> SweepResult:
    # the default executor: a local pool of 2 processes
    return run_sweep(SweepSpec(gera, GRID, OPTIONS))


def test_points_and_changes(gera: District) -> None:
    spec = SweepSpec(gera, GRID, OPTIONS, battery_c_rate=0.25)
    pts = points(spec)
    assert [p for p, _ in pts] == [
        {"pv_kwp_added": 0.0, "battery_kwh_added": 0.0},
        {"pv_kwp_added": 0.0, "battery_kwh_added": 200.0},
        {"pv_kwp_added": 100.0, "battery_kwh_added": 0.0},
        {"pv_kwp_added": 100.0, "battery_kwh_added": 200.0},
    ]
    assert pts[0][1].is_empty
    bat = pts[1][1].batteries[0]
    assert (bat.at, bat.capacity_kwh, bat.power_kw) == ("substation", 200.0, 50.0)
    assert pts[2][1].pv_kwp_added == 100.0 and not pts[2][1].batteries


def test_added_pv_goes_where_pv_building_and_pv_like_say(gera: District) -> None:
    """Like the sizing candidate: one system, on pv_building or like's building, like's roof."""
    like = next(p for p in gera.pv if p.azimuth_deg != 180.0)
    grid = {"pv_kwp_added": [0, 40]}
    pts = points(SweepSpec(gera, grid, OPTIONS, pv_like=like.id))
    assert pts[0][1].is_empty
    (added,) = pts[1][1].pv
    assert (added.building, added.kwp, added.tilt_deg, added.azimuth_deg, added.mount) == (
        like.building, 40.0, like.tilt_deg, like.azimuth_deg, like.mount,
    )  # fmt: skip
    assert pts[1][1].pv_kwp_added == 0.0
    other = next(b.id for b in gera.buildings if b.id != like.building)
    (moved,) = points(SweepSpec(gera, grid, OPTIONS, pv_building=other, pv_like=like.id))[1][1].pv
    assert (moved.building, moved.azimuth_deg) == (other, like.azimuth_deg)
    (plain,) = points(SweepSpec(gera, grid, OPTIONS, pv_building=other))[1][1].pv
    assert (plain.tilt_deg, plain.azimuth_deg, plain.mount) == (30.0, 180.0, "roof")
    with pytest.raises(InputDataError, match="pv_like: 'PV-NONE' is not a PV system"):
        SweepSpec(gera, grid, OPTIONS, pv_like="PV-NONE")
    with pytest.raises(InputDataError, match="pv_building: 'NOWHERE' is not a building"):
        SweepSpec(gera, grid, OPTIONS, pv_building="NOWHERE")


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ({}, "grid: empty"),
        ({"wind_kw": [1]}, "'wind_kw' is not a sweep parameter"),
        ({"pv_kwp_added": []}, "grid.pv_kwp_added: no values"),
        ({"pv_kwp_added": [0, -5]}, r"grid.pv_kwp_added\[1\]: -5 is not allowed"),
        ({"pv_kwp_added": [1, 1]}, "repeats a value"),
        ({"pv_kwp_added": list(range(21)), "battery_kwh_added": list(range(20))}, "420 points"),
    ],
)
def test_spec_is_validated(gera: District, grid: dict, message: str) -> None:
    with pytest.raises(InputDataError, match=message):
        SweepSpec(gera, grid, OPTIONS)


def test_sweep_best_point_by_direct_npv(sweep: SweepResult, gera: District) -> None:
    table = sweep.table
    assert len(table) == 4
    assert set(table["status"]) == {"optimal"}
    base_cost = float(table.loc[0, "cost_eur"])
    assert sweep.reference["cost_eur"] == base_cost
    # NPV of each point by hand (German defaults: 4 %, 25 years, opex 1.5 % PV / 1 % battery):
    # PV 100 kWp split by annual demand over the buildings (energy.variants), each share
    # priced by its own size band (<= 10 kWp 1500, <= 100 kWp 1200 EUR/kWp); battery
    # 200 kWh x 500 EUR/kWh, bought again in year 15, 1/3 of it back in year 25; annual
    # savings = 365 x (base cost - point cost) of the one-day runs.
    r, n = 0.04, 25
    annuity_sum = (1 - (1 + r) ** -n) / r
    shares = split_total_kwp(gera, 100.0).values()
    pv_capex = sum(k * (1500.0 if k <= 10 else 1200.0) for k in shares)
    npvs = []
    for _, row in table.iterrows():
        pv = pv_capex if row["pv_kwp_added"] > 0 else 0.0
        bat = 200 * 500.0 if row["battery_kwh_added"] > 0 else 0.0
        saving = 365 * (base_cost - row["cost_eur"])
        npv = (
            -(pv + bat)
            + (saving - 0.015 * pv - 0.01 * bat) * annuity_sum
            - bat / (1 + r) ** 15
            + bat / 3 / (1 + r) ** 25
        )
        assert row["npv_eur"] == pytest.approx(npv, rel=1e-9, abs=1e-6)
        npvs.append(npv)
    best = sweep.best("npv_eur")
    i_best = max(range(4), key=lambda i: npvs[i])
    assert (best["pv_kwp_added"], best["battery_kwh_added"]) == (
        table.loc[i_best, "pv_kwp_added"],
        table.loc[i_best, "battery_kwh_added"],
    )
    # more PV and battery never lowers self-sufficiency on this grid
    by_autarky = sweep.best("self_sufficiency")
    assert (by_autarky["pv_kwp_added"], by_autarky["battery_kwh_added"]) == (100.0, 200.0)


def test_heatmaps_and_files(sweep: SweepResult, tmp_path: Path) -> None:
    grid = sweep.heatmap("npv_eur")
    assert grid.shape == (2, 2)
    assert list(grid.index) == [0.0, 100.0] and list(grid.columns) == [0.0, 200.0]
    assert grid.loc[100.0, 200.0] == pytest.approx(float(sweep.table.loc[3, "npv_eur"]))
    data = sweep.to_dict()
    json.dumps(data, allow_nan=False)
    assert data["licence"] == "CC-BY-4.0"
    auto = data["heatmaps"]["self_sufficiency"]
    assert auto["rows"]["parameter"] == "pv_kwp_added"
    assert auto["columns"]["values"] == [0.0, 200.0]
    assert auto["values"][0][1] == pytest.approx(float(sweep.table.loc[1, "self_sufficiency"]))
    names = [p.name for p in sweep.write(tmp_path)]
    assert names == [
        "sweep.csv",
        "sweep.json",
        "heatmap_self_sufficiency.csv",
        "heatmap_npv_eur.csv",
        "heatmap_self_sufficiency.svg",
        "heatmap_npv_eur.svg",
    ]
    assert (tmp_path / "heatmap_npv_eur.csv").read_text().startswith("# licence: CC-BY-4.0")
    # a one-day sweep's NPV never goes out without saying it is extrapolated
    flag = "1 day (2025-06-30..2025-06-30)"
    assert set(sweep.table["extrapolated_from"]) == {flag}
    assert data["extrapolated_from"] == flag
    assert all(point["extrapolated_from"] == flag for point in data["points"])
    note = f"annual figures (annual savings, NPV, IRR, payback, LCOE) extrapolated_from: {flag}"
    for name in ("sweep.csv", "heatmap_npv_eur.csv", "heatmap_npv_eur.svg"):
        assert note in (tmp_path / name).read_text(encoding="utf-8"), name


def test_run_point_takes_json_forms(sweep: SweepResult, gera: District) -> None:
    # as a Celery task receives them: plain JSON data
    spec = SweepSpec(gera, GRID, OPTIONS)
    point, changes = points(spec)[1]
    record = run_point(
        json.loads(json.dumps(gera.to_dict())),
        changes.model_dump(mode="json"),
        OPTIONS.model_dump(mode="json"),
    )
    json.dumps(record, allow_nan=False)
    assert record["added"]["battery_kwh"] == [200.0]
    assert record["cost_eur"] == pytest.approx(float(sweep.table.loc[1, "cost_eur"]), rel=1e-9)
    assert point == {"pv_kwp_added": 0.0, "battery_kwh_added": 200.0}


def test_summary_needs_a_reference_without_zero_point(gera: District) -> None:
    spec = SweepSpec(gera, {"battery_kwh_added": [100, 200]}, OPTIONS)
    fake = {"cost_eur": 1.0, "horizon_h": 24.0, "e_generation_kwh": 0.0, "added": {}}
    with pytest.raises(InputDataError, match="no point with nothing added"):
        summarise_sweep(spec, [fake, fake])
    with pytest.raises(InputDataError, match="1 given for 2 grid points"):
        summarise_sweep(spec, [fake], reference=fake)


def test_cli_sweep(tmp_path: Path) -> None:
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    args = ["sweep", str(GERA_DISTRICT_FILE), "--pv-kwp-added", "0,50", "--start", "2025-06-30"]
    res = runner.invoke(app, [*args, "--days", "1", "--workers", "1", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "best by NPV: +" in res.stdout and "run 2/2 done" in res.stderr
    assert "extrapolated_from: 1 day (2025-06-30..2025-06-30)" in " ".join(res.stdout.split())
    data = json.loads((tmp_path / "sweep.json").read_text())
    assert [p["pv_kwp_added"] for p in data["points"]] == [0.0, 50.0]
    assert data["heatmaps"]["npv_eur"]["rows"]["values"] == [0.0, 50.0]
    res = runner.invoke(app, ["sweep", str(GERA_DISTRICT_FILE), "--battery-kwh", "0,lots"])
    assert res.exit_code == 1
    assert "--battery-kwh-added: '0,lots' is not a comma-separated list" in " ".join(
        res.stderr.split()
    )
