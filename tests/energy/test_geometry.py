"""Buildings with geometry (issue 14, item 1): roofs by hand, the shipped example, bad input.

References: a rectangle's roof is worked out by hand (area / cos(tilt), the
face looking south); the shipped block's distances along its streets are read
off the drawing (substation at 5 m east, 10 m north of the block origin; the
Ringstraße 10 m north of it, the Quartiersallee 5 m west of it); a footprint
given in ETRS89 / UTM 33N (EPSG:25833) must keep its area after the
transformation to WGS 84 and back to metres.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import Polygon
from typer.testing import CliRunner

from energy.analysis.council import council_inputs
from energy.cli.main import app as energy_cli
from energy.district import DATA_DIR, load_district
from energy.errors import InputDataError
from energy.geometry import MAX_FEATURES, district_geojson, import_geojson, read_geojson, roof_of
from energy.report.charts import map_svg
from energy.scenario import ScenarioOptions, run_scenario

EXAMPLE = DATA_DIR / "geometry" / "gera_block.geojson"


def test_pitched_roof_by_hand() -> None:
    """20 m east-west x 10 m: ridge east-west, faces south and north, 35 deg."""
    roof = roof_of(Polygon([(0, 0), (20, 0), (20, 10), (0, 10)]), pitched=True, tilt_deg=35.0)
    assert roof["area_m2"] == pytest.approx(200.0 / math.cos(math.radians(35.0)))  # 244.15 m2
    assert roof["pv_azimuth_deg"] == 180.0
    assert roof["pv_area_m2"] == pytest.approx(0.6 * 244.15 / 2, rel=1e-4)
    # turned by 90 deg the faces look east and west
    turned = roof_of(Polygon([(0, 0), (10, 0), (10, 20), (0, 20)]), pitched=True, tilt_deg=35.0)
    assert turned["pv_azimuth_deg"] in (90.0, 270.0)
    # turned by 30 deg clockwise (ridge bearing 120 deg) the PV face looks to 210 deg
    c, s = math.cos(math.radians(-30)), math.sin(math.radians(-30))
    rotated = Polygon(
        [(x * c - y * s, x * s + y * c) for x, y in [(0, 0), (20, 0), (20, 10), (0, 10)]]
    )
    assert roof_of(rotated, pitched=True, tilt_deg=35.0)["pv_azimuth_deg"] == pytest.approx(210.0)
    flat = roof_of(Polygon([(0, 0), (20, 0), (20, 10), (0, 10)]), pitched=False, tilt_deg=35.0)
    assert (flat["area_m2"], flat["pv_area_m2"], flat["pv_tilt_deg"]) == pytest.approx(
        (200.0, 80.0, 15.0)
    )


def test_shipped_block_imports_with_roofs_feeders_and_a_run(tmp_path: Path) -> None:
    district = read_geojson(EXAMPLE, name="Gera block", pv=True)
    geo = district.geometry
    assert geo is not None and not geo.substation_assumed
    assert len(district.buildings) == 8 and len(geo.buildings) == 8
    by_address = {
        g.address: (b, g) for b, g in zip(district.buildings, geo.buildings.values(), strict=True)
    }
    block, block_geo = by_address["Ringstraße 3"]  # 60 m x 12 m, 5 storeys, flat roof
    assert block_geo.footprint_m2 == pytest.approx(720.0, rel=5e-3)
    assert block_geo.roof.shape == "flat" and block_geo.roof.area_m2 == pytest.approx(
        720.0, rel=5e-3
    )
    flats = round(720 * 5 * 0.8 / 70)  # 41 flats at 70 m2 net floor area each
    assert block.households == flats and block.annual_kwh == pytest.approx(flats * 2200.0)
    assert block.distance_m == pytest.approx(10.0 + 40.0, abs=0.5)  # 10 m to the street, 40 m along
    house, house_geo = by_address["Quartiersallee 2"]  # 10 m x 8 m gabled, ridge east-west
    assert house_geo.roof.area_m2 == pytest.approx(80.0 / math.cos(math.radians(35)), rel=5e-3)
    assert house_geo.roof.pv_azimuth_deg == pytest.approx(180.0, abs=0.5)
    assert house.distance_m == pytest.approx(5.0 + 46.0, abs=0.5)
    assert {f.description for f in district.grid.feeders} == {"Ringstraße", "Quartiersallee"}
    assert len(district.grid.feeders) == 3  # the Ringstraße leaves the substation both ways
    assert len(district.pv) == 8 and district.total_kwp > 300
    # a run on it, and its map draws every building
    result = run_scenario(district, ScenarioOptions(start="2025-06-02", days=1))
    assert result.kpis["optimised"]["e_generation_kwh"] > 0 and result.grid is not None
    svg = map_svg(council_inputs(result, district).grid_map or {}, "map")
    assert svg.count("<polygon") == 8 and "Ringstraße" in svg


def test_cli_import_writes_a_district_file(tmp_path: Path) -> None:
    out = tmp_path / "block.yaml"
    res = CliRunner().invoke(
        energy_cli, ["district", "import-geojson", str(EXAMPLE), "--out", str(out), "--json"]
    )
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["buildings"] == 8 and summary["feeders"] == 3
    loaded = load_district(out)
    assert loaded.geometry is not None and len(loaded.geometry.buildings) == 8
    assert summary["roof_area_m2"] == pytest.approx(
        sum(g.roof.area_m2 for g in loaded.geometry.buildings.values())
    )
    assert len(district_geojson(loaded)["features"]) == 8 + 3 + 1


def _square(x: float, y: float, d: float) -> list[list[list[float]]]:
    return [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]


def _collection(*features: dict[str, Any], crs: str | None = None) -> dict[str, Any]:
    street = {
        "type": "Feature",
        "id": "s",
        "properties": {"highway": "residential", "name": "A"},
        "geometry": {"type": "LineString", "coordinates": [[12.0795, 50.8801], [12.0805, 50.8801]]},
    }
    data: dict[str, Any] = {"type": "FeatureCollection", "features": [*features, street]}
    if crs:
        data["crs"] = {"type": "name", "properties": {"name": crs}}
    return data


def _house(fid: str, coords: Any, **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": fid,
        "properties": {"building": "house", **props},
        "geometry": {"type": "Polygon", "coordinates": coords},
    }


def test_bad_input_names_the_feature_and_field_and_imports_nothing() -> None:
    good = _house("good", _square(12.08, 50.88, 0.0001))
    bowtie = _house(
        "way/2",
        [[[12.08, 50.88], [12.0801, 50.8801], [12.0801, 50.88], [12.08, 50.8801], [12.08, 50.88]]],
    )
    untyped = {**_house("way/3", _square(12.081, 50.88, 0.0001)), "properties": {"name": "x"}}
    with pytest.raises(InputDataError) as err:
        import_geojson(_collection(good, bowtie, untyped))
    text = str(err.value)
    assert "nothing imported" in text
    assert "features[1] (id 'way/2'): geometry: invalid: Self-intersection" in text
    assert "features[2] (id 'way/3'): properties.building: missing" in text
    assert "features[0]" not in text  # the good one is fine, but not imported alone
    utm = _house("utm", _square(700000.0, 5640000.0, 20.0))
    with pytest.raises(
        InputDataError, match=r"features\[0\] \(id 'utm'\): geometry.coordinates: .*declare the CRS"
    ):
        import_geojson(_collection(utm))
    many = _collection(*[copy.deepcopy(good) for _ in range(MAX_FEATURES)])
    with pytest.raises(
        InputDataError,
        match=f"{MAX_FEATURES + 1} features; one import takes at most {MAX_FEATURES}",
    ):
        import_geojson(many)
    levels = _house("lv", _square(12.08, 50.88, 0.0001), **{"building:levels": "many"})
    with pytest.raises(InputDataError, match=r"\(id 'lv'\): properties.building:levels: 'many'"):
        import_geojson(_collection(levels))
    no_lines = {"type": "FeatureCollection", "features": [good]}
    with pytest.raises(InputDataError, match="no feeder lines"):
        import_geojson(no_lines)


def test_a_declared_utm_crs_is_transformed_and_keeps_the_area() -> None:
    """A 20 m x 10 m footprint in EPSG:25833 near Gera stays 200 m2 (and so its roof)."""
    x, y = 290_000.0, 5_640_000.0  # ETRS89 / UTM 33N, about 50.87 N, 12.05 E (Gera)
    house = _house("utm", [[[x, y], [x + 20, y], [x + 20, y + 10], [x, y + 10], [x, y]]])
    street = {
        "type": "Feature",
        "id": "s",
        "properties": {"highway": "residential"},
        "geometry": {"type": "LineString", "coordinates": [[x - 50, y - 20], [x + 70, y - 20]]},
    }
    data = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "EPSG:25833"}},
        "features": [house, street],
    }
    district = import_geojson(data)
    assert district.geometry is not None
    (geo,) = district.geometry.buildings.values()
    assert geo.footprint_m2 == pytest.approx(200.0, rel=2e-3)  # UTM scale factor 0.9996..1.0004
    lon, lat = geo.footprint[0]
    assert 12.0 < lon < 12.3 and 50.8 < lat < 51.0
    # no substation given: placed at the footprint's centroid, 5 + 20 m from the street
    assert district.geometry.substation_assumed
    assert district.buildings[0].distance_m == pytest.approx(25.0, abs=0.5)
