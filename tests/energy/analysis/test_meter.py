"""Meter data: reading, alignment, planned vs measured on the toy case of test_savings."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from energy.analysis.meter import align_to_index, compare_with_plan, read_meter_csv
from energy.analysis.savings import savings_report
from energy.district import GERA_DISTRICT_FILE, District, load_district
from energy.errors import InputDataError


def _toy_module() -> ModuleType:
    """The two-day toy plan of test_savings.py (one definition, shared)."""
    path = Path(__file__).with_name("test_savings.py")
    spec = importlib.util.spec_from_file_location("_toy_savings", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TOY = _toy_module()
TZ = TOY.TZ


@pytest.fixture(scope="module")
def toy_district() -> District:
    # the toy plan's only battery; the rest of the district is not used by the meter
    gera = load_district(GERA_DISTRICT_FILE)
    return gera.model_copy(update={"batteries": [TOY.TOY_BATTERY]})


def meter_csv(energy_columns: bool = False) -> str:
    """Measured data every 15 min for the toy's two days (local times with offset).

    Buildings drew 10.5 and 11.5 kW in alternate quarter hours (hourly mean 11 kW,
    1 kW more than planned), street lighting as planned; PV gave 15 kW at
    h = 10..13 (75 % of the plan).
    """
    result = TOY.toy_result()
    light = result.schedule["lighting_kw"]
    index = pd.date_range(light.index[0], periods=4 * len(light), freq="15min")
    quarter = np.arange(len(index))
    building = np.where(quarter % 2 == 0, 10.5, 11.5)
    consumption = building + np.repeat(light.to_numpy(), 4)
    hour = index.tz_convert(TZ).hour
    generation = np.where((hour >= 10) & (hour <= 13), 15.0, 0.0)
    if energy_columns:
        head = "time;e_consumption_kwh;e_generation_kwh"
        rows = [
            f"{t.tz_convert(TZ).isoformat()};{c * 0.25:.6f};{g * 0.25:.6f}"
            for t, c, g in zip(index, consumption, generation, strict=True)
        ]
    else:
        head = "time,consumption_kw,generation_kw,note"
        rows = [
            f"{t.tz_convert(TZ).isoformat()},{c:.6f},{g:.6f},ok"
            for t, c, g in zip(index, consumption, generation, strict=True)
        ]
    return "\n".join(["# measured at the quarter's meters", head, *rows]) + "\n"


def test_read_and_align() -> None:
    meter = read_meter_csv(meter_csv())
    assert list(meter.columns) == ["consumption_kw", "generation_kw"]
    assert str(meter.index.tz) == "UTC" and len(meter) == 192
    # 2025-06-30 00:00 CEST = 2025-06-29 22:00 UTC
    assert meter.index[0] == pd.Timestamp("2025-06-29 22:00", tz="UTC")
    same = read_meter_csv(meter_csv(energy_columns=True))
    assert np.allclose(same.to_numpy(), meter.to_numpy(), atol=1e-5)
    hourly = align_to_index(meter, TOY.toy_result().schedule.index)
    # quarter hours 10.5, 11.5, 10.5, 11.5 + lighting -> hourly mean 11 kW + lighting
    expected = 11.0 + TOY.toy_result().schedule["lighting_kw"].to_numpy()
    assert hourly["consumption_kw"].to_numpy() == pytest.approx(expected, abs=1e-9)


def test_coarser_meter_is_held_within_its_interval() -> None:
    index = pd.date_range("2025-06-29 22:00", periods=4, freq="1h", tz="UTC")
    meter = pd.DataFrame(
        {"consumption_kw": [4.0, 8.0], "generation_kw": [0.0, 1.0]},
        index=pd.date_range(index[0], periods=2, freq="2h"),
    )
    held = align_to_index(meter, index)
    assert held["consumption_kw"].tolist() == [4.0, 4.0, 8.0, 8.0]
    with pytest.raises(InputDataError, match="no value for 2025-06-30 02:00"):
        align_to_index(meter, pd.date_range(index[0], periods=5, freq="1h"))


def test_planned_vs_measured_by_hand(toy_district: District) -> None:
    result = TOY.toy_result()
    cmp = compare_with_plan(result, read_meter_csv(meter_csv()), toy_district)
    # Hand calculation per day, hourly means (measured buildings 11 kW, PV 15 kW at 10..13),
    # the batteries as planned (charge 10 kW at 10, 11; discharge 10 kW at 18, 19):
    #   h 10, 11: 11 + 10 - 15 = 6 kW import; h 12, 13: 11 - 15 = -4 -> 4 kW export;
    #   h 18, 19: 11 - 10 = 1 kW import at 0.50; 18 other hours 11 kW; lighting 12 kWh.
    #   import 12 + 2 + 198 + 12 = 224 kWh, export 8 kWh, consumption 24 x 11 + 12 = 276,
    #   generation 60; cost 2 x 0.5 + 222 x 0.3 - 8 x 0.08 + 0.2 wear = 67.16 EUR;
    #   CO2 2 x 0.6 + 222 x 0.4 = 90.0 kg.  Two days: twice each.
    k = cmp.kpis
    assert k.loc["e_import_kwh", "measured"] == pytest.approx(2 * 224)
    assert k.loc["e_export_kwh", "measured"] == pytest.approx(2 * 8)
    assert k.loc["e_consumption_kwh", "measured"] == pytest.approx(2 * 276)
    assert k.loc["e_generation_kwh", "measured"] == pytest.approx(2 * 60)
    assert k.loc["cost_eur", "measured"] == pytest.approx(2 * 67.16)
    assert k.loc["co2_kg", "measured"] == pytest.approx(2 * 90.0)
    assert k.loc["self_sufficiency", "measured"] == pytest.approx(1 - 224 / 276)
    assert k.loc["self_consumption", "measured"] == pytest.approx(1 - 8 / 60)
    assert k.loc["cost_eur", "planned"] == pytest.approx(2 * 56.2)
    assert k.loc["cost_eur", "difference"] == pytest.approx(2 * (67.16 - 56.2))
    # B0 with measured data: buildings 11 kW, PV 15 kW, lighting S0 (20 kWh), battery idle:
    #   export 4 kW x 4 h = 16 kWh; import 20 h x 11 + 20 = 240 kWh, 22 of them at 0.50:
    #   11 + 218 x 0.3 = 76.4 - 16 x 0.08 = 75.12 EUR; CO2 22 x 0.6 + 218 x 0.4 = 100.4 kg.
    # B1 measured: import 224 kWh, 22 at 0.50 (h 18, 19): 11 + 202 x 0.3 - 0.64 + 0.2
    #   = 71.16 EUR; CO2 13.2 + 80.8 = 94.0 kg.
    s = cmp.savings
    assert s.loc[("B0", "cost_eur"), "measured"] == pytest.approx(2 * (75.12 - 67.16))
    assert s.loc[("B0", "cost_eur"), "planned"] == pytest.approx(2 * 10.6)
    assert s.loc[("B0", "e_import_kwh"), "measured"] == pytest.approx(2 * 16)
    assert s.loc[("B0", "co2_kg"), "measured"] == pytest.approx(2 * 10.4)
    assert s.loc[("B0", "self_sufficiency_points"), "measured"] == pytest.approx(
        100 * (240 / 284 - 224 / 276)
    )
    assert s.loc[("B1", "cost_eur"), "measured"] == pytest.approx(2 * 4.0)
    assert s.loc[("B1", "e_import_kwh"), "measured"] == pytest.approx(0.0, abs=1e-9)
    assert s.loc[("B1", "co2_kg"), "measured"] == pytest.approx(2 * 4.0)
    data = cmp.to_dict()
    assert data["licence"] == "CC-BY-4.0"
    assert data["notes"]["import_export"].startswith("derived")
    assert data["savings"]["B0"]["cost_eur"]["measured"] == pytest.approx(15.92)
    # the measured result feeds the dashboard savings: 30 June alone, vs B0, operation
    days = savings_report(cmp.measured, "day").frame
    op = days[
        (days["period"] == "2025-06-30")
        & (days["baseline"] == "B0")
        & (days["metric"] == "cost_eur")
        & days["source"].isin(["battery", "lighting"])
    ]["value"].sum()
    assert op == pytest.approx(75.12 - 67.16)


def test_grid_meter_import_export_are_used(toy_district: District) -> None:
    result = TOY.toy_result()
    index = result.schedule.index
    meter = pd.DataFrame(
        {
            "consumption_kw": 11.0 + result.schedule["lighting_kw"].to_numpy(),
            "generation_kw": 0.0,
            "import_kw": 5.0,
            "export_kw": 0.0,
        },
        index=index,
    )
    cmp = compare_with_plan(result, meter, toy_district)
    # 48 h x 5 kW measured at the grid connection
    assert cmp.kpis.loc["e_import_kwh", "measured"] == pytest.approx(240.0)
    assert cmp.to_dict()["notes"]["import_export"] == "measured (grid meter)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "# c\ntime,consumption_kw\n2025-06-30T00:00:00+02:00,1\n2025-06-30T01:00:00,2\n",
            r"line 4, column time: '2025-06-30T01:00:00' has no UTC offset",
        ),
        (
            "time,consumption_kw\n2025-06-30T00:00:00Z,1\n2025-06-30T01:00:00Z,x\n",
            r"line 3, column consumption_kw: 'x' is not a number",
        ),
        (
            "time,consumption_kw\n2025-06-30T00:00:00Z,1\n2025-06-30T01:00:00Z,-2\n",
            r"line 3, column consumption_kw: -2 kW is negative",
        ),
        (
            "time,load_kw\n2025-06-30T00:00:00Z,1\n2025-06-30T01:00:00Z,2\n",
            r"line 1: no consumption_kw or e_consumption_kwh column",
        ),
        (
            "time,consumption_kw\n2025-06-30T00:00:00Z,1\n2025-06-30T01:00:00Z,2\n"
            "2025-06-30T03:00:00Z,2\n",
            r"line 4, column time: step 0 days 02:00:00 differs",
        ),
        (
            "time,consumption_kw,import_kw\n2025-06-30T00:00:00Z,1,1\n2025-06-30T01:00:00Z,2,1\n",
            r"both import and export columns or neither",
        ),
    ],
)
def test_errors_name_line_and_column(text: str, message: str) -> None:
    with pytest.raises(InputDataError, match=message):
        read_meter_csv(text)


def test_meter_must_cover_the_horizon(toy_district: District) -> None:
    result = TOY.toy_result()
    short = read_meter_csv(meter_csv()).iloc[:100]
    with pytest.raises(InputDataError, match="no value for 2025-06-30 23:00:00"):
        compare_with_plan(result, short, toy_district)
