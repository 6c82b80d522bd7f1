"""Ensembles over weather x price years (issue 12).

* new table ``ensembles`` (the weather sources, price years, options and
  economic assumptions of an ensemble of a scenario);
* ``runs`` get ``ensemble_id``: the ensemble a job of kind ``ensemble_member``
  belongs to (its place is ``point_index``, its inputs ``params``).

Revision ID: 0004_ensemble
Revises: 0003_city
Create Date: 2026-12-03 14:55:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_ensemble"
down_revision: str | None = "0003_city"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENSEMBLE_FK = "fk_runs_ensemble_id_ensembles"


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "ensembles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("district_version_id", sa.Integer(), nullable=False),
        sa.Column("weather", sa.JSON(), nullable=False),
        sa.Column("price_years", sa.JSON(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("assumptions", sa.JSON(), nullable=True),
        sa.Column("spec_hash", sa.String(length=64), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("created_by_key_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by_key_id"], ["api_keys.id"]),
        sa.ForeignKeyConstraint(["district_version_id"], ["district_versions.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["scenario_id"], ["scenarios.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ensembles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ensembles_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ensembles_scenario_id"), ["scenario_id"], unique=False)
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ensemble_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_runs_ensemble_id"), ["ensemble_id"], unique=False)
        batch_op.create_foreign_key(
            ENSEMBLE_FK, "ensembles", ["ensemble_id"], ["id"], ondelete="CASCADE"
        )


def downgrade() -> None:
    """Revert this revision (ensemble members are deleted with their column)."""
    op.execute("DELETE FROM runs WHERE kind = 'ensemble_member'")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_constraint(ENSEMBLE_FK, type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_runs_ensemble_id"))
        batch_op.drop_column("ensemble_id")
    op.drop_table("ensembles")
