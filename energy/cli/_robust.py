"""The ``--robust`` options of ``energy sweep`` and ``energy size`` and their printing.

``--robust npv:p10`` asks for the design whose P10 NPV is best over an
ensemble's members (``--weather`` files x ``--prices`` years, default the six
region-9 TRY files x 2023, 2024); with ``--target 40`` the smallest design
whose statistic reaches 40 (in the figure's unit) (:mod:`energy.studies.robust`).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from energy.cli._output import echo_sources, print_table
from energy.errors import InputDataError
from energy.studies.ensemble import DEFAULT_PRICE_YEARS, DEFAULT_WEATHER_FILES, STATISTICS
from energy.studies.robust import ROBUST_FIGURES, RobustAsk, RobustResult, parse_robust

RobustOpt = Annotated[
    str | None,
    typer.Option(
        "--robust",
        help="Choose over weather x price years by figure:statistic, e.g. npv:p10, "
        "self_sufficiency:p10 (statistics min, p10, p50, p90, max)",
    ),
]
TargetOpt = Annotated[
    float | None,
    typer.Option(
        "--target",
        help="With --robust: the smallest design whose statistic reaches this value "
        "(the figure's unit, e.g. 40 for 40 %)",
    ),
]
RobustWeatherOpt = Annotated[
    str | None,
    typer.Option(
        "--weather",
        help="With --robust: comma-separated weather files (default: the six TRY files)",
    ),
]
RobustPricesOpt = Annotated[
    str | None,
    typer.Option("--prices", help="With --robust: price years, e.g. 2023,2024 (default both)"),
]


def price_years(text: str | None) -> tuple[int | None, ...]:
    """Parse ``--prices 2023,2024``; InputDataError naming the bad entry."""
    if not text:
        return DEFAULT_PRICE_YEARS
    years: list[int | None] = []
    for part in text.split(","):
        try:
            years.append(int(part.strip()))
        except ValueError:
            raise InputDataError(
                f"--prices: {part.strip()!r} is not a year; give years like 2023,2024"
            ) from None
    return tuple(years)


def robust_ask(
    robust: str, target: float | None, weather: str | None, prices: str | None
) -> RobustAsk:
    """Return the :class:`~energy.studies.robust.RobustAsk` of the command's options."""
    figure, statistic = parse_robust(robust)
    sources = (
        tuple(s.strip() for s in weather.split(",") if s.strip())
        if weather
        else tuple(str(p) for p in DEFAULT_WEATHER_FILES)
    )
    return RobustAsk(figure, statistic, target, sources, price_years(prices))


def print_robust(result: RobustResult, title: str) -> None:
    """Print every design's figure of the ask over the members, the choice and the sources."""
    figure = result.ask.figure
    unit = ROBUST_FIGURES[figure][2]
    rows: list[list[Any]] = []
    for d in result.designs:
        f = d["figures"][figure]
        mark = "<-" if d["design"] == result.choice["choice"] else ""
        stats = ["-" if f[k] is None else f[k] for k in STATISTICS]
        rows.append([d["design"], *stats, f["worst_member"] or "-", mark])
    print_table(
        f"{title}: {figure} [{unit}] over {len(result.members)} members",
        ["design", *STATISTICS, "worst member", "chosen"],
        rows,
    )
    typer.echo(result.summary())
    basis = result.extrapolated_from
    typer.echo(
        "baseline: each design against nothing added, on the same member's weather and prices; "
        + (f"annual figures extrapolated_from {basis}" if basis else "annual figures of a year")
    )
    echo_sources(result.info)
