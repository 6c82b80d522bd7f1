"""The council report: plain-language sentences, pictures, sources, and the Gera year as PDF.

The Gera year is rendered by ``energy report`` to PDF, to PNG (pdftoppm) and
to text (pdftotext); the PNGs are kept in ``test-artifacts/council-report/``.
The summary's self-sufficiency is recomputed here from the schedule's import
and consumption columns (1 - import / consumption, DESIGN.md), not read from
the run's KPIs.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from energy.cli.main import app as energy_cli
from energy.district import GERA_DISTRICT_FILE, load_district
from energy.errors import InputDataError
from energy.kpi import COMPARISON_LABELS
from energy.report.charts import bars_svg, map_svg
from energy.report.council import (
    bands_section,
    data_sources,
    de_number,
    grid_sentences,
    horizon_de,
)
from energy.report.results import load_run, write_outputs
from energy.scenario import ScenarioOptions, run_scenario

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "council-report"
SVG = "{http://www.w3.org/2000/svg}"
POPPLER = shutil.which("pdftoppm") and shutil.which("pdftotext")


def test_german_numbers_and_horizons() -> None:
    assert de_number(13886.76) == "13.887"
    assert de_number(2.08414, 1) == "2,1"
    assert de_number(-0.00001, 1) == "0,0"  # no "-0,0"
    assert horizon_de("365 days (2025-01-01..2025-12-31)") == "365 Tage (01.01.2025 bis 31.12.2025)"
    assert horizon_de("1 day (2025-06-02..2025-06-02)") == "1 Tag (02.06.2025 bis 02.06.2025)"


def test_grid_sentences_say_what_the_check_found() -> None:
    assert grid_sentences(None) == ["Das Stromnetz wurde für diesen Lauf nicht nachgerechnet."]
    assert "hält in jeder Stunde" in grid_sentences({"clean": True, "hours_in_violation": 0})[0]
    words = grid_sentences({"clean": False, "hours_in_violation": 12.0, "elements_in_violation": 3})
    assert words[0] == "Das Stromnetz ist in 12 Stunden überlastet."
    assert "3 Teile" in words[1]


def test_bars_hang_below_zero_for_negative_values() -> None:
    table = pd.DataFrame({"pv": [100.0, -50.0], "battery": [20.0, 0.0]}, index=["Jan", "Feb"])
    root = ET.fromstring(bars_svg(table, "t", "EUR"))
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(bars) == 4
    ys = {r.find(f"{SVG}title").text: (float(r.get("y")), float(r.get("height"))) for r in bars}
    y_pos, h_pos = ys["Jan, pv: 100 EUR"]
    y_neg, h_neg = ys["Feb, pv: -50 EUR"]
    zero = y_pos + h_pos
    assert y_neg == pytest.approx(zero)  # the negative bar starts at the zero line, downwards
    assert h_neg == pytest.approx(h_pos / 2, rel=1e-3)  # half the value, half the length
    with pytest.raises(InputDataError, match="finite"):
        bars_svg(pd.DataFrame({"pv": [np.nan]}), "t", "EUR")


def test_map_keeps_metres_equal_in_both_directions() -> None:
    """100 m east and 100 m north draw equally long at 50.88 N (1 deg lat = 111,195 m)."""
    lat, lon = 50.88, 12.08
    d_lat = 100.0 / 111_195.0
    d_lon = d_lat / np.cos(np.radians(lat))
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[lon, lat], [lon + d_lon, lat]]},
            "properties": {"name": "east"},
        },
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[lon, lat], [lon, lat + d_lat]]},
            "properties": {"name": "north"},
        },
        {
            "type": "Feature",
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[lon, lat], [lon + d_lon / 4, lat], [lon, lat + d_lat / 4], [lon, lat]]
                ],
            },
            "properties": {"name": "house"},
        },
    ]
    root = ET.fromstring(map_svg({"features": features}, "m", highlight=["north"]))
    lengths = {}
    for line in root.iter(f"{SVG}polyline"):
        (x0, y0), (x1, y1) = (map(float, p.split(",")) for p in line.get("points").split())
        lengths[line.find(f"{SVG}title").text] = (np.hypot(x1 - x0, y1 - y0), line.get("stroke"))
    assert lengths["east"][0] == pytest.approx(lengths["north"][0], rel=2e-3)
    assert lengths["north"][1] == "#b3261e" and lengths["east"][1] != "#b3261e"
    assert len(list(root.iter(f"{SVG}polygon"))) == 1
    with pytest.raises(InputDataError, match="no features"):
        map_svg({"features": []}, "m")


def test_bands_are_shown_or_their_absence_said() -> None:
    assert "keine Ensemble-Rechnung" in bands_section(None)
    bands = pd.DataFrame(
        [
            {
                "indicator": "Kosten gespart",
                "unit": "EUR",
                "p10": 9000.0,
                "p50": 12000.0,
                "p90": 15500.0,
            }
        ]
    )
    text = bands_section(bands)
    assert "Kosten gespart [EUR]" in text and "9.000,0" in text and "15.500,0" in text


def test_data_sources_come_from_the_datapackage() -> None:
    meta = {
        "data_files": {
            "weather": {"path": "data/weather/TRY2015_Chemnitz_region09_Jahr.dat"},
            "day_ahead": {"path": "data/prices/smard_dayahead_2023_2024_hourly.csv"},
            "upload": {"path": "/tmp/mine.csv"},
        }
    }
    weather, prices, upload, profiles = data_sources(meta)
    assert profiles["kind"] == "load_profiles" and "demandlib" in profiles["attribution"]
    assert weather["attribution"] == "Datenbasis: Deutscher Wetterdienst"
    assert "GeoNutzV" in weather["licences"]
    assert prices["attribution"] == "Bundesnetzagentur | SMARD.de"
    assert "Creative Commons Attribution 4.0" in prices["licences"]
    assert upload["licences"] == "licence not recorded"


@pytest.fixture(scope="module")
def gera_year(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped Gera district over the whole year 2025, as a run folder."""
    result = run_scenario(load_district(GERA_DISTRICT_FILE), ScenarioOptions(days=365))
    folder = tmp_path_factory.mktemp("gera-year")
    write_outputs(result, folder)
    return folder


