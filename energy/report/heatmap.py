"""Heat maps of sweep results as self-contained, accessible SVG (no plotting library).

:func:`heatmap_svg` draws any 2-D grid (a :class:`pandas.DataFrame`, rows x
columns, as :meth:`energy.studies.sweep.SweepResult.heatmap` returns it) as cells
with their values written in them; :func:`sweep_heatmap_svg` picks title,
axis labels, unit, number format and colour scale for the two sweep metrics
(self-sufficiency: sequential; NPV: diverging around 0), in English or
German. The same function draws the files of
:meth:`energy.studies.sweep.SweepResult.write` and the pictures the API serves.

Picture
-------
* ``<svg role="img">`` named by its ``<title>`` and ``<desc>``
  (``aria-labelledby``), as the SVG Accessibility API Mappings map them
  (https://www.w3.org/TR/svg-aam-1.0/); a white background, so the contrast
  holds in any viewer.
* One ``<g class="cell">`` per grid cell with ``data-row``/``data-col`` (the
  grid's positions), ``data-value`` (the raw value, absent for a missing
  one), a ``<title>`` naming both parameters and the value, a ``<rect>`` and
  the value written in it. Rows are drawn with the largest row value at the
  top (the row parameter grows upwards, as on a y axis, whose name is written
  above it, level, for easy reading).
* A missing value (NaN) is written "–" on a grey hatched cell and listed in
  the legend.
* The legend lists every colour class with its value range.
* Presentation attributes only (no ``style``), so a page with a strict
  Content-Security-Policy can inline it; ids carry ``id_prefix``, so two
  pictures can share a page.

Colours
-------
Classed scales with equal intervals (Harrower and Brewer 2003, "ColorBrewer.org",
The Cartographic Journal 40(1), https://doi.org/10.1179/000870403235002042):
:data:`SEQUENTIAL` (5 classes from the smallest to the largest value, darker
is more) and :data:`DIVERGING` (7 classes symmetric around 0 up to the largest
absolute value, orange below, grey about 0, blue above). Every class colour
has a contrast of at least 3:1 against white (WCAG 2.1 success criterion
1.4.11, non-text contrast, https://www.w3.org/TR/WCAG21/#non-text-contrast),
and the value in a cell is written in black or white, whichever contrasts
more (at least 4.5:1, criterion 1.4.3). Contrast is the WCAG 2.1 ratio of
relative luminances (:func:`contrast_ratio`).
"""

from __future__ import annotations

import logging
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from energy.errors import InputDataError
from energy.report.exports import header_lines

if TYPE_CHECKING:
    from energy.studies.sweep import SweepResult

logger = logging.getLogger(__name__)

Scale = Literal["sequential", "diverging"]
Lang = Literal["en", "de"]

#: Sequential classes, smallest values first (blue-green, darker is more).
SEQUENTIAL = ("#4a9e8a", "#2f8a92", "#23709c", "#26559a", "#1f2f70")
#: Diverging classes, most negative first: orange below 0, grey about 0, blue above.
DIVERGING = ("#6b3204", "#a8520a", "#cc6c12", "#919191", "#5a8acb", "#2f6aa6", "#1b3a6c")
#: Text colours a cell's value is written in (the one contrasting more with the cell).
TEXT_COLOURS = ("#000000", "#ffffff")
#: Colour of titles, labels and legend text (the dashboard's text colour).
INK = "#1a1f24"
#: Missing values: hatch lines and background of the cell.
MISSING_LINE = "#6b6b6b"
MISSING_FILL = "#f0f0f0"
#: Written in a cell without a value.
MISSING_TEXT = "–"
#: Fonts of the picture (system fonts only).
FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'DejaVu Sans', sans-serif"
SVG_NS = "http://www.w3.org/2000/svg"
#: Width of a character of 12 px text, to size labels [px] (a rough mean of sans fonts).
CHAR_W = 7.0

