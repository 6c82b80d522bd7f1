"""API keys: made by admins and planners; seen and revoked as :func:`api.auth.key_visible` says."""

from __future__ import annotations

from sqlmodel import Session, col

from api.auth import Principal, can_manage_keys, can_revoke_key, create_api_key, key_visible
from api.crud.common import get_visible, page
from api.crud.organisations import get_organisation
from api.errors import ForbiddenError
from api.schemas import ApiKeyCreate, Page, Role
from api.tables import ApiKey, utcnow


def create_key(session: Session, p: Principal, data: ApiKeyCreate) -> tuple[ApiKey, str]:
    """Create a key; admins anywhere, planners in their organisation (not admin keys)."""
    organisation_id = data.organisation_id or p.organisation_id
    get_organisation(session, p, organisation_id)
    if not can_manage_keys(p, organisation_id):
        raise ForbiddenError(f"creating keys needs the role admin or planner; this key is {p.role}")
    if data.role == Role.admin and not p.is_admin:
        raise ForbiddenError("role: only an admin can create admin keys")
    return create_api_key(session, organisation_id, data.name, data.role, data.expires_in_days)


def list_keys(session: Session, p: Principal, offset: int, limit: int) -> Page[ApiKey]:
    """List every key (admins), the organisation's (planners) or the own key (others)."""
    return page(session, ApiKey, key_visible(p), offset, limit, col(ApiKey.id))


def revoke_key(session: Session, p: Principal, key_id: int) -> ApiKey:
    """Revoke a key (it stays listed with ``revoked_at``): admins any, others their own."""
    key = get_visible(session, ApiKey, key_id, key_visible(p), "key")
    if not can_revoke_key(p, key):
        raise ForbiddenError(
            f"key {key_id}: only an admin may revoke another key; this key is {p.role.value}"
        )
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        session.commit()
        session.refresh(key)
    return key
