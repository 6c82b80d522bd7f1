"""Reading what users send as files or raw bodies: district specs, networks, forecasts.

The body size limit is enforced before any of this runs
(:class:`api.errors.BodySizeLimitMiddleware`, 413).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Literal

from fastapi import UploadFile

from energy.district import District, parse_district
from energy.errors import InputDataError

YAML_MEDIA_TYPES = frozenset(
    {"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain"}
)
SIMBENCH_LICENCE = "ODbL-1.0 (SimBench grid data, https://simbench.de)"


def upload_text(upload: UploadFile, field: str = "file") -> str:
    """Return the uploaded file as UTF-8 text, or raise naming ``field``."""
    data = upload.file.read()
    if not data:
        raise InputDataError(f"{field}: the uploaded file {upload.filename!r} is empty")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputDataError(
            f"{field}: {upload.filename!r} is not UTF-8 text (byte {exc.start})"
        ) from exc


def spec_format(filename: str | None, content_type: str | None) -> Literal["yaml", "json"]:
    """Return ``json`` for a ``.json`` name or JSON content type, else ``yaml``."""
    if (filename or "").lower().endswith(".json") or "json" in (content_type or ""):
        return "json"
    return "yaml"


def spec_from_upload(upload: UploadFile, field: str = "file") -> District:
    """Parse an uploaded YAML or JSON district spec."""
    fmt = spec_format(upload.filename, upload.content_type)
    return parse_district(upload_text(upload, field), fmt, source=f"{field} {upload.filename}")


def json_from_upload(upload: UploadFile, field: str = "file") -> Any:
    """Parse an uploaded JSON file, or raise naming ``field`` and the line."""
    try:
        return json.loads(upload_text(upload, field))
    except json.JSONDecodeError as exc:
        raise InputDataError(
            f"{field}: {upload.filename!r} is not valid JSON (line {exc.lineno}: {exc.msg})"
        ) from exc


def network_from_upload(upload: UploadFile, field: str = "file") -> Any:
    """Read an uploaded pandapower JSON network with :func:`energy.models.grid.import_network`."""
    from energy.models.grid import import_network

    text = upload_text(upload, field)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "network.json"
        path.write_text(text, encoding="utf-8")
        try:
            return import_network(path)
        except InputDataError as exc:
            raise InputDataError(
                f"{field}: {upload.filename!r} {str(exc).removeprefix(str(path) + ':')}"
            ) from exc
