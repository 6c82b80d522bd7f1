"""Weather sources: a file (reader chosen by suffix and content), a parsed forecast, a frame.

:func:`read_weather` picks the reader of a file; :func:`load_source` turns any
:data:`WeatherSource` except ``"clearsky"`` into a canonical frame (``None``
is the shipped DWD TRY).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeAlias

import pandas as pd

from energy.errors import InputDataError
from energy.models.weather.dwd_try import DEFAULT_TRY_FILE, read_try
from energy.models.weather.epw import read_epw
from energy.models.weather.frame import check_weather, load_json, read_text
from energy.models.weather.open_meteo import read_open_meteo
from energy.models.weather.pvgis import read_pvgis_tmy

#: What :func:`~energy.models.weather.weather_for_index` accepts as a weather source.
WeatherSource: TypeAlias = str | Path | pd.DataFrame | dict[str, Any] | None


def read_weather(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read any supported weather file, choosing the reader by suffix and content.

    ``.dat`` -> :func:`~energy.models.weather.dwd_try.read_try`; ``.epw`` ->
    :func:`~energy.models.weather.epw.read_epw`; ``.csv`` -> PVGIS TMY CSV;
    ``.json`` -> Open-Meteo if the object has an ``hourly`` block, else PVGIS
    TMY JSON.

    Parameters
    ----------
    path
        The weather file.

    Returns
    -------
    tuple
        The canonical frame and the reader's metadata.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".dat":
        return with_header(*read_try(p), local_clock=True)
    if suffix == ".epw":
        return with_header(*read_epw(p), local_clock=True)
    if suffix == ".csv":
        return with_header(*read_pvgis_tmy(p))
    if suffix == ".json":
        doc = load_json(read_text(p), str(p))
        if isinstance(doc, dict) and "hourly" in doc:
            frame, meta = read_open_meteo(doc)
            frame.attrs["source"] = meta["source"] = str(p)
            return with_header(frame, meta)
        return with_header(*read_pvgis_tmy(p))
    raise InputDataError(
        f"{p}: unknown weather file type {suffix!r}; allowed: .dat (DWD TRY), "
        ".epw, .csv (PVGIS TMY), .json (PVGIS TMY or Open-Meteo)"
    )


def with_header(
    frame: pd.DataFrame, meta: dict[str, Any], local_clock: bool = False
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Put the header's coordinates [deg] and clock into ``frame.attrs`` (site checks).

    ``latitude`` and ``longitude`` come from the reader's metadata unless the
    reader set them already; ``local_clock`` says the file's clock
    (``utc_offset_h``) is a local standard time, not UTC
    (:mod:`energy.models.weather.site`).
    """
    for key in ("latitude", "longitude"):
        if key in meta and frame.attrs.get(key) is None:
            frame.attrs[key] = float(meta[key])
    frame.attrs.setdefault("local_clock", local_clock)
    return frame, meta


def load_source(source: WeatherSource) -> pd.DataFrame:
    """Return the canonical frame of a weather source (file, dict, frame, None = TRY)."""
    if source is None:
        return read_weather(DEFAULT_TRY_FILE)[0]
    if isinstance(source, pd.DataFrame):
        return check_weather(source)
    if isinstance(source, dict):
        return with_header(*read_open_meteo(source))[0]
    return read_weather(source)[0]
