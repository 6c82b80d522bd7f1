"""Options shared by the ``energy`` commands that run scenarios (typer ``Annotated`` aliases).

The values go into :class:`energy.scenario.ScenarioOptions`, which checks
them and names any bad one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

FileArg = Annotated[Path, typer.Argument(help="District YAML or JSON file")]
StartOpt = Annotated[str, typer.Option("--start", help="First local day, YYYY-MM-DD")]
DaysOpt = Annotated[int, typer.Option("--days", min=1, max=366, help="Number of local days")]
ResolutionOpt = Annotated[str, typer.Option("--resolution", help="15min, 30min or 1h")]
ObjectiveOpt = Annotated[str, typer.Option("--objective", help="cost, co2 or import (autarky)")]
WeatherOpt = Annotated[
    str | None,
    typer.Option("--weather", help="Weather file or 'clearsky' (default: shipped TRY)"),
]
AllowSiteMismatchOpt = Annotated[
    bool,
    typer.Option(
        "--allow-site-mismatch",
        help="Run with weather recorded far from the site or in another time zone (warned)",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output")]
MinSelfSufficiencyOpt = Annotated[
    float | None,
    typer.Option(
        "--min-self-sufficiency",
        help="Autarky target: at least this self-sufficiency over the horizon [0..1], e.g. 0.5",
    ),
]
AutarkyMetricOpt = Annotated[
    str,
    typer.Option(
        "--autarky-metric",
        help="What --min-self-sufficiency counts: self_sufficiency (electricity) or "
        "self_sufficiency_heat (electricity and heat)",
    ),
]
RunDirArg = Annotated[Path, typer.Argument(help="Run folder (energy optimise --out)")]
RunDistrictOpt = Annotated[
    Path | None,
    typer.Option(
        "--district", help="District file the run used (default: the shipped Gera district)"
    ),
]
