"""Heat maps as self-contained, accessible SVG (no plotting library).

:func:`heatmap_svg` draws any 2-D grid (a :class:`pandas.DataFrame`, rows x
columns) as cells with their values written in them; colours come from
:mod:`energy.report.colours`, the sweep pictures from
:mod:`energy.report.sweep_heatmap`.

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
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from energy.errors import InputDataError
from energy.report.colours import (
    INK,
    MISSING_FILL,
    MISSING_LINE,
    ColourScale,
    Scale,
    colour_scale,
    text_colour,
)

logger = logging.getLogger(__name__)

Lang = Literal["en", "de"]

#: Written in a cell without a value.
MISSING_TEXT = "–"
#: Fonts of the picture (system fonts only).
FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'DejaVu Sans', sans-serif"
SVG_NS = "http://www.w3.org/2000/svg"
#: Width of a character of 12 px text, to size labels [px] (a rough mean of sans fonts).
CHAR_W = 7.0

_ID = re.compile(r"^[A-Za-z][\w-]*$")


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


@dataclass(frozen=True)
class _Picture:
    """What the drawing steps of :func:`heatmap_svg` share: values, words and geometry [px]."""

    values: np.ndarray
    colours: ColourScale
    fmt: Callable[[float], str]
    suffix: str
    row_ticks: list[str]
    col_ticks: list[str]
    x_label: str
    y_label: str
    legend_items: list[str]
    legend_head: str
    missing_label: str
    n_missing: int
    missing_fill: str
    cell_w: float
    cell_h: float
    cell_font: float
    left: float
    top: float
    width: float
    height: float

    @property
    def grid_w(self) -> float:
        return self.cell_w * self.values.shape[1]

    @property
    def grid_h(self) -> float:
        return self.cell_h * self.values.shape[0]

    @property
    def legend_x(self) -> float:
        return self.left + self.grid_w + 28.0

    def cell_y(self, i: int) -> float:
        """Top of row ``i``: the largest row value is drawn on top."""
        return self.top + (self.values.shape[0] - 1 - i) * self.cell_h


def _picture(
    values: np.ndarray,
    colours: ColourScale,
    fmt: Callable[[float], str],
    unit: str,
    ticks: tuple[list[str], list[str]],
    words: dict[str, str],
    id_prefix: str,
) -> _Picture:
    """Lay out the picture: cell size, margins, legend entries, width and height [px].

    ``words`` holds ``title``, ``x_label``, ``y_label``, ``legend_head``,
    ``missing_label`` and ``credit`` (empty if none).
    """
    row_ticks, col_ticks = ticks
    n_rows, n_cols = values.shape
    n_missing = int(values.size - np.isfinite(values).sum())
    suffix = f" {unit}" if unit else ""
    cell_w = min(110.0, max(64.0, 600.0 / n_cols))
    left = 16.0 + max(_text_w(t) for t in row_ticks) + 10.0
    top = 72.0 if words["y_label"] else 52.0  # the row parameter's name sits above its ticks
    legend_items = [
        f"{fmt(colours.edges[i])} – {fmt(colours.edges[i + 1])}{suffix}"
        for i in range(len(colours.colours))
    ]
    legend_rows = len(legend_items) + (1 if n_missing else 0)
    legend_w = 26.0 + max(
        _text_w(t) for t in [*legend_items, words["missing_label"], words["legend_head"]]
    )
    picture = _Picture(
        values=values,
        colours=colours,
        fmt=fmt,
        suffix=suffix,
        row_ticks=row_ticks,
        col_ticks=col_ticks,
        x_label=words["x_label"],
        y_label=words["y_label"],
        legend_items=legend_items,
        legend_head=words["legend_head"],
        missing_label=words["missing_label"],
        n_missing=n_missing,
        missing_fill=f"url(#{id_prefix}-missing)",
        cell_w=cell_w,
        cell_h=44.0 if n_rows <= 8 else 32.0,
        cell_font=13.0 if cell_w >= 72 else 11.0,
        left=left,
        top=top,
        width=0.0,
        height=0.0,
    )
    width = max(
        picture.legend_x + legend_w + 16.0,
        _text_w(words["title"], 16) + 32.0,
        _text_w(words["y_label"]) + 32.0,
    )
    bottom = top + picture.grid_h + 22.0 + (22.0 if words["x_label"] else 0.0)
    legend_bottom = top + 20.0 + 22.0 * legend_rows
    height = max(bottom, legend_bottom) + (28.0 if words["credit"] else 12.0)
    return dataclasses.replace(picture, width=width, height=height)


def _draw_cells(svg: ET.Element, p: _Picture) -> None:
    """Draw one ``<g class="cell">`` per value: title, rectangle and the value written in it."""
    cells = _el(svg, "g", **{"class": "cells"})
    n_rows, n_cols = p.values.shape
    for i in range(n_rows):
        y = p.cell_y(i)
        for j in range(n_cols):
            x = p.left + j * p.cell_w
            v = float(p.values[i, j])
            present = math.isfinite(v)
            text = p.fmt(v) if present else MISSING_TEXT
            attrs: dict[str, object] = {"class": "cell", "data-row": i, "data-col": j}
            if present:
                attrs["data-value"] = repr(v)
                attrs["data-class"] = p.colours.index(v)
            else:
                attrs["data-missing"] = "true"
            g = _el(cells, "g", **attrs)
            _el(
                g,
                "title",
                f"{p.y_label} {p.row_ticks[i]}, {p.x_label} {p.col_ticks[j]}: {text}{p.suffix}",
            )
            fill = p.colours.colour(v) if present else p.missing_fill
            _el(
                g,
                "rect",
                x=f"{x:g}",
                y=f"{y:g}",
                width=f"{p.cell_w:g}",
                height=f"{p.cell_h:g}",
                fill=fill,
                stroke="#ffffff" if present else MISSING_LINE,
                stroke_width=2 if present else 1,
            )
            label_attrs: dict[str, object] = {
                "x": f"{x + p.cell_w / 2:g}",
                "y": f"{y + p.cell_h / 2 + p.cell_font * 0.35:g}",
                "text-anchor": "middle",
                "font-size": f"{p.cell_font:g}",
                "font-weight": 600,
                "fill": text_colour(fill) if present else "#000000",
            }
            if not present:  # a white halo keeps the dash readable on the hatching
                label_attrs |= {"stroke": "#ffffff", "stroke-width": 4, "paint-order": "stroke"}
            _el(g, "text", text, **label_attrs)


def _draw_axes(svg: ET.Element, p: _Picture) -> None:
    """Draw the row and column ticks and the two parameter names."""
    axes = _el(svg, "g", **{"class": "axes", "fill": INK})
    for i, label in enumerate(p.row_ticks):
        y = p.cell_y(i) + p.cell_h / 2 + 4
        _el(axes, "text", label, x=f"{p.left - 8:g}", y=f"{y:g}", text_anchor="end")
    for j, label in enumerate(p.col_ticks):
        x = p.left + j * p.cell_w + p.cell_w / 2
        y = p.top + p.grid_h + 18
        _el(axes, "text", label, x=f"{x:g}", y=f"{y:g}", text_anchor="middle")
    if p.x_label:
        _el(
            axes,
            "text",
            p.x_label,
            x=f"{p.left + p.grid_w / 2:g}",
            y=f"{p.top + p.grid_h + 40:g}",
            text_anchor="middle",
            font_weight=600,
        )
    if p.y_label:
        _el(axes, "text", p.y_label, x=16, y=f"{p.top - 12:g}", font_weight=600)


def _draw_legend(svg: ET.Element, p: _Picture) -> None:
    """Draw the colour classes with their value ranges, largest on top, and missing values."""
    legend = _el(svg, "g", **{"class": "legend", "fill": INK})
    x = p.legend_x
    _el(legend, "text", p.legend_head, x=f"{x:g}", y=f"{p.top + 8:g}", font_weight=600)
    entries = list(zip(p.colours.colours, p.legend_items, strict=True))[::-1]
    if p.n_missing:
        entries.append((p.missing_fill, p.missing_label))
    for k, (fill, label) in enumerate(entries):
        y = p.top + 20 + 22 * k
        item = _el(legend, "g", **{"class": "legend-item"})
        _el(
            item,
            "rect",
            x=f"{x:g}",
            y=f"{y:g}",
            width=16,
            height=16,
            fill=fill,
            stroke=MISSING_LINE if fill == p.missing_fill else "none",
        )
        _el(item, "text", label, x=f"{x + 24:g}", y=f"{y + 12.5:g}")


def _svg_root(
    p: _Picture, title: str, desc: str, licence_lines: Sequence[str], scale: Scale, id_prefix: str
) -> ET.Element:
    """Return the ``<svg>`` root: title, description, licence, hatching, background, heading."""
    n_rows, n_cols = p.values.shape
    svg = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "viewBox": f"0 0 {p.width:.0f} {p.height:.0f}",
            "width": f"{p.width:.0f}",
            "height": f"{p.height:.0f}",
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
    _el(svg, "rect", width="100%", height="100%", fill="#ffffff")
    _el(svg, "text", title, x=16, y=26, font_size=16, font_weight=700, fill=INK)
    return svg


def _default_desc(
    values: np.ndarray, fmt: Callable[[float], str], unit: str, labels: tuple[str, str]
) -> str:
    """Return the text alternative: the grid's size, range and number of missing values."""
    x_label, y_label = labels
    finite = values[np.isfinite(values)]
    n_missing = int(values.size - finite.size)
    suffix = f" {unit}" if unit else ""
    desc = f"{values.shape[0]} rows ({y_label}) by {values.shape[1]} columns ({x_label})"
    if finite.size:
        desc += f"; values from {fmt(finite.min())} to {fmt(finite.max())}{suffix}"
    if n_missing:
        desc += f"; {n_missing} without a value"
    return desc + "."


