"""Scenarios: a district (version) plus changes, horizon and objective."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api import crud
from api.deps import CurrentKey, Limit, Offset, PathId, QueryId, ReaderKey, SessionDep
from api.schemas import Page, ScenarioCreate, ScenarioPublic, ScenarioUpdate, public_page

router = APIRouter(prefix="/scenarios", tags=["scenarios"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ScenarioPublic,
    summary="Create a scenario (planner, cooperative, admin)",
    responses={422: {"description": "A field is invalid; the message names it"}},
)
def create_scenario(
    session: SessionDep, principal: CurrentKey, body: ScenarioCreate
) -> ScenarioPublic:
    """Create a scenario on a district the caller may read; it is checked against that district.

    Changes (added PV, batteries, lighting classes, a tariff) refer to the
    district's buildings and lighting groups; a change naming an unknown one
    is refused with 422.
    """
    return ScenarioPublic.model_validate(
        crud.scenarios.create_scenario(session, principal, body), from_attributes=True
    )


@router.get("", response_model=Page[ScenarioPublic], summary="List scenarios")
def list_scenarios(
    session: SessionDep,
    principal: ReaderKey,
    offset: Offset = 0,
    limit: Limit = 50,
    district_id: QueryId = None,
) -> Page[ScenarioPublic]:
    """List the scenarios the caller may read (own organisation's and published), newest first."""
    return public_page(
        crud.scenarios.list_scenarios(session, principal, offset, limit, district_id),
        ScenarioPublic,
    )


@router.get("/{scenario_id}", response_model=ScenarioPublic, summary="Get a scenario")
def get_scenario(session: SessionDep, principal: ReaderKey, scenario_id: PathId) -> ScenarioPublic:
    """Return one scenario."""
    return ScenarioPublic.model_validate(
        crud.scenarios.get_scenario(session, principal, scenario_id), from_attributes=True
    )


@router.patch(
    "/{scenario_id}",
    response_model=ScenarioPublic,
    summary="Update a scenario (planner, cooperative, admin of its organisation)",
)
def update_scenario(
    session: SessionDep, principal: CurrentKey, scenario_id: PathId, body: ScenarioUpdate
) -> ScenarioPublic:
    """Change a scenario; runs already made keep the inputs they were made with."""
    return ScenarioPublic.model_validate(
        crud.scenarios.update_scenario(session, principal, scenario_id, body), from_attributes=True
    )


@router.delete(
    "/{scenario_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a scenario with its runs",
    responses={409: {"description": "A run of the scenario is queued or running"}},
)
def delete_scenario(session: SessionDep, principal: CurrentKey, scenario_id: PathId) -> Response:
    """Delete a scenario, its runs and their results; refused while a run is active."""
    crud.scenarios.delete_scenario(session, principal, scenario_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
