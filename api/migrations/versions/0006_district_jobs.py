"""Jobs of a district (issue 13 item 8: the SimBench import as a job).

* ``runs.scenario_id`` becomes nullable: a job of kind ``simbench_import``
  belongs to a district, not to a scenario; its ``district_version_id`` names
  the version whose spec gets the grid (and so the district). Every other
  kind keeps a scenario;
* ``district_versions.licence`` takes 200 characters instead of 40: the
  licence of SimBench grids (``api.uploads.SIMBENCH_LICENCE``, 51 characters)
  did not fit, so a SimBench import failed on PostgreSQL (SQLite does not
  check lengths).

Revision ID: 0006_district_jobs
Revises: 0005_key_expiry
Create Date: 2026-12-04 19:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_district_jobs"
down_revision: str | None = "0005_key_expiry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.alter_column("scenario_id", existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table("district_versions", schema=None) as batch_op:
        batch_op.alter_column(
            "licence", existing_type=sa.String(length=40), type_=sa.String(length=200)
        )


def downgrade() -> None:
    """Revert this revision.

    Jobs without a scenario (the SimBench imports) are deleted; licences are
    cut to 40 characters.
    """
    op.execute("DELETE FROM runs WHERE scenario_id IS NULL")
    op.execute("UPDATE district_versions SET licence = substr(licence, 1, 40)")
    with op.batch_alter_table("district_versions", schema=None) as batch_op:
        batch_op.alter_column(
            "licence", existing_type=sa.String(length=200), type_=sa.String(length=40)
        )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.alter_column("scenario_id", existing_type=sa.Integer(), nullable=False)
