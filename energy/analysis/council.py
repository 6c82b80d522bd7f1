"""What the council report of a finished run shows, gathered for the renderer.

:func:`council_inputs` computes the savings by local month and source
(:func:`energy.analysis.savings.savings_report`) and the grid as GeoJSON
(:func:`energy.models.grid.geojson.to_geojson` of the district's network; for a
district imported with geometry its footprints and feeder routes,
:func:`energy.geometry.district_geojson`), and
hands them with the run to :mod:`energy.report.council`, which renders HTML and
PDF. The CLI (``energy report``) and the API (``GET /runs/{id}/report.pdf``)
both call it, so both show the same figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from energy.analysis.savings import savings_report
from energy.district import District
from energy.errors import InputDataError
from energy.geometry import district_geojson
from energy.models.grid import build_network
from energy.models.grid.geojson import to_geojson
from energy.report.council import CouncilInputs
from energy.scenario import ScenarioResult


def council_inputs(
    result: ScenarioResult,
    district: District,
    run_label: str = "",
    bands: pd.DataFrame | None = None,
) -> CouncilInputs:
    """Gather the council report of ``result`` (run on ``district``).

    Parameters
    ----------
    result
        A finished run with its baseline schedules.
    district
        The district the run used (its network is drawn as the map).
    run_label
        Which run this is, shown under the title.
    bands
        Uncertainty bands of an ensemble (:class:`energy.report.council.CouncilInputs`),
        or None.
    """
    monthly = savings_report(result, "month").frame
    grid_map = (
        district_geojson(district) if district.geometry else to_geojson(build_network(district))
    )
    return CouncilInputs(
        result=result,
        district=district,
        monthly=monthly,
        grid_map=grid_map,
        bands=bands,
        run_label=run_label,
    )


def ensemble_bands(ensemble: Mapping[str, Any], result: ScenarioResult) -> pd.DataFrame:
    """Return the P10/P50/P90 bands of an ensemble (``energy ensemble --out``'s ensemble.json).

    One row per figure with a band: ``indicator`` (the figure in words),
    ``unit``, ``p10``, ``p50``, ``p90`` (:func:`energy.studies.ensemble.distribution`).

    Raises
    ------
    InputDataError
        The record is not an ensemble's, or it ran over another horizon than the run.
    """
    figures = ensemble.get("figures")
    if not isinstance(figures, Mapping):
        raise InputDataError(
            "ensemble: has no 'figures'; give the ensemble.json of energy ensemble"
        )
    horizon = result.metadata.get("horizon", {}).get("label")
    if ensemble.get("horizon_label") != horizon:
        raise InputDataError(
            f"ensemble: ran over {ensemble.get('horizon_label')!r}, the run over {horizon!r}; "
            "give an ensemble of the same horizon"
        )
    rows = [
        {
            "indicator": str(d.get("words", name)),
            "unit": str(d.get("unit", "")),
            "p10": d["p10"],
            "p50": d["p50"],
            "p90": d["p90"],
        }
        for name, d in figures.items()
        if all(isinstance(d.get(k), int | float) for k in ("p10", "p50", "p90"))
    ]
    bands = pd.DataFrame(rows, columns=["indicator", "unit", "p10", "p50", "p90"])
    caption = (
        f"Bandbreite über {ensemble.get('members_ok', '?')} von "
        f"{ensemble.get('members_total', '?')} Ensemble-Mitgliedern (Wetter x Preise), {horizon}"
    )
    if ensemble.get("extrapolated_from"):
        caption += (
            f"; Kapitalwert und Amortisation hochgerechnet aus {ensemble['extrapolated_from']}"
        )
    bands.attrs["caption"] = caption
    return bands
