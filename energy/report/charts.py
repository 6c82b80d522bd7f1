"""Pictures of the council report as self-contained SVG: bars of savings by month, a map.

* :func:`bars_svg` draws a table (rows = periods, columns = series, e.g. the
  savings sources ``pv``, ``battery``, ``lighting``) as grouped bars about a
  zero line, so negative values (a source that costs more in a month) hang
  below it; every bar carries a ``<title>`` with its value.
* :func:`map_svg` draws a GeoJSON FeatureCollection (RFC 7946, WGS 84
  ``[lon, lat]``): polygons (building footprints) filled, line strings
  (cables, the transformer) stroked, points (buses) as dots. Coordinates are
  projected equirectangularly about the collection's mean latitude (x =
  lon cos(lat0), y = lat), which is exact enough for a quarter of a few
  hundred metres (the scale error over 1 km is below 0.01 %). Elements named
  in ``highlight`` are drawn thick in the warning colour and listed in the
  legend; feeders (``element_type = feeder``) carry their street name.

Both are ``<svg role="img">`` named by ``<title>`` and ``<desc>`` and use
presentation attributes only (no ``style``), as :mod:`energy.report.heatmap`.
Text is at least 14 px at the drawn size. Renderers take plain data; they never
run a model.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from energy.errors import InputDataError
from energy.report.colours import INK
from energy.report.heatmap import FONT_FAMILY

#: Colours of the bar series in order (each >= 3:1 against white, WCAG 1.4.11).
SERIES_COLOURS = ("#a8520a", "#23709c", "#2f7d4f", "#6b3204", "#1f2f70")
#: Map colours: building fill and outline, cables, buses, highlighted elements.
BUILDING_FILL, BUILDING_LINE = "#d9d4c7", "#6b6257"
CABLE, BUS, WARNING = "#23709c", "#1a1f24", "#b3261e"
#: Font size of all text [px].
FONT_PX = 14


def _svg(width: int, height: int, title: str, desc: str, ids: str) -> ET.Element:
    root = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "width": str(width),
            "height": str(height),
            "viewBox": f"0 0 {width} {height}",
            "role": "img",
            "aria-labelledby": f"{ids}-t {ids}-d",
            "font-family": FONT_FAMILY,
            "font-size": str(FONT_PX),
        },
    )
    ET.SubElement(root, "title", {"id": f"{ids}-t"}).text = title
    ET.SubElement(root, "desc", {"id": f"{ids}-d"}).text = desc
    ET.SubElement(root, "rect", {"width": str(width), "height": str(height), "fill": "#ffffff"})
    return root


def _text(parent: ET.Element, x: float, y: float, text: str, **attrs: str) -> None:
    ET.SubElement(
        parent, "text", {"x": f"{x:.1f}", "y": f"{y:.1f}", "fill": INK, **attrs}
    ).text = text


def _nice_step(span: float) -> float:
    """Return a round axis step (1, 2 or 5 times a power of ten) giving about five ticks."""
    raw = span / 5.0 if span > 0 else 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1.0, 2.0, 5.0, 10.0) if m * power >= raw)


def bars_svg(
    table: pd.DataFrame,
    title: str,
    unit: str,
    labels: Mapping[str, str] | None = None,
    number: Any = None,
    width: int = 720,
    height: int = 320,
) -> str:
    """Draw ``table`` (rows = categories such as months, columns = series) as grouped bars.

    Parameters
    ----------
    table
        Finite numbers; the index gives the category labels, the columns the
        series (at most :data:`SERIES_COLOURS` of them).
    title, unit
        Title of the picture and unit of the values (written on the axis).
    labels
        Series name -> legend text (default the column names).
    number
        ``f(value) -> str`` for tick and tooltip numbers (default ``f"{v:,.0f}"``).
    width, height
        Drawn size [px].

    Returns
    -------
    str
        SVG text.
    """
    values = table.to_numpy(dtype=float)
    if table.empty or not np.isfinite(values).all():
        raise InputDataError(f"bars: {title!r} needs a non-empty table of finite numbers")
    if len(table.columns) > len(SERIES_COLOURS):
        raise InputDataError(
            f"bars: at most {len(SERIES_COLOURS)} series, got {len(table.columns)}"
        )
    fmt = number or (lambda v: f"{v:,.0f}")
    names = {str(c): (labels or {}).get(str(c), str(c)) for c in table.columns}
    desc = f"{title} [{unit}]; series: {', '.join(names.values())}"
    root = _svg(width, height, title, desc, "bars")
    left, right, top, bottom = 70.0, 10.0, 40.0, 50.0
    lo, hi = min(0.0, float(values.min())), max(0.0, float(values.max()))
    step = _nice_step(hi - lo)
    lo, hi = math.floor(lo / step) * step, math.ceil(hi / step) * step
    hi = hi if hi > lo else lo + step
    plot_h = height - top - bottom

    def y_of(v: float) -> float:
        return top + (hi - v) / (hi - lo) * plot_h

    for k in range(round((hi - lo) / step) + 1):
        v = lo + k * step
        ET.SubElement(
            root,
            "line",
            {
                "x1": str(left),
                "x2": str(width - right),
                "y1": f"{y_of(v):.1f}",
                "y2": f"{y_of(v):.1f}",
                "stroke": "#c8c8c8" if v else INK,
            },
        )
        _text(root, left - 6, y_of(v) + 5, fmt(v), **{"text-anchor": "end"})
    _text(root, 4, 24, unit)
    group_w = (width - left - right) / len(table.index)
    bar_w = 0.8 * group_w / len(table.columns)
    for i, (label, row) in enumerate(zip(table.index, values, strict=True)):
        x0 = left + i * group_w + 0.1 * group_w
        for j, v in enumerate(row):
            rect = ET.SubElement(
                root,
                "rect",
                {
                    "x": f"{x0 + j * bar_w:.1f}",
                    "y": f"{min(y_of(v), y_of(0)):.1f}",
                    "width": f"{bar_w:.1f}",
                    "height": f"{abs(y_of(v) - y_of(0)):.1f}",
                    "fill": SERIES_COLOURS[j],
                },
            )
            ET.SubElement(
                rect, "title"
            ).text = f"{label}, {names[str(table.columns[j])]}: {fmt(v)} {unit}"
        _text(
            root, x0 + 0.4 * group_w, height - bottom + 20, str(label), **{"text-anchor": "middle"}
        )
    x = left
    for j, name in enumerate(names.values()):
        ET.SubElement(
            root,
            "rect",
            {
                "x": f"{x:.1f}",
                "y": str(height - 18),
                "width": "14",
                "height": "14",
                "fill": SERIES_COLOURS[j],
            },
        )
        _text(root, x + 20, height - 6, name)
        x += 30 + 8.0 * len(name)
    return ET.tostring(root, encoding="unicode")


def _rings(geometry: Mapping[str, Any]) -> Iterable[tuple[str, Sequence[Sequence[float]]]]:
    """Yield ``(kind, coordinates)`` of a geometry's drawable parts."""
    kind, coords = geometry.get("type"), geometry.get("coordinates") or []
    if kind == "Point":
        yield "point", [coords]
    elif kind == "LineString":
        yield "line", coords
    elif kind == "Polygon":
        yield "polygon", coords[0]
    elif kind in ("MultiPolygon", "MultiLineString"):
        for part in coords:
            yield from _rings({"type": kind[5:], "coordinates": part})


