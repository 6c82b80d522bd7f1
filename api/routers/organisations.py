"""Organisations, API keys and the caller."""

from __future__ import annotations

from fastapi import APIRouter, status

from api import crud
from api.deps import AuthCacheDep, CurrentKey, Limit, Offset, PathId, SessionDep
from api.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPublic,
    Me,
    OrganisationCreate,
    OrganisationPublic,
    Page,
    public_page,
)

router = APIRouter(tags=["organisations and keys"])


@router.get("/me", summary="Who am I", response_model=Me)
def me(session: SessionDep, principal: CurrentKey) -> Me:
    """Return the caller's key, role and organisation."""
    org = crud.organisations.get_organisation(session, principal, principal.organisation_id)
    return Me(
        key_id=principal.key_id,
        key_name=principal.key_name,
        role=principal.role,
        organisation_id=principal.organisation_id,
        organisation_name=org.name,
    )


@router.post(
    "/organisations",
    status_code=status.HTTP_201_CREATED,
    response_model=OrganisationPublic,
    summary="Create an organisation (admin)",
)
def create_organisation(
    session: SessionDep, principal: CurrentKey, body: OrganisationCreate
) -> OrganisationPublic:
    """Create a utility, city office or cooperative; then give it keys with ``POST /keys``."""
    org = crud.organisations.create_organisation(session, principal, body)
    return OrganisationPublic.model_validate(org, from_attributes=True)


@router.get("/organisations", response_model=Page[OrganisationPublic], summary="List organisations")
def list_organisations(
    session: SessionDep, principal: CurrentKey, offset: Offset = 0, limit: Limit = 50
) -> Page[OrganisationPublic]:
    """Admins see every organisation, everyone else their own."""
    return public_page(
        crud.organisations.list_organisations(session, principal, offset, limit), OrganisationPublic
    )


@router.get(
    "/organisations/{organisation_id}",
    response_model=OrganisationPublic,
    summary="Get an organisation",
)
def get_organisation(
    session: SessionDep, principal: CurrentKey, organisation_id: PathId
) -> OrganisationPublic:
    """Return an organisation the caller belongs to (admins: any)."""
    org = crud.organisations.get_organisation(session, principal, organisation_id)
    return OrganisationPublic.model_validate(org, from_attributes=True)


@router.post(
    "/keys",
    status_code=status.HTTP_201_CREATED,
    response_model=ApiKeyCreated,
    summary="Create an API key (admin, planner)",
)
def create_key(session: SessionDep, principal: CurrentKey, body: ApiKeyCreate) -> ApiKeyCreated:
    """Create a key; the answer shows the key once, the server keeps only its hash.

    ``expires_in_days`` gives it an end (``expires_at`` in the answer and in
    ``GET /keys``); after it the key answers 401 saying so.
    """
    row, key = crud.keys.create_key(session, principal, body)
    public = ApiKeyPublic.model_validate(row, from_attributes=True)
    return ApiKeyCreated.model_validate(public.model_dump() | {"key": key})


@router.get("/keys", response_model=Page[ApiKeyPublic], summary="List API keys")
def list_keys(
    session: SessionDep, principal: CurrentKey, offset: Offset = 0, limit: Limit = 50
) -> Page[ApiKeyPublic]:
    """Admins: all keys; planners: their organisation's; others: their own."""
    return public_page(crud.keys.list_keys(session, principal, offset, limit), ApiKeyPublic)


@router.delete("/keys/{key_id}", response_model=ApiKeyPublic, summary="Revoke an API key")
def revoke_key(
    session: SessionDep, principal: CurrentKey, cache: AuthCacheDep, key_id: PathId
) -> ApiKeyPublic:
    """Revoke a key; it stays listed with ``revoked_at``.

    This API process refuses the key at once; other processes (replicas,
    ``--workers N``) within ``ENERGY_AUTH_CACHE_TTL_S`` (5 s by default).
    """
    row = crud.keys.revoke_key(session, principal, key_id)
    cache.invalidate(row.key_hash)
    return ApiKeyPublic.model_validate(row, from_attributes=True)
