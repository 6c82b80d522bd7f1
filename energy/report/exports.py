"""Exports with licence and provenance: the one place that says what an export may be used for.

Every export of results (CSV, JSON, SVG; from the library, the CLI or the API)
names its licence, its attribution and its source, and the licences of data
that went in:

* :func:`export_info` builds that record from a run's metadata (CC-BY-4.0 for
  our results, :data:`energy.serialise.RESULTS_LICENCE`; ODbL-1.0 added where
  a SimBench grid went in, :data:`SIMBENCH_NOTE`);
* :func:`data_sources` lists each data file that went into a run (weather,
  day-ahead prices, CO2 series, an imported grid; the run's
  ``metadata["data_files"]`` and ``metadata["network"]``) with its title,
  attribution and licences as ``data/datapackage.json`` names them (matched by
  SHA-256, else by path), and the BDEW load-profile tables every scenario run
  reads through demandlib (:data:`LOAD_PROFILE_SOURCE`); a file the data
  package does not list is named as such, never given a licence it may not have;
* :func:`header_lines` writes it as CSV header lines, :func:`csv_with_header`
  and :func:`write_csv_with_header` put them above a table, :func:`write_json`
  writes JSON-ready data (NaN as null).

Licence texts are published at :data:`LICENCE_URLS`. The API's exports
(``api.exports``) write the same header lines from the same functions.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from energy.district import DATA_DIR, District
from energy.serialise import RESULTS_LICENCE, json_safe

if TYPE_CHECKING:
    from energy.scenario import ScenarioOptions

#: Where the licences are published.
LICENCE_URLS = {
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "ODbL-1.0": "https://opendatacommons.org/licenses/odbl/1-0/",
}
#: Named in every export (as the API's default attribution).
ATTRIBUTION = "Digitales Stadtwerk Gera planning backend"
#: Data licence listed when a SimBench grid went into a run.
SIMBENCH_NOTE = "ODbL-1.0: SimBench grid data (Meinecke et al. 2020, https://simbench.de)"
#: The Frictionless data package naming every shipped file's source, attribution and licence.
DATAPACKAGE_FILE = DATA_DIR / "datapackage.json"
#: The building loads of every scenario run: demandlib's BDEW tables (a package, not data/).
LOAD_PROFILE_SOURCE: dict[str, Any] = {
    "role": "load_profiles",
    "file": "demandlib bdew_data (selp_series.csv, BDEW 2025 profiles)",
    "sha256": None,
    "resource": None,
    "title": "BDEW standard load profiles (VDEW 1999 and BDEW 2025), as shipped by demandlib",
    "attribution": "BDEW standard load profiles; demandlib (oemof developer group)",
    "licences": ["MIT"],
    "licence_titles": ["MIT License (demandlib)"],
    "licence_urls": ["https://github.com/oemof/demandlib/blob/dev/LICENSE"],
    "source_url": "https://github.com/oemof/demandlib",
    "source_titles": ["BDEW Standardlastprofile Strom, via demandlib (oemof)"],
}


def _mentions_simbench(value: Any) -> bool:
    return "simbench" in json.dumps(json_safe(value), default=str).lower()


@functools.cache
def _resources() -> tuple[dict[str, Any], ...]:
    """Return the resources of :data:`DATAPACKAGE_FILE` (read once)."""
    package = json.loads(DATAPACKAGE_FILE.read_text(encoding="utf-8"))
    return tuple(package["resources"])


def _resource_for(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return the data-package resource of a file record (``path``, ``sha256``), or None."""
    digest = record.get("sha256")
    path = str(record.get("path") or "")
    for resource in _resources():
        if digest and resource.get("hash") == f"sha256:{digest}":
            return resource
    for resource in _resources():
        shipped = DATA_DIR / resource["path"]
        if path in (f"data/{resource['path']}", str(shipped)) or (
            path and Path(path).resolve() == shipped.resolve()
        ):
            return resource
    return None