def map_svg(
    collection: Mapping[str, Any],
    title: str,
    highlight: Iterable[str] = (),
    width: int = 720,
    height: int = 480,
) -> str:
    """Draw a GeoJSON FeatureCollection (WGS 84) as an SVG map (module docstring).

    ``highlight`` holds feature ``properties.name`` values drawn in the
    warning colour (e.g. the most loaded line). Buildings are polygons,
    cables and the transformer line strings, buses points.
    """
    parts = [
        (feature.get("properties") or {}, kind, np.asarray(coords, dtype=float).reshape(-1, 2))
        for feature in collection.get("features", [])
        for kind, coords in _rings(feature.get("geometry") or {})
    ]
    if not parts:
        raise InputDataError(f"map: {title!r} has no features with coordinates")
    every = np.vstack([xy for _, _, xy in parts])
    lat0 = math.radians(float(every[:, 1].mean()))
    xs, ys = every[:, 0] * math.cos(lat0), every[:, 1]
    span = max(float(xs.max() - xs.min()), float(ys.max() - ys.min()), 1e-9)
    margin = 20.0
    scale = min(
        (width - 2 * margin) / max(float(xs.max() - xs.min()), span / 10),
        (height - 2 * margin - 24) / max(float(ys.max() - ys.min()), span / 10),
    )
    marked = set(highlight)

    def pts(xy: np.ndarray) -> str:
        px = margin + (xy[:, 0] * math.cos(lat0) - xs.min()) * scale
        py = height - margin - 24 - (xy[:, 1] - ys.min()) * scale
        return " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py, strict=True))

    n_buildings = sum(kind == "polygon" for _, kind, _ in parts)
    desc = f"{title}: {n_buildings} buildings, {len(parts)} shapes"
    root = _svg(width, height, title, desc, "map")
    for order in ("polygon", "line", "point"):
        for props, kind, xy in parts:
            if kind != order:
                continue
            name = str(props.get("name", ""))
            hot = name in marked
            if kind == "polygon":
                el = ET.SubElement(
                    root,
                    "polygon",
                    {"points": pts(xy), "fill": BUILDING_FILL, "stroke": BUILDING_LINE},
                )
            elif kind == "line":
                el = ET.SubElement(
                    root,
                    "polyline",
                    {
                        "points": pts(xy),
                        "fill": "none",
                        "stroke": WARNING if hot else CABLE,
                        "stroke-width": "4" if hot else "1.5",
                    },
                )
            else:
                x, y = pts(xy).split(",")
                el = ET.SubElement(root, "circle", {"cx": x, "cy": y, "r": "2", "fill": BUS})
            ET.SubElement(el, "title").text = name
    for props, kind, xy in parts:
        if kind == "line" and props.get("element_type") == "feeder" and props.get("name"):
            x, y = pts(xy[[0, -1]].mean(axis=0, keepdims=True)).split(",")
            _text(root, float(x) + 4, float(y) - 4, str(props["name"]))
    legend = (f"Gebäude: {n_buildings}; " if n_buildings else "") + "Leitungen blau"
    drawn = marked & {str(props.get("name", "")) for props, kind, _ in parts if kind == "line"}
    if drawn:
        legend += "; rot: " + ", ".join(sorted(drawn))
    _text(root, margin, height - 6, legend)
    return ET.tostring(root, encoding="unicode")
