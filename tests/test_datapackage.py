"""data/datapackage.json: a Frictionless Data Package that lists every shipped data file.

Checks follow the Data Package spec (https://specs.frictionlessdata.io/data-package/):
required package and resource properties, licences and sources on every resource,
every path present, every file under data/ listed, and declared sizes/hashes that
match the files (computed here with hashlib, independently of whoever wrote them).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

# Frictionless resource/package names: lowercase alphanumerics and . _ - only.
NAME = re.compile(r"^[a-z0-9._-]+$")
NOT_LISTED = {"datapackage.json", "README.md"}


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    assert not twice, f"datapackage.json: keys given twice in one object: {twice}"
    return dict(pairs)


@pytest.fixture(scope="module")
def package(data_dir: Path) -> dict[str, Any]:
    text = (data_dir / "datapackage.json").read_text(encoding="utf-8")
    return json.loads(text, object_pairs_hook=_refuse_duplicate_keys)


def test_package_properties(package: dict[str, Any]) -> None:
    assert NAME.match(package["name"])
    assert package["title"]
    assert package["licenses"] and all(lic["name"] for lic in package["licenses"])
    assert package["sources"] and all(src["title"] for src in package["sources"])
    names = [r["name"] for r in package["resources"]]
    assert len(names) == len(set(names)), "resource names must be unique"


def test_every_resource_is_complete(package: dict[str, Any], data_dir: Path) -> None:
    for res in package["resources"]:
        where = res.get("name", res.get("path"))
        for key in ("name", "path", "format", "mediatype", "description"):
            assert res.get(key), f"{where}: {key} is missing"
        assert NAME.match(res["name"]), f"{where}: bad name"
        assert not Path(res["path"]).is_absolute() and ".." not in Path(res["path"]).parts
        assert (data_dir / res["path"]).is_file(), f"{where}: {res['path']} does not exist"
        assert res["licenses"], f"{where}: no licence"
        for lic in res["licenses"]:
            assert lic["name"] and lic["title"] and lic["path"], f"{where}: licence {lic}"
        assert res["sources"], f"{where}: no source"
        for src in res["sources"]:
            assert src["title"] and src["path"], f"{where}: source {src}"


def test_every_data_file_is_listed(package: dict[str, Any], data_dir: Path) -> None:
    listed = [r["path"] for r in package["resources"]]
    assert len(listed) == len(set(listed)), "a file is listed twice"
    on_disk = {
        p.relative_to(data_dir).as_posix()
        for p in data_dir.rglob("*")
        if p.is_file() and p.name not in NOT_LISTED and "__pycache__" not in p.parts
    }
    missing = sorted(on_disk - set(listed))
    assert not missing, f"files under data/ not in datapackage.json: {missing}"


def test_declared_sizes_and_hashes_match(package: dict[str, Any], data_dir: Path) -> None:
    checked = 0
    for res in package["resources"]:
        if "hash" not in res:
            continue
        blob = (data_dir / res["path"]).read_bytes()
        algorithm, _, digest = res["hash"].partition(":")
        assert algorithm == "sha256"
        assert hashlib.sha256(blob).hexdigest() == digest, res["path"]
        assert res["bytes"] == len(blob), res["path"]
        checked += 1
    # The ten third-party files carry a hash (six TRY files, SMARD prices, three
    # reference files; our own gera/ files change, so they don't).
    assert checked == 10


def test_every_resource_names_its_attribution(package: dict[str, Any]) -> None:
    """Exports name each data file by this text (energy.report.exports.data_sources)."""
    for res in package["resources"]:
        assert res.get("attribution"), f"{res['name']}: no attribution"
    weather, prices = (
        next(r for r in package["resources"] if r["path"].startswith(prefix))
        for prefix in ("weather/TRY2015", "prices/smard")
    )
    assert "Deutscher Wetterdienst" in weather["attribution"]
    assert prices["attribution"] == "Bundesnetzagentur | SMARD.de"
    for res in (weather, prices):
        assert "CC-BY-4.0" in [lic["name"] for lic in res["licenses"]]
    # the TRY files come through HiSim, whose MIT licence covers its code, not DWD data
    for res in package["resources"]:
        if res["path"].startswith("weather/TRY"):
            assert "MIT" not in [lic["name"] for lic in res["licenses"]], res["path"]


def test_smard_schema_matches_the_header(package: dict[str, Any], data_dir: Path) -> None:
    res = next(r for r in package["resources"] if r["path"].startswith("prices/smard"))
    with (data_dir / res["path"]).open(encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh, delimiter=res["dialect"]["delimiter"]))
    assert [f["name"] for f in res["schema"]["fields"]] == header
    assert res["schema"]["missingValues"] == ["-"]
    assert all(f["decimalChar"] == "," for f in res["schema"]["fields"][2:])
