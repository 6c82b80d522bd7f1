"""Exports with licence and provenance: the one place that says what an export may be used for.

Every export of results (CSV, JSON, SVG; from the library, the CLI or the API)
names its licence, its attribution and its source, and the licences of data
that went in:

* :func:`export_info` builds that record from a run's metadata (CC-BY-4.0 for
  our results, :data:`energy.serialise.RESULTS_LICENCE`; ODbL-1.0 added where
  a SimBench grid went in, :data:`SIMBENCH_NOTE`);
* :func:`header_lines` writes it as CSV header lines, :func:`csv_with_header`
  and :func:`write_csv_with_header` put them above a table, :func:`write_json`
  writes JSON-ready data (NaN as null).

Licence texts are published at :data:`LICENCE_URLS`. The API's exports
(``api.exports``) write the same header lines from the same functions.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from energy.serialise import RESULTS_LICENCE, json_safe

#: Where the licences are published.
LICENCE_URLS = {
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "ODbL-1.0": "https://opendatacommons.org/licenses/odbl/1-0/",
}
#: Named in every export (as the API's default attribution).
ATTRIBUTION = "Digitales Stadtwerk Gera planning backend"
#: Data licence listed when a SimBench grid went into a run.
SIMBENCH_NOTE = "ODbL-1.0: SimBench grid data (Meinecke et al. 2020, https://simbench.de)"


def _mentions_simbench(value: Any) -> bool:
    return "simbench" in json.dumps(json_safe(value), default=str).lower()


def export_info(metadata: Mapping[str, Any], source: str | None = None) -> dict[str, Any]:
    """Licence, attribution and provenance of an export of a run's results.

    The licence of our results is CC-BY-4.0. ``data_licences`` lists the
    licences of data that went in: whatever ``metadata["data_licences"]``
    names, and ODbL-1.0 when the run's ``network``, ``grid`` or ``data_files``
    record mentions SimBench.

    Parameters
    ----------
    metadata
        ``ScenarioResult.metadata`` (spec hash, horizon, versions, ...).
    source
        Provenance text; default built from the district name, spec hash and
        horizon in ``metadata`` (naming :mod:`energy.analysis.savings`, which
        reports runs).

    Returns
    -------
    dict
        ``licence``, ``licence_url``, ``attribution``, ``source``, ``data_licences``.
    """
    data_licences = [str(x) for x in metadata.get("data_licences", [])]
    simbench = any(_mentions_simbench(metadata.get(k)) for k in ("network", "grid", "data_files"))
    if simbench and not any("odbl" in x.lower() for x in data_licences):
        data_licences.append(SIMBENCH_NOTE)
    if source is None:
        district = metadata.get("district", {})
        horizon = metadata.get("horizon", {})
        version = metadata.get("versions", {}).get("stadtwerk-energy")
        source = (
            f"scenario run of district {district.get('name', '?')!r} "
            f"(spec sha256 {district.get('spec_hash', '?')}), "
            f"{horizon.get('start', '?')} to {horizon.get('end', '?')}; "
            f"stadtwerk-energy {version or '?'} (energy.analysis.savings)"
        )
    licence = str(metadata.get("licence", RESULTS_LICENCE))
    return {
        "licence": licence,
        "licence_url": LICENCE_URLS.get(licence),
        "attribution": ATTRIBUTION,
        "source": source,
        "data_licences": data_licences,
    }


def header_lines(info: Mapping[str, Any]) -> list[str]:
    """CSV header lines (without ``#``) naming licence, attribution, source, data licences.

    ``info`` has the keys of :func:`export_info`.
    """
    lines = [
        f"licence: {info['licence']} ({info.get('licence_url') or ''})",
        f"attribution: {info['attribution']}",
        f"source: {info['source']}",
    ]
    return lines + [f"contains: {item}" for item in info.get("data_licences", [])]


def csv_with_header(frame: pd.DataFrame, lines: Iterable[str]) -> str:
    """Return ``frame`` (no index) as CSV text after ``# line`` comment lines."""
    buffer = io.StringIO()
    buffer.write("".join(f"# {line}\n" for line in lines))
    frame.to_csv(buffer, index=False, float_format="%.9g", lineterminator="\n")
    return buffer.getvalue()


def write_csv_with_header(frame: pd.DataFrame, path: Path, lines: Iterable[str]) -> Path:
    """Write ``frame`` (no index) as CSV after ``# line`` comment lines."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(csv_with_header(frame, lines), encoding="utf-8")
    return path


def write_json(data: Any, path: Path) -> Path:
    """Write JSON-ready ``data`` (NaN -> null) to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(json_safe(data), indent=2, allow_nan=False, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    return path
