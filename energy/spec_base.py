"""Base of the district spec models: frozen pydantic models that forbid unknown fields.

Shared by :mod:`energy.district` and :mod:`energy.district_flex` (heat pumps,
thermal storage, EV charging), so that both define their models on one base.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

#: An identifier in a district file: letters, digits and ``_ . -``, 1-64 characters.
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]


class SpecModel(BaseModel):
    """Base of all spec models: unknown fields are errors, instances are frozen."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )


def omit_none(data: dict[str, Any], keys: frozenset[str]) -> dict[str, Any]:
    """Return ``data`` without the entries of ``keys`` whose value is None.

    Optional fields added to the spec later are left out of a model's dump
    while unset, so that older district files keep their JSON form and their
    spec hash (run metadata compares it).
    """
    return {k: v for k, v in data.items() if not (v is None and k in keys)}


def validation_problems(exc: ValidationError) -> list[dict[str, Any]]:
    """Return each problem of a ValidationError as ``{"field", "value", "message"}``.

    ``field`` is the path (``buildings[3].annual_kwh``, ``district`` for the
    whole spec), ``value`` the rejected input, ``message`` what is wrong.
    """
    problems = []
    for err in exc.errors():
        loc = ""
        for part in err["loc"]:
            loc += f"[{part}]" if isinstance(part, int) else (f".{part}" if loc else str(part))
        problems.append(
            {
                "field": loc or "district",
                "value": err.get("input"),
                "message": err["msg"].removeprefix("Value error, "),
            }
        )
    return problems


def format_validation_error(exc: ValidationError) -> str:
    """Turn a pydantic ValidationError into lines ``field.path: message (got value)``."""
    lines = []
    for problem in validation_problems(exc):
        value = problem["value"]
        shown = "" if isinstance(value, dict | list) else f" (got {value!r})"
        lines.append(f"{problem['field']}: {problem['message']}{shown}")
    return "\n".join(lines)
