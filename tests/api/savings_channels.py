"""Read the savings of one run from every channel, to check that they say the same.

The savings vocabulary (``energy.kpi``, ``docs/definitions.md``) promises one
number per comparison and metric whichever way a user reads a run. Each
``from_*`` function below reads one channel into :data:`Figures`:
``{(comparison, metric): value}`` for the comparisons :data:`COMPARISONS`
(``B1`` headline, ``B0`` reference, ``nothing_built``) and the metrics
:data:`METRICS`, where the channel holds them:

=============================  ==========================================================
channel                        where the figure is
=============================  ==========================================================
library                        ``ScenarioResult.savings["vs_<b>"][<metric>]``
``/runs/{id}/results``         ``savings.vs_<b>.<metric>``
``/runs/{id}/savings`` JSON    ``totals.<b>.<metric>.total`` (``period=horizon`` or any)
``/runs/{id}/savings`` CSV     rows ``baseline=<b>, source=total, metric=<metric>``
                               (``period=horizon``; ``#`` header lines)
``/compare`` JSON              ``rows[key=<metric>_vs_<b>].values[<column>]``
``/compare`` CSV               row ``key=<metric>_vs_<b>``, column ``<column>``
``energy optimise --json``     ``savings.vs_<b>.<metric>``
``energy savings --json``      ``baselines.<b>[0].<metric>.total`` (``--period horizon``)
run folder ``kpis.json``       ``savings.vs_<b>.<metric>``
=============================  ==========================================================

Every value is comparison minus scenario (a saving is positive when the
optimum is better); ``self_sufficiency_points`` is 100 x (optimum's share -
comparison's share). The dashboard helper adds the dashboard's reading (its
tiles and tables) as one more channel and calls :func:`assert_same_figures`.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import pandas as pd
import pytest

#: The comparisons, headline first.
COMPARISONS = ("B1", "B0", "nothing_built")
#: The metrics every savings channel carries.
METRICS = ("cost_eur", "e_import_kwh", "co2_kg", "self_sufficiency_points")

Figures = dict[tuple[str, str], float]


def from_savings_record(savings: Mapping[str, Mapping[str, Any]]) -> Figures:
    """Read ``{"vs_<b>": {metric: value}}`` (library, /results, CLI optimise, kpis.json)."""
    return {
        (b, m): float(savings[f"vs_{b}"][m])
        for b in COMPARISONS
        for m in METRICS
        if f"vs_{b}" in savings
    }


def from_savings_json(body: Mapping[str, Any]) -> Figures:
    """Read ``GET /runs/{id}/savings`` JSON: ``totals.<b>.<metric>.total``."""
    return {(b, m): float(body["totals"][b][m]["total"]) for b in body["totals"] for m in METRICS}


def from_savings_report(body: Mapping[str, Any]) -> Figures:
    """Read ``SavingsReport.to_dict()`` of the horizon (``energy savings --json``)."""
    return {
        (b, m): float(periods[0][m]["total"])
        for b, periods in body["baselines"].items()
        for m in METRICS
    }


def from_savings_csv(text: str) -> Figures:
    """Read the tidy savings CSV of ``period=horizon``: rows with ``source == total``."""
    table = pd.read_csv(io.StringIO(text), comment="#")
    totals = table[(table["source"] == "total") & (table["period"] == "horizon")]
    return {(str(r.baseline), str(r.metric)): float(r.value) for r in totals.itertuples()}


def from_compare_json(body: Mapping[str, Any], column: str) -> Figures:
    """Read ``GET /compare`` JSON: ``rows[key=<metric>_vs_<b>].values[column]``."""
    rows = {row["key"]: row["values"][column] for row in body["rows"]}
    return {(b, m): float(rows[f"{m}_vs_{b}"]) for b in COMPARISONS for m in METRICS}


def from_compare_csv(text: str, column: str) -> Figures:
    """Read the comparison CSV: row ``key=<metric>_vs_<b>``, the scenario's column."""
    table = pd.read_csv(io.StringIO(text), comment="#").set_index("key")
    return {(b, m): float(table.loc[f"{m}_vs_{b}", column]) for b in COMPARISONS for m in METRICS}


def assert_same_figures(channels: Mapping[str, Figures], rel: float = 1e-9) -> None:
    """Assert that every channel holds every figure, equal to the first channel's.

    Parameters
    ----------
    channels
        Channel name -> its figures; the first is the reference.
    rel
        Relative tolerance (absolute 1e-9 as well, for figures near 0).
    """
    (first, reference), *others = channels.items()
    assert set(reference) == {(b, m) for b in COMPARISONS for m in METRICS}, first
    for name, figures in others:
        missing = set(reference) - set(figures)
        assert not missing, f"{name} lacks {sorted(missing)}"
        for key, value in reference.items():
            assert figures[key] == pytest.approx(value, rel=rel, abs=1e-9), (name, key)
