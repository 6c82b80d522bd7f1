"""Shared output helpers of the ``energy`` CLI: tables for people, JSON for machines."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from energy.errors import EnergyError
from energy.serialise import json_safe

console = Console()
err_console = Console(stderr=True)


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout."""
    sys.stdout.write(json.dumps(json_safe(data), indent=2, ensure_ascii=False) + "\n")


#: Width given to a table written to a pipe or file [characters]: wide enough that
#: no column is cut (rich would fold it to 80 without a terminal).
PIPE_WIDTH = 10_000


def print_table(
    title: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    number_format: str = "{:,.1f}",
) -> None:
    """Print a rich table; floats are formatted with ``number_format``.

    On a terminal the table fits its width; piped or redirected, it takes
    the width it needs (:data:`PIPE_WIDTH` at most), so no column is cut.
    """
    table = Table(title=escape(title))
    for i, col in enumerate(columns):
        table.add_column(escape(col), justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(
            *[escape(number_format.format(v) if isinstance(v, float) else str(v)) for v in row]
        )
    (console if console.is_terminal else Console(width=PIPE_WIDTH)).print(table)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn library errors into a message on stderr and exit code 1, without a traceback."""
    try:
        yield
    except EnergyError as exc:
        err_console.print(f"[bold red]error:[/bold red] {exc}", highlight=False, markup=True)
        raise typer.Exit(code=1) from None
    except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        err_console.print(f"[bold red]error:[/bold red] {exc}", highlight=False)
        raise typer.Exit(code=1) from None


def echo_sources(info: Mapping[str, Any]) -> None:
    """Print one ``contains data under ...`` line per data source of an export.

    ``info`` is :func:`energy.report.exports.export_info`'s record; its
    ``data_licences`` name each data file's licences and attribution.
    """
    for line in info.get("data_licences", []):
        typer.echo(f"contains data under {line}")


def source_fields(info: Mapping[str, Any]) -> dict[str, Any]:
    """Return the licence and data-source fields of an export record, for a CLI's JSON."""
    keys = ("licence", "licence_url", "attribution", "source", "data_licences", "data_sources")
    return {key: info[key] for key in keys if key in info}


def progress_printer(enabled: bool = True) -> Callable[[float, str], None]:
    """Return a progress callback that writes ``[ 42%] message`` lines to stderr."""

    def report(fraction: float, message: str) -> None:
        if enabled:
            err_console.print(f"[{fraction * 100:3.0f}%] {message}", highlight=False)

    return report
