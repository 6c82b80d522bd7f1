"""``energy report RUN_DIR --out report.pdf``: the council report of a run folder.

The run folder is one written by ``energy optimise --out`` or ``energy compare
--out`` (:func:`energy.report.results.write_outputs`); the district file must
be the one the run used (its spec hash is checked). The format follows the
suffix of ``--out``: ``.pdf`` (WeasyPrint) or ``.html``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from energy.cli._options import RunDirArg, RunDistrictOpt
from energy.cli._output import friendly_errors
from energy.errors import InputDataError

#: Suffixes ``--out`` may have.
REPORT_SUFFIXES = (".pdf", ".html")


def report_command(
    run_dir: RunDirArg,
    out: Annotated[Path, typer.Option("--out", help="report.pdf or report.html")],
    district_file: RunDistrictOpt = None,
    ensemble: Annotated[
        Path | None,
        typer.Option("--ensemble", help="ensemble.json of energy ensemble --out (bands)"),
    ] = None,
) -> None:
    """Write the council report of a run (German; plain-language summary on page 1)."""
    from energy.analysis.council import council_inputs, ensemble_bands
    from energy.report.council import render_html, render_pdf
    from energy.report.results import load_run_with_district

    with friendly_errors():
        if out.suffix.lower() not in REPORT_SUFFIXES:
            raise InputDataError(
                f"--out: {str(out)!r} has the suffix {out.suffix!r}; give one of "
                f"{', '.join(REPORT_SUFFIXES)}"
            )
        result, district = load_run_with_district(run_dir, district_file)
        bands = None
        if ensemble is not None:
            record = json.loads(ensemble.read_text(encoding="utf-8"))
            bands = ensemble_bands(record, result)
        label = f"Lauf aus {run_dir.name}"
        inputs = council_inputs(result, district, run_label=label, bands=bands)
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix.lower() == ".pdf":
            out.write_bytes(render_pdf(inputs))
        else:
            out.write_text(render_html(inputs), encoding="utf-8")
    typer.echo(f"wrote {out}")


def register(app: typer.Typer) -> None:
    """Add the ``report`` command to ``app``."""
    app.command("report")(report_command)
