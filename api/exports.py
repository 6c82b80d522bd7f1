"""Time-series exports (JSON and CSV) with local time, aggregation and licence.

Every export names its licence (CC-BY-4.0 for our results; ODbL as well where
SimBench grid data went in), its source and the data that went in (weather,
prices, load profiles: :func:`energy.report.exports.data_sources`). Times are
shown in the district's local time (Europe/Berlin for Gera) beside UTC; a label is the start of its
interval.

Aggregation to local hours, days or months (``aggregate=hour|day|month``)
follows the unit in the quantity part of a column name (before any
``:asset`` suffix, as in ``p_charge_kw:BAT-Q``):

* ``*_kw`` (interval-mean power) becomes energy ``*_kwh`` = sum of p x dt_h, and a
  ``p_`` in the name becomes ``e_`` (``p_import_kw`` -> ``e_import_kwh``);
* ``*_per_kwh`` (prices, intensities) and any other column: mean over the period;
* ``*_eur``, ``*_kg``, ``*_g`` (amounts) and ``e_*_kwh`` (energies): sum;
* other ``*_kwh`` columns (states such as ``soc_kwh``) and ``*_frac``: the last value.
"""

from __future__ import annotations

import csv
import io
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from fastapi.responses import JSONResponse, Response

from energy.report.exports import LICENCE_URLS, csv_with_header, header_lines
from energy.timeindex import require_utc_index, step_hours

_PERIODS = {"hour": "h", "day": "D", "month": "MS"}


@dataclass(frozen=True)
class ExportInfo:
    """Licence and provenance written into an export."""

    licence: str
    attribution: str
    source: str
    timezone: str = "Europe/Berlin"
    data_licences: tuple[str, ...] = field(default_factory=tuple)
    #: Each data file that went in (:func:`energy.report.exports.data_sources`).
    data_sources: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    def fields(self) -> dict[str, Any]:
        """Licence fields as :func:`energy.report.exports.export_info` names them."""
        return {
            "licence": self.licence,
            "licence_url": LICENCE_URLS.get(self.licence),
            "attribution": self.attribution,
            "source": self.source,
            "data_licences": list(self.data_licences),
            "data_sources": [dict(s) for s in self.data_sources],
        }

    def header_lines(self) -> list[str]:
        """Lines for the top of a CSV file (without the leading ``#``)."""
        return [
            *header_lines(self.fields()),
            f"time: time_local in {self.timezone} and time_utc; each label is the start "
            "of its interval; powers are interval means",
        ]

    def http_headers(self) -> dict[str, str]:
        """HTTP headers naming the licence (RFC 8288 ``Link rel=license``)."""
        url = LICENCE_URLS.get(self.licence)
        headers = {"X-Licence": self.licence}
        if url:
            headers["Link"] = f'<{url}>; rel="license"'
        return headers


def _rule(column: str) -> str:
    """Return the aggregation rule of a column by the unit suffix of its quantity."""
    name = column.partition(":")[0].lower()
    if name.endswith("_per_kwh"):
        return "mean"
    if name.endswith("_kw"):
        return "energy"
    if name.endswith(("_eur", "_kg", "_g")) or (name.startswith("e_") and name.endswith("_kwh")):
        return "sum"
    if name.endswith(("_kwh", "_frac")):
        return "last"
    return "mean"


def energy_name(power_column: str) -> str:
    """Return the energy column of a power column: ``p_charge_kw:B1`` -> ``e_charge_kwh:B1``."""
    quantity, sep, asset = power_column.partition(":")
    return re.sub(r"(^|[_.])p_", r"\1e_", quantity, count=1) + "h" + sep + asset


def aggregate_frame(frame: pd.DataFrame, aggregate: str, timezone: str) -> pd.DataFrame:
    """Aggregate a UTC time series frame to local hours, days or months.

    Parameters
    ----------
    frame
        Numeric columns on a tz-aware UTC index, labels at interval start.
    aggregate
        ``none``, ``hour``, ``day`` or ``month``.
    timezone
        Time zone of the local periods (e.g. ``Europe/Berlin``).

    Returns
    -------
    pandas.DataFrame
        On a UTC index of period starts; ``*_kw`` columns renamed ``*_kwh``.
    """
    if aggregate == "none":
        return frame
    index = require_utc_index(frame.index, "schedule")
    dt_h = step_hours(index)
    local = frame.set_axis(index.tz_convert(timezone))
    local.columns = [str(c) for c in local.columns]
    rules = {c: _rule(c) for c in local.columns}
    grouped = local.resample(_PERIODS[aggregate])
    by_rule = {}
    for rule, how in (("energy", "sum"), ("sum", "sum"), ("last", "last"), ("mean", "mean")):
        columns = [c for c in local.columns if rules[c] == rule]
        if columns:
            by_rule[rule] = getattr(grouped[columns], how)()
    if "energy" in by_rule:
        energy = by_rule["energy"] * dt_h
        by_rule["energy"] = energy.rename(columns=energy_name)
    out = pd.concat(by_rule.values(), axis=1)
    names = [energy_name(c) if rules[c] == "energy" else c for c in local.columns]
    out = out[names]
    out.index = out.index.tz_convert("UTC")
    out.index.name = "time"
    return out