_ID = re.compile(r"^[A-Za-z][\w-]*$")


# -- colour ---------------------------------------------------------------------------------
def relative_luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour ``#rrggbb`` [0..1].

    ``L = 0.2126 R + 0.7152 G + 0.0722 B`` with each channel ``c`` (0..1)
    linearised as ``c / 12.92`` if ``c <= 0.04045`` else
    ``((c + 0.055) / 1.055) ** 2.4``
    (https://www.w3.org/TR/WCAG21/#dfn-relative-luminance).
    """
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
        raise InputDataError(f"colour: {colour!r} is not allowed; give #rrggbb")
    channels = [int(colour[i : i + 2], 16) / 255.0 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2.1 contrast ratio ``(L1 + 0.05) / (L2 + 0.05)``, L1 the lighter [1..21].

    Reference: https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio
    """
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_colour(fill: str) -> str:
    """Return the colour of :data:`TEXT_COLOURS` that contrasts more with ``fill``."""
    return max(TEXT_COLOURS, key=lambda c: contrast_ratio(c, fill))


@dataclass(frozen=True)
class ColourScale:
    """A classed colour scale: class ``i`` holds values in ``[edges[i], edges[i+1]]``.

    Attributes
    ----------
    colours
        One colour per class, lowest values first.
    edges
        Class boundaries, ``len(colours) + 1`` ascending values.
    flat_index
        Class of every value when all edges are equal (all values alike).
    """

    colours: tuple[str, ...]
    edges: tuple[float, ...]
    flat_index: int

    def index(self, value: float) -> int:
        """Class of ``value`` (values beyond the ends go to the end classes)."""
        lo, hi = self.edges[0], self.edges[-1]
        n = len(self.colours)
        if hi <= lo:
            return self.flat_index
        return min(n - 1, max(0, math.floor((value - lo) / (hi - lo) * n)))

    def colour(self, value: float) -> str:
        """Colour of ``value``."""
        return self.colours[self.index(value)]


def colour_scale(values: np.ndarray, scale: Scale) -> ColourScale:
    """Equal-interval classes over the finite ``values`` (module docstring).

    ``sequential``: :data:`SEQUENTIAL` from the smallest to the largest value
    (all in the last class if they are equal). ``diverging``: :data:`DIVERGING`
    from ``-m`` to ``m``, ``m`` the largest absolute value, so 0 lies in the
    middle class (all there if every value is 0).
    """
    finite = values[np.isfinite(values)]
    colours: tuple[str, ...]
    if scale == "sequential":
        colours = SEQUENTIAL
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    elif scale == "diverging":
        colours = DIVERGING
        m = float(np.abs(finite).max()) if finite.size else 0.0
        lo, hi = -m, m
    else:
        raise InputDataError(f"scale: {scale!r} is not allowed; use sequential or diverging")
    n = len(colours)
    edges = tuple(lo + (hi - lo) * i / n for i in range(n + 1))
    flat = n - 1 if scale == "sequential" else n // 2
    return ColourScale(colours=colours, edges=edges, flat_index=flat)


# -- numbers --------------------------------------------------------------------------------
def format_number(value: float, decimals: int, lang: Lang = "en") -> str:
    """Write ``value`` with ``decimals`` decimals and thousands separators, English or German.

    ``1234.5`` -> ``1,234.5`` (en) or ``1.234,5`` (de); a value that rounds to
    zero loses its minus sign.
    """
    rounded = round(float(value), decimals)
    if rounded == 0:
        rounded = 0.0
    text = f"{rounded:,.{decimals}f}"
    return text.translate(str.maketrans(",.", ".,")) if lang == "de" else text


def format_parameter(value: float, lang: Lang = "en") -> str:
    """Write a grid parameter value short: ``100.0`` -> ``100``, ``2.5`` -> ``2,5`` (de)."""
    text = f"{float(value):g}"
    return text.replace(".", ",") if lang == "de" else text


def _formatter(value_format: str | Callable[[float], str]) -> Callable[[float], str]:
    if callable(value_format):
        return value_format
    return value_format.format


# -- the picture -----------------------------------------------------------------------------
def _el(parent: ET.Element, tag: str, text: str | None = None, /, **attrs: object) -> ET.Element:
    node = ET.SubElement(parent, tag, {k.replace("_", "-"): str(v) for k, v in attrs.items()})
    if text is not None:
        node.text = text
    return node


def _text_w(text: str, size_px: float = 12.0) -> float:
    return len(text) * CHAR_W * size_px / 12.0


def heatmap_svg(
    grid: pd.DataFrame,
    title: str,
    unit: str,
    x_label: str,
    y_label: str,
    value_format: str | Callable[[float], str] = "{:.3g}",
    *,
    scale: Scale = "sequential",
    desc: str | None = None,
    legend_title: str | None = None,
    missing_label: str = "no value",
    tick_format: Callable[[float], str] = format_parameter,
    licence_lines: Sequence[str] = (),
    credit: str | None = None,
    id_prefix: str = "heatmap",
) -> str:
    """Draw a grid of values as an accessible SVG heat map (module docstring).

    Parameters
    ----------
    grid
        Values; rows (index) are the y axis, columns the x axis. Index and
        column labels are numbers (parameter values) or text.
    title
        Title, shown on top and naming the picture for screen readers.
    unit
        Unit of the values as shown (e.g. ``%``, ``EUR``); may be empty.
    x_label, y_label
        Names of the column and row parameters with their units.
    value_format
        How a value is written: a :meth:`str.format` pattern (``"{:.1f}"``) or
        a function of the raw value (e.g. ``lambda v: f"{100 * v:.1f}"`` for
        a fraction shown in percent). Also used for the legend's ranges.
    scale
        ``sequential`` (:data:`SEQUENTIAL`) or ``diverging`` around 0
        (:data:`DIVERGING`).
    desc
        Text alternative; default a sentence with the grid's size and range.
    legend_title
        Heading of the legend; default ``"Colour classes [unit]"``.
    missing_label
        Legend entry of missing values (shown only if there are any).
    tick_format
        How a row or column label is written, if it is a number.
    licence_lines
        Licence and provenance, written into ``<metadata>``.
    credit
        A visible line under the picture (e.g. the licence and attribution).
    id_prefix
        Prefix of the ids inside the picture (a letter, then letters, digits,
        ``_`` or ``-``).

    Returns
    -------
    str
        The SVG document (UTF-8 XML declaration, one ``<svg>`` root).
    """
    if not isinstance(grid, pd.DataFrame) or grid.shape[0] == 0 or grid.shape[1] == 0:
        raise InputDataError("grid: give a DataFrame with at least one row and one column")
    if not _ID.match(id_prefix):
        raise InputDataError(
            f"id_prefix: {id_prefix!r} is not allowed; a letter, then letters, digits, _ or -"
        )
    try:
        values = grid.to_numpy(dtype=float)
    except (TypeError, ValueError) as err:
        raise InputDataError(f"grid: values must be numbers ({err})") from err
    fmt = _formatter(value_format)
    colours = colour_scale(values, scale)
    n_rows, n_cols = values.shape
    finite = values[np.isfinite(values)]
    n_missing = int(values.size - finite.size)
    suffix = f" {unit}" if unit else ""

    def tick(label: object) -> str:
        return tick_format(float(label)) if isinstance(label, int | float) else str(label)

    row_ticks = [tick(v) for v in grid.index]
    col_ticks = [tick(v) for v in grid.columns]
    if desc is None:
        desc = f"{n_rows} rows ({y_label}) by {n_cols} columns ({x_label})"
        if finite.size:
            desc += f"; values from {fmt(finite.min())} to {fmt(finite.max())}{suffix}"
        if n_missing:
            desc += f"; {n_missing} without a value"
        desc += "."

    # geometry [px]
    cell_w = min(110.0, max(64.0, 600.0 / n_cols))
    cell_h = 44.0 if n_rows <= 8 else 32.0
    cell_font = 13.0 if cell_w >= 72 else 11.0
    left = 16.0 + max(_text_w(t) for t in row_ticks) + 10.0
    top = 72.0 if y_label else 52.0  # the row parameter's name sits above its ticks
    grid_w, grid_h = cell_w * n_cols, cell_h * n_rows
    legend_x = left + grid_w + 28.0
    legend_items = [
        f"{fmt(colours.edges[i])} – {fmt(colours.edges[i + 1])}{suffix}"
        for i in range(len(colours.colours))
    ]
    legend_head = legend_title if legend_title is not None else f"Colour classes [{unit}]"
    legend_rows = len(legend_items) + (1 if n_missing else 0)
    legend_w = 26.0 + max(_text_w(t) for t in [*legend_items, missing_label, legend_head])
    width = max(legend_x + legend_w + 16.0, _text_w(title, 16) + 32.0, _text_w(y_label) + 32.0)
    bottom = top + grid_h + 22.0 + (22.0 if x_label else 0.0)
    legend_bottom = top + 20.0 + 22.0 * legend_rows
    height = max(bottom, legend_bottom) + (28.0 if credit else 12.0)

    svg = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "viewBox": f"0 0 {width:.0f} {height:.0f}",
            "width": f"{width:.0f}",
            "height": f"{height:.0f}",
            "role": "img",
            "aria-labelledby": f"{id_prefix}-title {id_prefix}-desc",
            "font-family": FONT_FAMILY,
            "font-size": "12",
            "class": "heatmap-svg",
            "data-scale": scale,
            "data-rows": str(n_rows),
            "data-cols": str(n_cols),
        },
    )
    _el(svg, "title", title, id=f"{id_prefix}-title")
    _el(svg, "desc", desc, id=f"{id_prefix}-desc")
    if licence_lines:
        _el(svg, "metadata", "\n".join(licence_lines))
    defs = _el(svg, "defs")
    pattern = _el(
        defs,
        "pattern",
        id=f"{id_prefix}-missing",
        width=8,
        height=8,
        patternUnits="userSpaceOnUse",
        patternTransform="rotate(45)",
    )
    _el(pattern, "rect", width=8, height=8, fill=MISSING_FILL)
    _el(pattern, "line", x1=0, y1=0, x2=0, y2=8, stroke=MISSING_LINE, stroke_width=3)
    missing_fill = f"url(#{id_prefix}-missing)"

    _el(svg, "rect", width="100%", height="100%", fill="#ffffff")
    _el(svg, "text", title, x=16, y=26, font_size=16, font_weight=700, fill=INK)

    cells = _el(svg, "g", **{"class": "cells"})
    for i in range(n_rows):
        y = top + (n_rows - 1 - i) * cell_h  # largest row value on top
        for j in range(n_cols):
            x = left + j * cell_w
            v = float(values[i, j])
            present = math.isfinite(v)
            text = fmt(v) if present else MISSING_TEXT
            attrs: dict[str, object] = {"class": "cell", "data-row": i, "data-col": j}
            if present:
                attrs["data-value"] = repr(v)
                attrs["data-class"] = colours.index(v)
            else:
                attrs["data-missing"] = "true"
            g = _el(cells, "g", **attrs)
            _el(g, "title", f"{y_label} {row_ticks[i]}, {x_label} {col_ticks[j]}: {text}{suffix}")
            fill = colours.colour(v) if present else missing_fill
            _el(
                g,
                "rect",
                x=f"{x:g}",
                y=f"{y:g}",
                width=f"{cell_w:g}",
                height=f"{cell_h:g}",
                fill=fill,
                stroke="#ffffff" if present else MISSING_LINE,
                stroke_width=2 if present else 1,
            )
            label_attrs: dict[str, object] = {
                "x": f"{x + cell_w / 2:g}",
                "y": f"{y + cell_h / 2 + cell_font * 0.35:g}",
                "text-anchor": "middle",
                "font-size": f"{cell_font:g}",
                "font-weight": 600,
                "fill": text_colour(fill) if present else "#000000",
            }
            if not present:  # a white halo keeps the dash readable on the hatching
                label_attrs |= {"stroke": "#ffffff", "stroke-width": 4, "paint-order": "stroke"}
            _el(g, "text", text, **label_attrs)

    axes = _el(svg, "g", **{"class": "axes", "fill": INK})
    for i, label in enumerate(row_ticks):
        y = top + (n_rows - 1 - i) * cell_h + cell_h / 2 + 4
        _el(axes, "text", label, x=f"{left - 8:g}", y=f"{y:g}", text_anchor="end")
    for j, label in enumerate(col_ticks):
        x = left + j * cell_w + cell_w / 2
        _el(axes, "text", label, x=f"{x:g}", y=f"{top + grid_h + 18:g}", text_anchor="middle")
    if x_label:
        _el(
            axes,
            "text",
            x_label,
            x=f"{left + grid_w / 2:g}",
            y=f"{top + grid_h + 40:g}",
            text_anchor="middle",
            font_weight=600,
        )
    if y_label:
        _el(axes, "text", y_label, x=16, y=f"{top - 12:g}", font_weight=600)

    legend = _el(svg, "g", **{"class": "legend", "fill": INK})
    _el(legend, "text", legend_head, x=f"{legend_x:g}", y=f"{top + 8:g}", font_weight=600)
    entries = list(zip(colours.colours, legend_items, strict=True))[::-1]  # largest on top
    if n_missing:
        entries.append((missing_fill, missing_label))
    for k, (fill, label) in enumerate(entries):
        y = top + 20 + 22 * k
        item = _el(legend, "g", **{"class": "legend-item"})
        _el(
            item,
            "rect",
            x=f"{legend_x:g}",
            y=f"{y:g}",
            width=16,
            height=16,
            fill=fill,
            stroke=MISSING_LINE if fill == missing_fill else "none",
        )
        _el(item, "text", label, x=f"{legend_x + 24:g}", y=f"{y + 12.5:g}")
    if credit:
        _el(svg, "text", credit, x=16, y=f"{height - 10:g}", font_size=11, fill=INK)

    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(svg, encoding="unicode")


