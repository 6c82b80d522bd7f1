"""Heat-map SVGs: structure, values written in the cells, colour classes, contrast, words.

Every expected class below is worked out by hand from the equal-interval rule
of :mod:`energy.report.colours` (class = floor((v - lo) / (hi - lo) x n), the top
edge in the last class); contrast against the WCAG 2.1 formula checked on
published values first.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from energy.errors import InputDataError
from energy.report.colours import DIVERGING, MISSING_LINE, SEQUENTIAL, TEXT_COLOURS, contrast_ratio
from energy.report.exports import export_info
from energy.report.heatmap import format_number, heatmap_svg
from energy.report.sweep_heatmap import sweep_heatmap_svg
from energy.studies.sweep import SweepResult

NS = {"s": "http://www.w3.org/2000/svg"}


def _grid(values: list[list[float]]) -> pd.DataFrame:
    return pd.DataFrame(
        values,
        index=pd.Index([0.0, 10.0], name="pv_kwp_added"),
        columns=pd.Index([0.0, 20.0], name="battery_kwh_added"),
    )


def _cells(svg: str) -> dict[tuple[int, int], ET.Element]:
    root = ET.fromstring(svg)
    return {
        (int(g.get("data-row", -1)), int(g.get("data-col", -1))): g
        for g in root.iterfind(".//s:g[@class='cell']", NS)
    }


def _fill(cell: ET.Element) -> str:
    rect = cell.find("s:rect", NS)
    assert rect is not None
    return str(rect.get("fill"))


def _text(cell: ET.Element) -> ET.Element:
    text = cell.find("s:text", NS)
    assert text is not None
    return text


def test_contrast_formula_against_published_values() -> None:
    # black on white is 21:1 (WCAG 2.1, definition of contrast ratio); #767676 is the
    # lightest grey passing 4.5:1 on white (4.54:1) and #777777 fails (4.48:1)
    # (WebAIM contrast checker, https://webaim.org/resources/contrastchecker/)
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0, abs=1e-9)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0, abs=1e-12)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.005)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.005)
    with pytest.raises(InputDataError, match="colour"):
        contrast_ratio("red", "#ffffff")


@pytest.mark.parametrize("colour", [*SEQUENTIAL, *DIVERGING, MISSING_LINE])
def test_colours_meet_wcag(colour: str) -> None:
    # graphics against the white background: 3:1 (WCAG 2.1 SC 1.4.11)
    assert contrast_ratio(colour, "#ffffff") >= 3.0
    # the value written in a cell: the better of black and white reaches 4.5:1 (SC 1.4.3)
    assert max(contrast_ratio(t, colour) for t in TEXT_COLOURS) >= 4.5


def test_a_sequential_2x2_grid_with_a_missing_value() -> None:
    grid = _grid([[0.1, 0.25], [0.4, math.nan]])
    svg = heatmap_svg(grid, "Autarky", "%", "Battery [kWh]", "PV [kWp]", "{:.2f}")
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    title, desc = root.find("s:title", NS), root.find("s:desc", NS)
    assert title is not None and title.text == "Autarky"
    assert desc is not None and desc.text and "1 without a value" in desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert "style" not in svg  # presentation attributes only (a strict CSP may inline it)
    cells = _cells(svg)
    assert sorted(cells) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    for (i, j), cell in cells.items():
        v = float(grid.iloc[i, j])
        t = cell.find("s:title", NS)
        assert t is not None and t.text
        if math.isnan(v):
            assert _text(cell).text == "–" and cell.get("data-missing") == "true"
            assert "data-value" not in cell.attrib
            assert t.text.endswith("– %")
        else:
            assert _text(cell).text == f"{v:.2f}"
            assert float(cell.get("data-value", "nan")) == v
            where = f"PV [kWp] {grid.index[i]:g}, Battery [kWh] {grid.columns[j]:g}"
            assert t.text == f"{where}: {v:.2f} %"
    # five classes of (0.4 - 0.1) / 5 = 0.06 from 0.1: 0.1 -> 0, 0.25 -> floor(2.5) = 2,
    # the largest value 0.4 -> the scale's end colour
    assert _fill(cells[0, 0]) == SEQUENTIAL[0]
    assert _fill(cells[0, 1]) == SEQUENTIAL[2]
    assert _fill(cells[1, 0]) == SEQUENTIAL[-1]
    # the missing cell: hatched by a grey pattern defined in the picture
    pattern_id = _fill(cells[1, 1]).removeprefix("url(#").removesuffix(")")
    pattern = root.find(f".//s:pattern[@id='{pattern_id}']", NS)
    assert pattern is not None
    assert [ln.get("stroke") for ln in pattern.iterfind("s:line", NS)] == [MISSING_LINE]
    # the text colour contrasts most with its cell
    for key in ((0, 0), (0, 1), (1, 0)):
        fill, ink = _fill(cells[key]), str(_text(cells[key]).get("fill"))
        assert contrast_ratio(ink, fill) == max(contrast_ratio(c, fill) for c in TEXT_COLOURS)
    # rows grow upwards: PV 10 kWp is drawn above PV 0
    y = {i: float(str(cells[i, 0].find("s:rect", NS).get("y"))) for i in (0, 1)}  # type: ignore[union-attr]
    assert y[1] < y[0]
    # legend: five classes and the missing entry, the class ranges written out
    items = root.findall(".//s:g[@class='legend-item']", NS)
    labels = [it.find("s:text", NS).text for it in items]  # type: ignore[union-attr]
    assert len(items) == 6 and labels[-1] == "no value"
    assert labels[0] == "0.34 – 0.40 %" and labels[4] == "0.10 – 0.16 %"


def test_a_diverging_grid_is_centred_on_zero() -> None:
    # m = 1000, seven classes of 2000 / 7 from -1000: 0 -> floor(3.5) = 3 (grey middle),
    # -500 -> floor(1.75) = 1, 250 -> floor(4.375) = 4, 1000 -> the end colour
    grid = _grid([[0.0, -500.0], [1000.0, 250.0]])
    svg = heatmap_svg(grid, "NPV", "EUR", "x", "y", "{:.0f}", scale="diverging")
    cells = _cells(svg)
    assert [_fill(cells[k]) for k in ((0, 0), (0, 1), (1, 0), (1, 1))] == [
        DIVERGING[3],
        DIVERGING[1],
        DIVERGING[-1],
        DIVERGING[4],
    ]
    assert [_text(cells[k]).text for k in ((0, 0), (0, 1), (1, 0), (1, 1))] == [
        "0",
        "-500",
        "1000",
        "250",
    ]
    # all values alike: sequential in its end class, diverging in its middle
    flat = _grid([[0.0, 0.0], [0.0, 0.0]])
    assert {_fill(c) for c in _cells(heatmap_svg(flat, "t", "", "x", "y")).values()} == {
        SEQUENTIAL[-1]
    }
    diverging = heatmap_svg(flat, "t", "", "x", "y", scale="diverging")
    assert {_fill(c) for c in _cells(diverging).values()} == {DIVERGING[3]}


def test_text_is_escaped_and_bad_input_refused() -> None:
    grid = _grid([[1.0, 2.0], [3.0, 4.0]])
    svg = heatmap_svg(grid, "<script>&", "", "x", "y", credit='a "b" <c>')
    root = ET.fromstring(svg)  # still well-formed
    assert root.find("s:title", NS).text == "<script>&"  # type: ignore[union-attr]
    assert not root.findall(".//s:script", NS)
    with pytest.raises(InputDataError, match="id_prefix"):
        heatmap_svg(grid, "t", "", "x", "y", id_prefix="1 bad")
    with pytest.raises(InputDataError, match="grid"):
        heatmap_svg(grid.iloc[:0], "t", "", "x", "y")
    with pytest.raises(InputDataError, match="scale"):
        heatmap_svg(grid, "t", "", "x", "y", scale="rainbow")  # type: ignore[arg-type]


def test_format_number() -> None:
    assert format_number(1234.5, 1) == "1,234.5"
    assert format_number(1234.5, 1, "de") == "1.234,5"
    assert format_number(-12345.6, 0, "de") == "-12.346"
    assert format_number(-0.04, 1) == "0.0"  # rounds to zero: no minus sign


INFO = export_info({"district": {"name": "Test", "spec_hash": "abc"}}, source="hand-made")


TWO_BY_TWO = [
    {"pv_kwp_added": 0.0, "battery_kwh_added": 0.0, "self_sufficiency": 0.1, "npv_eur": 0.0},
    {"pv_kwp_added": 0.0, "battery_kwh_added": 40.0, "self_sufficiency": 0.15, "npv_eur": -8000.0},
    {"pv_kwp_added": 20.0, "battery_kwh_added": 0.0, "self_sufficiency": 0.3, "npv_eur": 12345.6},
    {"pv_kwp_added": 20.0, "battery_kwh_added": 40.0, "self_sufficiency": 0.4, "npv_eur": 2000.0},
]


def test_sweep_heat_maps_in_german() -> None:
    sweep = (pd.DataFrame(TWO_BY_TWO), ["pv_kwp_added", "battery_kwh_added"])
    auto = sweep_heatmap_svg(*sweep, "self_sufficiency", INFO, lang="de")
    npv = sweep_heatmap_svg(*sweep, "npv_eur", INFO, lang="de")
    root = ET.fromstring(auto)
    assert root.find("s:title", NS).text == "Autarkie je zusätzlicher PV und Batterie"  # type: ignore[union-attr]
    desc = root.find("s:desc", NS).text  # type: ignore[union-attr]
    assert desc is not None and "Höchster Wert 40,0 % bei zusätzliche PV [kWp] 20" in desc
    meta = root.find("s:metadata", NS).text  # type: ignore[union-attr]
    assert meta is not None and meta.startswith("licence: CC-BY-4.0")
    # fractions shown in percent with a decimal comma; NPV in whole euros with a dot
    assert {k: _text(c).text for k, c in _cells(auto).items()} == {
        (0, 0): "10,0",
        (0, 1): "15,0",
        (1, 0): "30,0",
        (1, 1): "40,0",
    }
    npv_cells = _cells(npv)
    assert _text(npv_cells[1, 0]).text == "12.346" and _text(npv_cells[0, 1]).text == "-8.000"
    assert float(npv_cells[1, 0].get("data-value", "nan")) == 12345.6  # the raw value
    assert _fill(npv_cells[1, 0]) == DIVERGING[-1] and _fill(npv_cells[0, 0]) == DIVERGING[3]
    # two pictures on one page: no id in common
    ids = [{e.get("id") for e in ET.fromstring(s).iter() if e.get("id")} for s in (auto, npv)]
    assert ids[0] and not ids[0] & ids[1]
    with pytest.raises(InputDataError, match="metric"):
        sweep_heatmap_svg(*sweep, "cost_eur", INFO)


def test_a_one_parameter_sweep_has_one_column() -> None:
    rows = [
        {"pv_kwp_added": v, "self_sufficiency": s, "npv_eur": n}
        for v, s, n in ((0.0, 0.1, 0.0), (10.0, np.nan, 50.0), (20.0, 0.3, -20.0))
    ]
    svg = sweep_heatmap_svg(pd.DataFrame(rows), ["pv_kwp_added"], "self_sufficiency", INFO)
    cells = _cells(svg)
    assert sorted(cells) == [(0, 0), (1, 0), (2, 0)]
    assert _text(cells[1, 0]).text == "–" and _fill(cells[2, 0]) == SEQUENTIAL[-1]


def test_sweep_result_writes_both_pictures(tmp_path: Path) -> None:
    sweep = SweepResult(
        table=pd.DataFrame(TWO_BY_TWO),
        parameters=["pv_kwp_added", "battery_kwh_added"],
        reference={},
        info=INFO,
    )
    paths = sweep.write(tmp_path)
    for metric in ("self_sufficiency", "npv_eur"):
        path = tmp_path / f"heatmap_{metric}.svg"
        assert path in paths
        root = ET.fromstring(path.read_text(encoding="utf-8"))
        assert root.get("data-rows") == root.get("data-cols") == "2"
        assert len(_cells(path.read_text(encoding="utf-8"))) == 4