class ExportCache:
    """Rendered answers of succeeded runs, which never change; least recently used goes first.

    Keys must identify the stored result exactly (run id and its attempt and
    finish time, e.g. the ETag of :func:`api.conditional.answer_etag`) and the
    request (table, format, aggregation, columns). Bounded by entries and by
    bytes [B]; a body over an eighth of ``max_bytes`` is not kept.
    """

    def __init__(self, max_entries: int = 256, max_bytes: int = 256 * 2**20) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._bytes = 0
        self._entries: OrderedDict[Hashable, tuple[bytes, str | None, dict[str, str]]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Response | None:
        """Return a fresh response with the cached body, or None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
        body, media_type, headers = entry
        return Response(body, media_type=media_type, headers=headers)

    def put(self, key: Hashable, response: Response) -> None:
        """Store the body, media type and headers of ``response``."""
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        body = bytes(response.body)
        if len(body) > self.max_bytes // 8:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            self._bytes -= len(old[0]) if old is not None else 0
            self._entries[key] = (body, response.media_type, headers)
            self._bytes += len(body)
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, (dropped, _, _) = self._entries.popitem(last=False)
                self._bytes -= len(dropped)


def _value(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v.item() if hasattr(v, "item") else v


def _time_columns(index: pd.DatetimeIndex, timezone: str) -> tuple[list[str], list[str]]:
    local = [t.isoformat() for t in index.tz_convert(timezone)]
    utc = [t.isoformat() for t in index.tz_convert("UTC")]
    return local, utc


def frame_response(
    frame: pd.DataFrame,
    fmt: str,
    info: ExportInfo,
    extra: dict[str, Any] | None = None,
    filename: str = "export",
) -> Response:
    """Answer a time series as JSON (records) or CSV, with licence and source."""
    index = require_utc_index(frame.index, "export")
    local, utc = _time_columns(index, info.timezone)
    headers = info.http_headers()
    if fmt == "csv":
        out = frame.copy()
        out.insert(0, "time_utc", utc)
        out.insert(0, "time_local", local)
        headers["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return Response(
            neutralise_formulas(csv_with_header(out, info.header_lines())),
            media_type="text/csv; charset=utf-8",
            headers=headers,
        )
    columns = [str(c) for c in frame.columns]
    values = frame.to_numpy(dtype=object)
    rows = [
        {"time_local": t_local, "time_utc": t_utc}
        | dict(zip(columns, map(_value, row), strict=True))
        for t_local, t_utc, row in zip(local, utc, values, strict=True)
    ]
    body: dict[str, Any] = {
        **info.fields(),
        "timezone": info.timezone,
        **(extra or {}),
        "columns": columns,
        "rows": rows,
    }
    return JSONResponse(body, headers=headers)


def csv_response(text: str, info: ExportInfo, filename: str) -> Response:
    """Answer CSV text with the licence headers and a download name."""
    headers = info.http_headers() | {
        "Content-Disposition": f'attachment; filename="{filename}.csv"'
    }
    return Response(
        neutralise_formulas(text), media_type="text/csv; charset=utf-8", headers=headers
    )


#: A cell a spreadsheet would read as a formula: ``= + - @`` (or tab, CR) first (OWASP).
_FORMULA_START = re.compile(r"(?:^|,)\"?[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|nan)$", re.IGNORECASE)


def neutralise_cell(cell: str) -> str:
    """Return ``cell`` with a leading ``'`` if a spreadsheet would run it as a formula.

    Numbers (``-12.5``, ``+3e2``) stay as they are; text that starts with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets the quote
    (OWASP "CSV injection").
    """
    if cell and cell[0] in "=+-@\t\r" and not _NUMBER.match(cell):
        return "'" + cell
    return cell


def neutralise_formulas(text: str) -> str:
    """Return CSV ``text`` with every formula-like cell neutralised (:func:`neutralise_cell`).

    Lines without such a cell are kept byte for byte; the others are parsed
    and written again with the csv module.
    """
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if not _FORMULA_START.search(line):
            continue
        cells = next(csv.reader([line]), [])
        fixed = [neutralise_cell(c) for c in cells]
        if fixed != cells:
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="").writerow(fixed)
            ending = line[len(line.rstrip("\r\n")) :]
            lines[i] = buffer.getvalue() + ending
    return "".join(lines)