# -- sweep presets ---------------------------------------------------------------------------
#: Words of the sweep heat maps: language -> key -> text.
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "self_sufficiency": "Self-sufficiency by PV and battery added",
        "npv_eur": "Net present value by PV and battery added",
        "pv_kwp_added": "PV added [kWp]",
        "battery_kwh_added": "Battery added [kWh]",
        "legend": "Colour classes [{unit}]",
        "missing": "no value",
        "desc": (
            "{rows} x {cols} sweep points: rows {y_label}, columns {x_label}. "
            "Highest {best} {unit} at {best_at}; lowest {worst} {unit} at {worst_at}."
        ),
        "desc_missing": " {n} points without a value (hatched).",
        "at": "{y_label} {y}",
        "and": ", {x_label} {x}",
    },
    "de": {
        "self_sufficiency": "Autarkie je zusätzlicher PV und Batterie",
        "npv_eur": "Kapitalwert je zusätzlicher PV und Batterie",
        "pv_kwp_added": "zusätzliche PV [kWp]",
        "battery_kwh_added": "zusätzliche Batterie [kWh]",
        "legend": "Farbklassen [{unit}]",
        "missing": "kein Wert",
        "desc": (
            "{rows} x {cols} Rechenpunkte: Zeilen {y_label}, Spalten {x_label}. "
            "Höchster Wert {best} {unit} bei {best_at}; niedrigster {worst} {unit} bei {worst_at}."
        ),
        "desc_missing": " {n} Punkte ohne Wert (schraffiert).",
        "at": "{y_label} {y}",
        "and": ", {x_label} {x}",
    },
}