@pytest.mark.slow
@pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftoppm, pdftotext) not installed")
def test_gera_year_report_pdf_reads_as_promised(gera_year: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    res = CliRunner().invoke(energy_cli, ["report", str(gera_year), "--out", str(pdf)])
    assert res.exit_code == 0, res.output
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    flat = re.sub(r"\s+", " ", text)
    schedule = load_run(gera_year).schedule
    share = (
        1.0 - schedule["p_import_kw"].sum() / (schedule["load_kw"] + schedule["lighting_kw"]).sum()
    )
    assert f"Das Quartier deckt {round(100 * share)} % seines Stroms selbst." in flat
    page1 = flat.split("Seite 1")[0]
    assert "einfacher Sprache" in page1 and "Vergleich B1" in page1
    needed = (
        *COMPARISON_LABELS.values(),
        "Deutscher Wetterdienst",
        "SMARD",
        "CC-BY-4.0",
        "365 Tage",
    )
    for needed_text in needed:
        assert needed_text in flat, needed_text
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("page-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(ARTIFACTS / "page")], check=True)
    pages = sorted(ARTIFACTS.glob("page-*.png"))
    assert len(pages) >= 5
    assert all(
        p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 5000 for p in pages
    )
    shutil.copy(pdf, ARTIFACTS / "report.pdf")


def test_report_refuses_a_wrong_suffix_and_a_foreign_district(
    gera_year: Path, tmp_path: Path
) -> None:
    res = CliRunner().invoke(
        energy_cli, ["report", str(gera_year), "--out", str(tmp_path / "r.txt")]
    )
    assert res.exit_code == 1 and "--out" in res.output and ".txt" in res.output
    other = tmp_path / "other.yaml"
    other.write_text(
        GERA_DISTRICT_FILE.read_text().replace("name: Gera Smart Quarter", "name: Elsewhere", 1)
    )
    res = CliRunner().invoke(
        energy_cli,
        ["report", str(gera_year), "--district", str(other), "--out", str(tmp_path / "r.html")],
    )
    assert res.exit_code == 1 and "spec hash" in res.output
