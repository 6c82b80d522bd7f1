"""Heat maps of sweeps: a sweep's table drawn as the self-sufficiency or NPV picture.

A sweep's table (one row per point: the parameters and the metrics) is
pivoted (:func:`grid_from_table`), and :func:`sweep_heatmap_svg` picks title,
axis labels, unit, number format and colour scale for the two sweep metrics
(self-sufficiency: sequential; NPV: diverging around 0), in English or German,
and draws it with :func:`energy.report.heatmap.heatmap_svg`. The same function
draws the files of :meth:`energy.studies.sweep.SweepResult.write` and the
pictures the API serves; it needs only the table, the parameter names and the
licence record (:func:`energy.report.exports.export_info`), never a sweep
object.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from energy.errors import InputDataError
from energy.report.colours import Scale
from energy.report.exports import header_lines
from energy.report.heatmap import Lang, format_number, format_parameter, heatmap_svg

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


def grid_from_table(table: pd.DataFrame, parameters: Sequence[str], metric: str) -> pd.DataFrame:
    """Return a 2-D grid of ``metric``: rows the first parameter, columns the second.

    Parameters
    ----------
    table
        One row per sweep point: the parameter columns and the metric columns
        (:attr:`energy.studies.sweep.SweepResult.table`).
    parameters
        The sweep's parameter names (one or two).
    metric
        A column of ``table``.

    Returns
    -------
    pandas.DataFrame
        The pivoted values; a one-parameter sweep gives a single column named
        after the metric.
    """
    if metric not in table.columns:
        raise InputDataError(f"metric: {metric!r} is not a column of the sweep table")
    if len(parameters) == 1:
        return table.set_index(parameters[0])[[metric]]
    rows, cols = parameters[:2]
    return table.pivot(index=rows, columns=cols, values=metric)


def _sweep_desc(
    grid: pd.DataFrame,
    words: dict[str, str],
    labels: tuple[str, str],
    fmt: Callable[[float], str],
    tick: Callable[[float], str],
    unit: str,
) -> str:
    """Return the text alternative of a sweep heat map: best and worst point, missing points."""
    x_label, y_label = labels

    def where(i: int, j: int) -> str:
        text = words["at"].format(y_label=y_label, y=tick(grid.index[i]))
        if x_label:
            text += words["and"].format(x_label=x_label, x=tick(grid.columns[j]))
        return text

    values = grid.to_numpy(dtype=float)
    masked = np.where(np.isfinite(values), values, np.nan)
    desc = ""
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
            unit=unit,
            best_at=where(int(best[0]), int(best[1])),
            worst_at=where(int(worst[0]), int(worst[1])),
        )
    n_missing = int((~np.isfinite(values)).sum())
    if n_missing:
        desc += words["desc_missing"].format(n=n_missing)
    return desc


def sweep_heatmap_svg(
    table: pd.DataFrame,
    parameters: Sequence[str],
    metric: str,
    info: Mapping[str, Any],
    lang: Lang = "en",
    id_prefix: str | None = None,
) -> str:
    """Draw the heat map of a sweep metric (:data:`METRIC_STYLES`) with words and licence.

    Parameters
    ----------
    table
        One row per sweep point with the parameter and metric columns
        (:attr:`energy.studies.sweep.SweepResult.table`); pivoted by
        :func:`grid_from_table`.
    parameters
        The sweep's parameter names: rows the first, columns the second.
    metric
        ``self_sufficiency`` (shown in %, sequential) or ``npv_eur`` (€,
        diverging around 0).
    info
        Licence and provenance (:func:`energy.report.exports.export_info`),
        written into ``<metadata>`` and as the credit line.
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
    grid = grid_from_table(table, parameters, metric)
    y_label = words.get(str(grid.index.name), str(grid.index.name))
    if len(parameters) == 1:  # one column, named after the metric
        grid = grid.set_axis([""], axis=1)
        x_label = ""
    else:
        x_label = words.get(str(grid.columns.name), str(grid.columns.name))

    def fmt(v: float) -> str:
        return format_number(style.factor * v, style.decimals, lang)

    def tick(v: float) -> str:
        return format_parameter(v, lang)

    desc = _sweep_desc(grid, words, (x_label, y_label), fmt, tick, style.unit)
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