@dataclass(frozen=True)
class MetricStyle:
    """How a sweep metric is shown: unit, scale, decimals and the factor to the shown unit."""

    unit: str
    scale: Scale
    decimals: int
    factor: float = 1.0


#: Styles of :data:`energy.studies.sweep.HEATMAP_METRICS`.
METRIC_STYLES = {
    "self_sufficiency": MetricStyle(unit="%", scale="sequential", decimals=1, factor=100.0),
    "npv_eur": MetricStyle(unit="€", scale="diverging", decimals=0),
}


def sweep_heatmap_svg(
    result: SweepResult, metric: str, lang: Lang = "en", id_prefix: str | None = None
) -> str:
    """Draw the heat map of a sweep metric (:data:`METRIC_STYLES`) with words and licence.

    Parameters
    ----------
    result
        The summarised sweep.
    metric
        ``self_sufficiency`` (shown in %, sequential) or ``npv_eur`` (€,
        diverging around 0).
    lang
        ``en`` or ``de``: words and number format (``1,234.5`` or ``1.234,5``).
    id_prefix
        Prefix of the ids inside the picture; default ``heatmap-<metric>``.
    """
    if metric not in METRIC_STYLES:
        raise InputDataError(
            f"metric: {metric!r} is not allowed; use one of {', '.join(METRIC_STYLES)}"
        )
    if lang not in WORDS:
        raise InputDataError(f"lang: {lang!r} is not allowed; use en or de")
    words = WORDS[lang]
    style = METRIC_STYLES[metric]
    grid = result.heatmap(metric)
    y_label = words.get(str(grid.index.name), str(grid.index.name))
    if len(result.parameters) == 1:  # one column, named after the metric
        grid = grid.set_axis([""], axis=1)
        x_label = ""
    else:
        x_label = words.get(str(grid.columns.name), str(grid.columns.name))

    def fmt(v: float) -> str:
        return format_number(style.factor * v, style.decimals, lang)

    def tick(v: float) -> str:
        return format_parameter(v, lang)

    def where(i: int, j: int) -> str:
        text = words["at"].format(y_label=y_label, y=tick(grid.index[i]))
        if x_label:
            text += words["and"].format(x_label=x_label, x=tick(grid.columns[j]))
        return text

    values = grid.to_numpy(dtype=float)
    masked = np.where(np.isfinite(values), values, np.nan)
    if np.isfinite(masked).any():
        best = np.unravel_index(int(np.nanargmax(masked)), masked.shape)
        worst = np.unravel_index(int(np.nanargmin(masked)), masked.shape)
        desc = words["desc"].format(
            rows=grid.shape[0],
            cols=grid.shape[1],
            y_label=y_label,
            x_label=x_label or "-",
            best=fmt(masked[best]),
            worst=fmt(masked[worst]),
            unit=style.unit,
            best_at=where(int(best[0]), int(best[1])),
            worst_at=where(int(worst[0]), int(worst[1])),
        )
    else:
        desc = ""
    n_missing = int((~np.isfinite(values)).sum())
    if n_missing:
        desc += words["desc_missing"].format(n=n_missing)
    info = result.info
    return heatmap_svg(
        grid,
        title=words[metric],
        unit=style.unit,
        x_label=x_label,
        y_label=y_label,
        value_format=fmt,
        scale=style.scale,
        desc=desc.strip() or None,
        legend_title=words["legend"].format(unit=style.unit),
        missing_label=words["missing"],
        tick_format=tick,
        licence_lines=header_lines(info),
        credit=f"{info['licence']} · {info['attribution']}",
        id_prefix=id_prefix or f"heatmap-{metric.replace('_', '-')}",
    )
