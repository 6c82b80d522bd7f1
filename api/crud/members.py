"""Members of a cooperative and their shares per scenario: read, replace, and check.

Reading follows the scenario (whoever may read it); replacing needs write
access to it (planners and cooperatives of its organisation, admins). A list
is checked as a whole before it is stored
(:func:`energy.analysis.cooperative.check_member_shares`): its shares must add
up (fractions to 1, EUR to the investment of the scenario's district), else
nothing is stored and the error names the sum.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import Session, select

from api.auth import Principal
from api.crud.common import save
from api.crud.runs import job_inputs
from api.crud.scenarios import get_scenario
from api.tables import Scenario, ScenarioMembers, utcnow


def members_of(session: Session, scenario_id: int) -> ScenarioMembers | None:
    """Return the stored members list of a scenario (no access check), or None."""
    return session.exec(
        select(ScenarioMembers).where(ScenarioMembers.scenario_id == scenario_id)
    ).first()


def get_members(
    session: Session, p: Principal, scenario_id: int
) -> tuple[Scenario, dict[str, float]]:
    """Return a scenario the caller may read and its members (empty if none stored)."""
    scenario = get_scenario(session, p, scenario_id)
    row = members_of(session, scenario_id)
    shares = {} if row is None else {str(m["member"]): float(m["share"]) for m in row.members}
    return scenario, shares


def set_members(
    session: Session, p: Principal, scenario_id: int, shares: Mapping[str, float]
) -> ScenarioMembers:
    """Replace the members list of a scenario the caller may change, after checking its sum."""
    from energy.analysis.cooperative import check_member_shares

    inputs = job_inputs(session, p, scenario_id)  # write access; the exact district
    check_member_shares(shares, inputs.district)
    row = members_of(session, scenario_id) or ScenarioMembers(scenario_id=scenario_id, members=[])
    row.members = [{"member": m, "share": float(v)} for m, v in shares.items()]
    row.created_by_key_id = p.key_id
    row.created_at = utcnow()
    return save(session, row)
