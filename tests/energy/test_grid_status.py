"""Grid status as KPIs (energy/grid_status.py): the 3 % rule, loadings, hosting capacity, peak.

The must-show case: the seeded cooperative scenario of the demo (+PV, +400 kWh
battery at the substation) grown to +800 kWp, with inverters at cos phi 1 (as
systems from before VDE-AR-N 4105:2011 run), on a clear June day breaks the
3 % voltage-rise rule of VDE-AR-N 4105, and ``energy optimise`` says so in its
grid status table. (With the default cos phi(P) of VDE-AR-N 4105 the PV absorbs
reactive power: the same day's rise is 1.8 %, and the transformer is overloaded
instead; see the physics report.)
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from energy.cli.optimise import register
from energy.district import GERA_DISTRICT_FILE, load_district, save_district
from energy.grid_status import grid_status
from energy.variants import BatteryAddition, ScenarioChanges, apply_changes

SUMMARY = {
    "clean": False,
    "violations": 3,
    "violating_steps": 2,
    "hours_in_violation": 2.0,
    "violations_by_kind": {"voltage_rise": 2, "line_overload": 1},
    "feed_in_violations": 3,
    "limits": {"v_min_pu": 0.9, "v_max_pu": 1.1, "max_loading_pct": 100.0, "voltage_rise_pct": 3.0},
    "max_voltage_rise_pct": 3.07,
    "max_voltage_rise_bus": "MF05",
    "max_voltage_rise_time": "2025-06-10T11:00:00+00:00",
    "v_min_pu": 0.99,
    "v_max_pu": 1.031,
    "max_trafo_loading_pct": 97.0,
    "max_trafo": "transformer",
    "max_trafo_time": "2025-06-10T11:00:00+00:00",
    "max_line_loading_pct": 104.2,
    "max_line": "F1 0-30m",
    "max_line_time": "2025-06-10T12:00:00+00:00",
}
PEAKS = {"optimised": {"peak_import_kw": 460.0}, "B1": {"peak_import_kw": 170.0}}
PEAKS["B0"] = {"peak_import_kw": 170.0}


def test_status_of_a_summary_in_english_and_german() -> None:
    status = grid_status(PEAKS, SUMMARY, np.array([460.0]))
    assert status["ac_checked"] and status["clean"] is False
    assert status["voltage_rise"]["ok"] is False and status["voltage_rise"]["limit_pct"] == 3.0
    assert status["voltage_band"]["ok"] is True
    assert status["trafo_loading"]["ok"] is True and status["line_loading"]["ok"] is False
    assert status["hosting_capacity_exceeded"] is True
    assert status["peak_import"]["raised_above"] == ["B1", "B0"]
    assert status["peak_import"]["above_B1_kw"] == pytest.approx(290.0)
    en, de = status["words"]["en"], status["words"]["de"]
    assert len(en) == len(de) == 6
    assert en[0] == (
        "Voltage rise 3.07 % exceeds the 3 % limit of VDE-AR-N 4105:2018-11, 5.3.2 at bus "
        "MF05 (2025-06-10T11:00:00+00:00)."
    )
    assert de[0].startswith("Spannungsanhebung 3,07 % überschreitet die Grenze von 3 %")
    assert "Line loading up to 104.2 % at F1 0-30m (limit 100 %): OVERLOADED." in en
    assert "Leitungsauslastung bis 104,2 % bei F1 0-30m (Grenze 100 %): ÜBERLASTET." in de
    assert "Transformer loading up to 97.0 % at transformer (limit 100 %): kept." in en
    # every problem (rise, line, hosting capacity, peak) is a warning, nothing that is kept
    assert len(status["warnings"]) == 4
    assert all("kept" not in w for w in status["warnings"])
    clean = dict(SUMMARY, clean=True, violations=0, violations_by_kind={}, feed_in_violations=0)
    clean.update(max_voltage_rise_pct=2.5, max_line_loading_pct=80.0)
    ok = grid_status({k: {"peak_import_kw": 100.0} for k in PEAKS}, clean, np.array([100.0]))
    assert ok["warnings"] == [] and ok["hosting_capacity_exceeded"] is False


@pytest.fixture(scope="module")
def sunny_cooperative(tmp_path_factory: pytest.TempPathFactory) -> Path:
    changes = ScenarioChanges(
        pv_kwp_added=800.0,
        batteries=[BatteryAddition(capacity_kwh=400.0, power_kw=200.0)],
    )
    district = apply_changes(load_district(GERA_DISTRICT_FILE), changes)
    return save_district(district, tmp_path_factory.mktemp("coop") / "cooperative.yaml")


def test_cli_grid_status_table_shows_the_broken_3_percent_rule(sunny_cooperative: Path) -> None:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Test app."""

    register(app)
    args = ["optimise", str(sunny_cooperative), "--start", "2025-06-10", "--days", "1"]
    res = CliRunner().invoke(app, [*args, "--weather", "clearsky", "--pv-reactive", "unity"])
    assert res.exit_code == 0, res.output
    rows = [line for line in res.stdout.splitlines() if "voltage rise [%]" in line]
    assert len(rows) == 1, res.stdout
    assert "VIOLATED" in rows[0] and "VDE-AR-N" in rows[0]
    shown = float(re.findall(r"\d+\.\d\d", rows[0])[0])
    assert shown > 3.0
    hosting = [line for line in res.stdout.splitlines() if "hosting capacity" in line]
    assert "EXCEEDED" in hosting[0]
    assert "warning: Voltage rise" in res.stderr
    # the added PV is listed per building, only on roofs that allow PV
    assert "PV added by the scenario: 800.0 kWp on 36 roofs" in " ".join(res.stdout.split())
    listed = {line.split()[1] for line in res.stdout.splitlines() if line.startswith("│ MF")}
    assert "MF01" in listed and not listed & {"MF04", "MF10", "MF15", "MF17", "MF18", "MF21"}
