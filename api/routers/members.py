"""A cooperative's members per scenario and their share of a run (issue 14, item 6).

* ``PUT /scenarios/{id}/members`` (JSON) and ``POST /scenarios/{id}/members/upload``
  (CSV ``member,share``): replace the members list; shares are fractions adding
  up to 1 or EUR adding up to the investment of the scenario's district; a list
  that does not add up is refused (422) with its sum, and nothing is stored;
* ``GET /scenarios/{id}/members``: the stored list;
* ``GET /runs/{id}/members``: each member's investment, annual return, NPV,
  payback and PV energy per year of a succeeded run of the scenario
  (:func:`energy.analysis.cooperative.run_members`; JSON shape in api/README.md).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, File, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api import crud
from api.conditional import NOT_MODIFIED_RESPONSE, cached_read
from api.deps import CurrentKey, ExportCacheDep, PathId, ReaderKey, SessionDep, SettingsDep
from api.runstore import stored_result
from api.uploads import upload_text
from energy.errors import InputDataError
from energy.serialise import json_safe

router = APIRouter(tags=["cooperatives"])

#: Most members one list may hold (energy.analysis.cooperative.MAX_MEMBERS).
MAX_MEMBERS = 10_000


class MemberShare(BaseModel):
    """One member and its share: a fraction (all adding up to 1) or EUR contributed."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    member: str = Field(min_length=1, max_length=200, examples=["Bürgerenergie Gera eG"])
    share: float = Field(ge=0, examples=[0.25])


class MembersIn(BaseModel):
    """A scenario's members list (replaces the stored one)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    members: list[MemberShare] = Field(min_length=1, max_length=MAX_MEMBERS)


class MembersPublic(BaseModel):
    """The stored members list of a scenario (empty if none)."""

    scenario_id: int
    members: list[MemberShare]


def _shares(members: list[MemberShare]) -> dict[str, float]:
    shares: dict[str, float] = {}
    for i, m in enumerate(members):
        if m.member in shares:
            raise InputDataError(
                f"members[{i}].member: {m.member!r} appears twice; name each member once",
                field=f"body.members[{i}].member",
                value=m.member,
            )
        shares[m.member] = m.share
    return shares


def _public(scenario_id: int, shares: dict[str, float]) -> MembersPublic:
    members = [MemberShare(member=m, share=v) for m, v in shares.items()]
    return MembersPublic(scenario_id=scenario_id, members=members)


@router.put(
    "/scenarios/{scenario_id}/members",
    response_model=MembersPublic,
    summary="Replace the members of a cooperative and their shares in a scenario",
    responses={422: {"description": "A member is repeated or the shares do not add up"}},
)
def put_members(
    session: SessionDep, principal: CurrentKey, scenario_id: PathId, body: MembersIn
) -> MembersPublic:
    """Store the members list (all or nothing): fractions adding to 1 or EUR to the investment."""
    shares = _shares(body.members)
    crud.members.set_members(session, principal, scenario_id, shares)
    return _public(scenario_id, shares)


@router.post(
    "/scenarios/{scenario_id}/members/upload",
    response_model=MembersPublic,
    summary="Replace the members of a scenario from a CSV file (member,share)",
    responses={
        422: {"description": "The file is invalid (line and field named) or does not add up"}
    },
)
def upload_members(
    session: SessionDep,
    principal: CurrentKey,
    scenario_id: PathId,
    file: Annotated[UploadFile, File(description="CSV with the header member,share")],
) -> MembersPublic:
    """Store the members list of a CSV file (``energy.analysis.cooperative.read_members_csv``)."""
    from energy.analysis.cooperative import read_members_csv

    shares = read_members_csv(upload_text(file))
    crud.members.set_members(session, principal, scenario_id, shares)
    return _public(scenario_id, shares)


@router.get(
    "/scenarios/{scenario_id}/members",
    response_model=MembersPublic,
    summary="The members of a cooperative and their shares in a scenario",
)
def get_members(session: SessionDep, principal: ReaderKey, scenario_id: PathId) -> MembersPublic:
    """Return the stored members list of a scenario (empty if none)."""
    _, shares = crud.members.get_members(session, principal, scenario_id)
    return _public(scenario_id, shares)


@router.get(
    "/runs/{run_id}/members",
    summary="Each member's investment, annual return, NPV, payback and energy of a run",
    response_class=JSONResponse,
    responses={
        **NOT_MODIFIED_RESPONSE,
        409: {"description": "The run has not succeeded (yet)"},
        422: {"description": "The scenario has no members, or their shares no longer add up"},
    },
)
def run_members(
    request: Request,
    session: SessionDep,
    principal: ReaderKey,
    settings: SettingsDep,
    cache: ExportCacheDep,
    run_id: PathId,
) -> Response:
    """Split the run's whole-system economics (as ``/compare``) among the scenario's members.

    JSON (api/README.md "Members"): ``members`` (one row per member:
    ``member``, ``share_frac``, ``investment_eur``, ``annual_savings_eur``,
    ``annual_opex_eur``, ``annual_return_eur`` [EUR/year],
    ``return_frac_per_year``, ``npv_eur``, ``payback_simple_years``,
    ``payback_discounted_years``, ``energy_kwh_per_year``), ``total`` (their
    sums, equal to ``project``), ``project``, ``annual_basis`` and
    ``extrapolated_from``, plus ``run_id``, ``scenario_id`` and the licence fields.
    Strong ``ETag`` (the run and the members list); ``If-None-Match`` with it gets 304.
    """
    from energy.analysis.cooperative import run_members as split

    run = crud.results.get_succeeded_run(session, principal, run_id)
    assert run.scenario_id is not None
    _, shares = crud.members.get_members(session, principal, run.scenario_id)
    if not shares:
        raise InputDataError(
            f"scenario {run.scenario_id}: has no members; PUT /scenarios/{run.scenario_id}/members "
            "first",
            field="scenario_id",
            value=run.scenario_id,
        )

    def render() -> Response:
        row = crud.results.result_of(session, run)
        result, district, info = stored_result(session, settings, run, row)
        body: dict[str, Any] = {
            **info.fields(),
            "run_id": run.id,
            "scenario_id": run.scenario_id,
            **split(result, district, shares),
        }
        return JSONResponse(json_safe(body), headers=info.http_headers())

    members = json.dumps(list(shares.items()))  # in the order stored: the answer's order
    keyless = principal.key_id is None
    return cached_read(request, settings, cache, run, keyless, render, inputs=[members])
