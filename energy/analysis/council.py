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

import pandas as pd

from energy.analysis.savings import savings_report
from energy.district import District
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
