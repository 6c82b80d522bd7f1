"""Every export of a run on the shipped data names its data sources (issue 10, item 4).

A run of the shipped Gera district reads the DWD test reference year
(attribution "Datenbasis: Deutscher Wetterdienst") and the SMARD day-ahead
prices ("Bundesnetzagentur | SMARD.de"), both CC-BY-4.0 (data/datapackage.json).
Every channel a user can take a run's results out by must name both with
their licence on one line: the API's JSON (``/results``, schedule, node power,
savings, compare, sweep summary, sizing) and CSV exports (``#`` header lines),
the sweep heat map SVG (``<metadata>``), the CLI's ``--json`` output of
``optimise``, ``savings``, ``compare``, ``sweep``, ``size`` and ``annual``, its
CSV (``savings --csv``) and the files it writes (``schedule.csv``,
``kpis.json``, ``comparison.csv``/``.json``, ``sweep.csv``/``.json``, the
heat map SVGs).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from api.jobs import Outcome
from energy.cli.main import app as energy_cli
from energy.district import GERA_DISTRICT_FILE, load_district
from energy.report.exports import column_unit
from tests.api.test_savings_api import real_world

#: The attribution texts the two licences ask for, and the licence both carry.
ATTRIBUTIONS = ("Deutscher Wetterdienst", "Bundesnetzagentur | SMARD.de")
LICENCE = "CC-BY-4.0"
ONE_DAY = {"start": "2025-06-02", "days": 1}
CLI_DAY = ["--start", "2025-06-02", "--days", "1"]


def _strings(value: Any) -> Iterator[str]:
    """Every string inside JSON data (keys excluded)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _json_lines(data: Any) -> list[str]:
    """The lines of a JSON export's ``data_licences`` (wherever it is nested)."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "data_licences":
                    found.extend(_strings(item))
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(data)
    return found


def _csv_lines(text: str) -> list[str]:
    """The ``#`` header lines of a CSV export."""
    return [line for line in text.splitlines() if line.startswith("#")]


def _svg_lines(text: str) -> list[str]:
    """The lines of an SVG's ``<metadata>``."""
    meta = ET.fromstring(text).find("{http://www.w3.org/2000/svg}metadata")
    assert meta is not None and meta.text
    return meta.text.splitlines()


def _cli_json(args: list[str]) -> Any:
    res = CliRunner().invoke(energy_cli, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout[res.stdout.index("{") :])


def _api_channels(channels: dict[str, list[str]]) -> None:
    """Read every export of one API run, a sweep and a sizing of the Gera district."""
    gera = load_district(GERA_DISTRICT_FILE)
    with real_world() as real:
        world, h = real.world, real.world.h("planner_a")
        c = world.client
        district = world.create_district(spec=gera.to_dict(), name="Gera")
        run = real.run(district, options=ONE_DAY | {"ac_check": True})
        results = c.get(f"/runs/{run}/results", headers=h).json()
        channels["/results"] = _json_lines(results)
        channels["/results data_sources"] = [
            f"{', '.join(s['licences'])}: {s['attribution']}" for s in results["data_sources"]
        ]
        channels["/results metadata"] = results["metadata"]["data_licences"]
        for path in ("schedule", "node-power", "savings"):
            url = f"/runs/{run}/{path}"
            channels[f"{path} JSON"] = _json_lines(c.get(url, headers=h).json())
            csv = c.get(url, params={"format": "csv"}, headers=h)
            assert csv.status_code == 200, csv.text
            channels[f"{path} CSV"] = _csv_lines(csv.text)
        compared = c.get("/compare", params={"runs": str(run)}, headers=h)
        channels["/compare"] = _json_lines(compared.json())
        compared_csv = c.get("/compare", params={"runs": str(run), "format": "csv"}, headers=h)
        channels["/compare CSV"] = _csv_lines(compared_csv.text)

        sid = world.create_scenario(district, options=ONE_DAY | {"ac_check": False})
        grid = {"pv_kwp_added": [0, 10], "battery_kwh_added": [0]}
        sweep = c.post(f"/scenarios/{sid}/sweeps", json={"grid": grid}, headers=h).json()
        sizing = c.post(f"/scenarios/{sid}/sizing", json={"battery_kwh_max": 200}, headers=h).json()
        assert real.executor.drain() == [Outcome.succeeded] * 3
        url = f"/sweeps/{sweep['id']}"
        channels["/sweeps summary"] = _json_lines(c.get(url, headers=h).json()["summary"])
        channels["/sweeps CSV"] = _csv_lines(c.get(url, params={"format": "csv"}, headers=h).text)
        svg = c.get(f"{url}/heatmap.svg", params={"metric": "npv_eur"}, headers=h)
        channels["/sweeps heatmap.svg"] = _svg_lines(svg.text)
        done = c.get(f"/sizing/{sizing['id']}", headers=h).json()
        channels["/sizing"] = _json_lines(done["result"])