#: Why an input has no licence in its source record (:func:`data_sources`).
_NO_FILE = "no data file: computed (e.g. the pvlib clear sky) or not found at run time"
_NOT_LISTED = (
    "not a file of data/datapackage.json: its source and licence are not known here; "
    "name them where the results are published"
)


def _file_source(role: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """Return the source record of one data file of a run (see :func:`data_sources`)."""
    path = record.get("path")
    resource = _resource_for(record)
    found: dict[str, Any] = {
        "role": role,
        "file": path,
        "sha256": record.get("sha256"),
        "resource": None,
        "title": None,
        "attribution": None,
        "licences": [],
        "licence_titles": [],
        "licence_urls": [],
        "source_url": None,
        "source_titles": [],
    }
    if resource is None:
        missing = record.get("sha256") is None and not Path(str(path)).is_file()
        return found | {"note": _NO_FILE if missing else _NOT_LISTED}
    return found | {
        "resource": resource["name"],
        "title": resource.get("title"),
        "attribution": resource.get("attribution") or resource.get("title"),
        "licences": [lic["name"] for lic in resource["licenses"]],
        "licence_titles": [lic["title"] for lic in resource["licenses"]],
        "licence_urls": [lic["path"] for lic in resource["licenses"]],
        "source_url": resource["sources"][0]["path"],
        "source_titles": [src["title"] for src in resource["sources"]],
    }


def data_sources(metadata: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each data file that went into a run, with title, attribution and licences.

    Reads ``metadata["data_files"]`` (role -> ``{"path", "sha256"}``, written
    by :func:`energy.scenario.run_scenario`: ``weather``, ``day_ahead``,
    ``co2``) and the ``file`` of ``metadata["network"]`` (an imported
    pandapower JSON grid), and looks each up in ``data/datapackage.json`` by
    SHA-256, else by path. A run with data files also read the BDEW load
    profiles (:data:`LOAD_PROFILE_SOURCE`).

    Returns
    -------
    list of dict
        ``role``, ``file``, ``sha256``, ``resource`` (data-package name or
        None), ``title``, ``attribution`` (the text the licence asks to show),
        ``licences`` (SPDX-style names, e.g. ``CC-BY-4.0``), ``licence_titles``,
        ``licence_urls``, ``source_url``, ``source_titles``; a file the
        package does not list has empty ``licences`` and a ``note`` saying
        so; so has a computed input with no file (the clear sky), which
        :func:`export_info` does not count as data that went in.
    """
    files = metadata.get("data_files") or {}
    sources = [_file_source(str(role), record) for role, record in files.items()]
    network = metadata.get("network") or {}
    if isinstance(network, Mapping) and isinstance(network.get("file"), Mapping):
        sources.append(_file_source("grid", network["file"]))
    if files:
        sources.append(dict(LOAD_PROFILE_SOURCE))
    return sources


def source_line(source: Mapping[str, Any]) -> str:
    """One line naming a data source's licences, attribution, role and file.

    E.g. ``CC-BY-4.0, GeoNutzV: Datenbasis: Deutscher Wetterdienst
    (weather: data/weather/TRY2015_Chemnitz_region09_Jahr.dat; ...)``.
    """
    where = f"{source['role']}: {source['file']}"
    if not source["licences"]:
        return f"licence not known: {where} ({source.get('note', '')})"
    return f"{', '.join(source['licences'])}: {source['attribution']} ({where}; {source['title']})"


def export_info(metadata: Mapping[str, Any], source: str | None = None) -> dict[str, Any]:
    """Licence, attribution and provenance of an export of a run's results.

    The licence of our results is CC-BY-4.0. ``data_licences`` lists the
    licences of data that went in, one line each: whatever
    ``metadata["data_licences"]`` names, ODbL-1.0 when the run's ``network``,
    ``grid`` or ``data_files`` record mentions SimBench, and a
    :func:`source_line` of each of :func:`data_sources` (e.g. the DWD weather
    and the SMARD prices, both CC-BY-4.0). ``data_sources`` holds the same
    sources as records.

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
        ``licence``, ``licence_url``, ``attribution``, ``source``,
        ``data_licences``, ``data_sources``.
    """
    data_licences = [str(x) for x in metadata.get("data_licences", [])]
    simbench = any(_mentions_simbench(metadata.get(k)) for k in ("network", "grid", "data_files"))
    if simbench and not any("odbl" in x.lower() for x in data_licences):
        data_licences.append(SIMBENCH_NOTE)
    sources = data_sources(metadata)
    lines = [source_line(s) for s in sources if s["licences"] or s["sha256"] is not None]
    data_licences += [line for line in lines if line not in data_licences]
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
        "data_sources": sources,
    }


def study_export_info(district: District, options: ScenarioOptions, source: str) -> dict[str, Any]:
    """:func:`export_info` of a study of many runs (sweep, sizing, annual figures).

    The runs of a study share ``district``'s data files under ``options``
    (:func:`energy.scenario.scenario_data_files`), so their sources are
    named as a single run's are.
    """
    from energy.scenario import scenario_data_files

    metadata = {
        "district": {"name": district.site.name, "spec_hash": district.spec_hash()},
        "data_files": scenario_data_files(district, options),
    }
    return export_info(metadata, source=source)


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


#: Units by the end of a column's name, longest first (docs/definitions.md "Units").
UNIT_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_eur_per_kwh", "EUR/kWh"),
    ("_eur_per_year", "EUR/a"),
    ("_eur_per_kw", "EUR/kW"),
    ("_g_per_kwh", "g/kWh"),
    ("_kwh", "kWh"),
    ("_kwp", "kWp"),
    ("_kva", "kVA"),
    ("_kw", "kW"),
    ("_eur", "EUR"),
    ("_kg", "kg"),
    ("_g", "g"),
    ("_frac", "fraction 0..1"),
    ("_points", "percentage points"),
    ("_pu", "p.u."),
    ("_pct", "%"),
    ("_years", "a"),
    ("_h", "h"),
    ("_s", "s"),
)
#: Numeric columns without a unit suffix: what they are.
DIMENSIONLESS = {
    "self_sufficiency": "fraction 0..1",
    "self_consumption": "fraction 0..1",
    "level": "fraction 0..1 of full lighting power",
    "battery_cycles": "full cycles",
    "annualisation_factor": "1 (8760 h / horizon hours)",
}
#: The header line of every CSV that says where the units are.
UNITS_LINE = (
    "units: the end of a column's name (after any ':asset'; before '_added' or "
    "'_vs_<baseline>'): " + ", ".join(f"{s} {u}" for s, u in UNIT_SUFFIXES) + "; shares "
    "self_sufficiency, self_consumption and level are fractions 0..1 (docs/definitions.md)"
)


def column_unit(name: str) -> str | None:
    """Return the unit of a column by the convention of :data:`UNITS_LINE` (None: no unit).

    E.g. ``p_charge_kw:BAT-Q`` -> ``kW``, ``cost_eur_vs_B1`` -> ``EUR``,
    ``pv_kwp_added`` -> ``kWp``, ``self_sufficiency`` -> ``fraction 0..1``.
    """
    quantity = name.partition(":")[0].lower()
    quantity = quantity.split("_vs_")[0].removesuffix("_added")
    for suffix, unit in UNIT_SUFFIXES:
        if quantity.endswith(suffix):
            return unit
    return DIMENSIONLESS.get(quantity)


def csv_with_header(frame: pd.DataFrame, lines: Iterable[str]) -> str:
    """Return ``frame`` (no index) as CSV text after ``# line`` comment lines.

    The last header line is :data:`UNITS_LINE`: each column's unit is the end
    of its name (:func:`column_unit`).
    """
    buffer = io.StringIO()
    buffer.write("".join(f"# {line}\n" for line in [*lines, UNITS_LINE]))
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
