"""Licence and provenance of exports (energy.report.exports)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pandas as pd

from energy.district import DATA_DIR
from energy.report.exports import (
    UNITS_LINE,
    column_unit,
    csv_with_header,
    data_sources,
    export_info,
)


def test_simbench_runs_carry_odbl() -> None:
    info = export_info({"network": {"source": "SimBench 1-LV-semiurb4--0-sw"}})
    assert info["licence"] == "CC-BY-4.0"
    assert any(x.startswith("ODbL-1.0") for x in info["data_licences"])
    assert export_info({"grid": {"violations": 0}})["data_licences"] == []


def test_data_sources_come_from_the_data_package(tmp_path: Path) -> None:
    """Shipped files by path, copies by SHA-256, unknown files named, the clear sky no file."""
    prices = DATA_DIR / "prices" / "smard_dayahead_2023_2024_hourly.csv"
    copy = tmp_path / "my_prices.csv"
    shutil.copyfile(prices, copy)
    digest = hashlib.sha256(prices.read_bytes()).hexdigest()
    own = tmp_path / "own_weather.epw"
    own.write_text("LOCATION,Somewhere\n", encoding="utf-8")
    metadata = {
        "data_files": {
            "weather": {"path": "data/weather/TRY2015_Chemnitz_region09_Jahr.dat", "sha256": None},
            "day_ahead": {"path": str(copy), "sha256": digest},
            "co2": {"path": str(own), "sha256": "0" * 64},
        }
    }
    by_role = {s["role"]: s for s in data_sources(metadata)}
    assert by_role["weather"]["resource"] == "try2015-chemnitz-region09"
    assert by_role["weather"]["attribution"] == "Datenbasis: Deutscher Wetterdienst"
    assert by_role["weather"]["licences"][0] == "CC-BY-4.0"
    assert by_role["day_ahead"]["resource"] == "smard-dayahead-2023-2024-hourly"  # by hash
    assert by_role["day_ahead"]["attribution"] == "Bundesnetzagentur | SMARD.de"
    assert by_role["co2"]["licences"] == [] and by_role["co2"]["resource"] is None
    assert by_role["load_profiles"]["licences"] == ["MIT"]
    lines = export_info(metadata)["data_licences"]
    assert lines[0].startswith("CC-BY-4.0, GeoNutzV: Datenbasis: Deutscher Wetterdienst")
    assert lines[1].startswith("CC-BY-4.0: Bundesnetzagentur | SMARD.de (day_ahead: ")
    assert lines[2].startswith(f"licence not known: co2: {own}")
    # the computed clear sky is no data file: listed as a source, not as data that went in
    clear = {"data_files": {"weather": {"path": "clearsky (pvlib Ineichen)", "sha256": None}}}
    (sky, _) = data_sources(clear)
    assert sky["licences"] == [] and "no data file" in sky["note"]
    assert not any("clearsky" in line for line in export_info(clear)["data_licences"])


def test_every_numeric_column_has_a_unit() -> None:
    """Schedule and sweep columns carry their unit in the name (docs/definitions.md "Units")."""
    schedule = [
        "co2_g_per_kwh", "feed_in_eur_per_kwh", "import_price_eur_per_kwh", "level:L1",
        "lighting_class_rule_kw", "lighting_kw", "load_kw", "p_charge_kw:BAT-Q",
        "p_discharge_kw:BAT-Q", "p_export_kw", "p_import_kw", "pv_curtailed_kw", "pv_kw",
        "soc_kwh:BAT-Q",
    ]  # fmt: skip
    units = {name: column_unit(name) for name in schedule}
    assert units["p_charge_kw:BAT-Q"] == "kW" and units["soc_kwh:BAT-Q"] == "kWh"
    assert units["import_price_eur_per_kwh"] == "EUR/kWh" and units["co2_g_per_kwh"] == "g/kWh"
    assert column_unit("cost_eur_vs_B1") == "EUR" and column_unit("pv_kwp_added") == "kWp"
    assert column_unit("opex_eur_per_year") == "EUR/a" and column_unit("irr_frac").startswith("fr")
    assert column_unit("self_sufficiency_points") == "percentage points"
    assert column_unit("status") is None
    assert all(units.values()), units
    text = csv_with_header(pd.DataFrame({"p_import_kw": [1.0]}), ["licence: CC-BY-4.0"])
    assert text.splitlines()[1] == f"# {UNITS_LINE}" and "_kw kW" in UNITS_LINE