def _cli_channels(channels: dict[str, list[str]], tmp: Path) -> None:
    """Read every CLI export of the Gera district: JSON on stdout, CSV, written files."""
    gera = str(GERA_DISTRICT_FILE)
    folder = tmp / "run"
    channels["energy optimise --json"] = _json_lines(
        _cli_json(["optimise", gera, *CLI_DAY, "--no-ac-check", "--json", "--out", str(folder)])
    )
    channels["run folder kpis.json"] = _json_lines(
        json.loads((folder / "kpis.json").read_text(encoding="utf-8"))
    )
    channels["run folder schedule.csv"] = _csv_lines((folder / "schedule.csv").read_text())
    channels["energy savings --json"] = _json_lines(_cli_json(["savings", str(folder), "--json"]))
    res = CliRunner().invoke(energy_cli, ["savings", str(folder), "--csv"])
    assert res.exit_code == 0, res.output
    channels["energy savings --csv"] = _csv_lines(res.stdout)

    out = tmp / "compare"
    channels["energy compare --json"] = _json_lines(
        _cli_json(["compare", gera, *CLI_DAY, "--json", "--out", str(out)])
    )
    channels["comparison.csv"] = _csv_lines((out / "comparison.csv").read_text())
    channels["comparison.json"] = _json_lines(json.loads((out / "comparison.json").read_text()))

    out = tmp / "sweep"
    sweep = ["sweep", gera, *CLI_DAY, "--pv-kwp", "0,10", "--workers", "1"]
    channels["energy sweep --json"] = _json_lines(_cli_json([*sweep, "--json", "--out", str(out)]))
    channels["sweep.csv"] = _csv_lines((out / "sweep.csv").read_text())
    for table in (out / "sweep.csv", folder / "schedule.csv"):  # units in every column name
        frame = pd.read_csv(table, comment="#")
        numeric = frame.select_dtypes("number").columns
        assert [c for c in numeric if column_unit(c) is None] == [], table
    channels["sweep.json"] = _json_lines(json.loads((out / "sweep.json").read_text()))
    svgs = sorted(out.glob("*.svg"))
    assert svgs, sorted(p.name for p in out.iterdir())
    for svg in svgs:
        channels[svg.name] = _svg_lines(svg.read_text())

    channels["energy size --json"] = _json_lines(
        _cli_json(["size", gera, *CLI_DAY, "--battery-kwh-max", "200", "--json"])
    )
    channels["energy annual --json"] = _json_lines(
        _cli_json(["annual", gera, "--typical-days", "1", "--json"])
    )


@pytest.mark.slow
def test_every_export_names_dwd_and_smard_with_cc_by(tmp_path: Path) -> None:
    channels: dict[str, list[str]] = {}
    _api_channels(channels)
    _cli_channels(channels, tmp_path)
    for name, lines in channels.items():
        for who in ATTRIBUTIONS:
            named = [line for line in lines if who in line]
            assert named, f"{name} does not name {who!r}: {lines}"
            assert all(LICENCE in line for line in named), (name, named)
    # the weather line names the file the run read, the prices line its file
    (weather,) = {line for line in channels["/results"] if ATTRIBUTIONS[0] in line}
    assert "weather: data/weather/TRY2015_Chemnitz_region09_Jahr.dat" in weather
    (prices,) = {line for line in channels["/results"] if ATTRIBUTIONS[1] in line}
    assert "day_ahead: data/prices/smard_dayahead_2023_2024_hourly.csv" in prices
