"""Members of a cooperative and their shares per scenario (issue 14, item 6).

* new table ``scenario_members``: one members list (JSON) per scenario,
  deleted with its scenario.

Revision ID: 0003_city
Revises: 0002
Create Date: 2026-12-03 14:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_city"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "scenario_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("created_by_key_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by_key_id"], ["api_keys.id"]),
        sa.ForeignKeyConstraint(["scenario_id"], ["scenarios.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("scenario_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scenario_members_scenario_id"), ["scenario_id"], unique=True
        )


def downgrade() -> None:
    """Revert this revision (the members lists are deleted)."""
    with op.batch_alter_table("scenario_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scenario_members_scenario_id"))
    op.drop_table("scenario_members")