def _grid_values(grid: pd.DataFrame, id_prefix: str) -> np.ndarray:
    """Return the grid's values as floats; InputDataError for an empty grid or bad id prefix."""
    if not isinstance(grid, pd.DataFrame) or grid.shape[0] == 0 or grid.shape[1] == 0:
        raise InputDataError("grid: give a DataFrame with at least one row and one column")
    if not _ID.match(id_prefix):
        raise InputDataError(
            f"id_prefix: {id_prefix!r} is not allowed; a letter, then letters, digits, _ or -"
        )
    try:
        return grid.to_numpy(dtype=float)
    except (TypeError, ValueError) as err:
        raise InputDataError(f"grid: values must be numbers ({err})") from err


def _ticks(labels: pd.Index, tick_format: Callable[[float], str]) -> list[str]:
    """Write row or column labels: numbers with ``tick_format``, anything else as text."""
    return [
        tick_format(float(label)) if isinstance(label, int | float) else str(label)
        for label in labels
    ]


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
    values = _grid_values(grid, id_prefix)
    fmt = _formatter(value_format)
    colours = colour_scale(values, scale)
    ticks = (_ticks(grid.index, tick_format), _ticks(grid.columns, tick_format))
    if desc is None:
        desc = _default_desc(values, fmt, unit, (x_label, y_label))
    words = {
        "title": title,
        "x_label": x_label,
        "y_label": y_label,
        "legend_head": legend_title if legend_title is not None else f"Colour classes [{unit}]",
        "missing_label": missing_label,
        "credit": credit or "",
    }
    picture = _picture(values, colours, fmt, unit, ticks, words, id_prefix)
    svg = _svg_root(picture, title, desc, licence_lines, scale, id_prefix)
    _draw_cells(svg, picture)
    _draw_axes(svg, picture)
    _draw_legend(svg, picture)
    if credit:
        _el(svg, "text", credit, x=16, y=f"{picture.height - 10:g}", font_size=11, fill=INK)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(svg, encoding="unicode")
