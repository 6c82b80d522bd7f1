"""Sweeps, sizing jobs, meter data and stored baseline schedules (issue 6).

* ``runs`` get a ``kind`` (scenario, sweep_point, sizing; existing rows are
  scenario runs), the ``sweep_id`` and ``point_index`` of a sweep point, and
  ``params`` / ``output`` (JSON inputs and outputs of the non-scenario kinds);
* ``run_results`` keep the baseline schedules B0 and B1 (Parquet), which the
  savings, comparison and meter endpoints need; older runs have none and get
  them recomputed on demand;
* new tables ``sweeps`` and ``meter_data``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 07:33:55.423275
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SWEEP_FK = "fk_runs_sweep_id_sweeps"


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "sweeps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("district_version_id", sa.Integer(), nullable=False),
        sa.Column("grid", sa.JSON(), nullable=False),
        sa.Column("battery_c_rate", sa.Float(), nullable=False),
        sa.Column("battery_at", sa.String(length=100), nullable=False),
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
    with op.batch_alter_table("sweeps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sweeps_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sweeps_scenario_id"), ["scenario_id"], unique=False)

    op.create_table(
        "meter_data",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("step_s", sa.Float(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("series_parquet", sa.LargeBinary(), nullable=False),
        sa.Column("created_by_key_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by_key_id"], ["api_keys.id"]),
        sa.ForeignKeyConstraint(["district_id"], ["districts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("meter_data", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meter_data_district_id"), ["district_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_meter_data_organisation_id"), ["organisation_id"], unique=False
        )

    with op.batch_alter_table("run_results", schema=None) as batch_op:
        batch_op.add_column(sa.Column("baseline_b0_parquet", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("baseline_b1_parquet", sa.LargeBinary(), nullable=True))

    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="scenario")
        )
        batch_op.add_column(sa.Column("sweep_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("point_index", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("params", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("output", sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f("ix_runs_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_runs_sweep_id"), ["sweep_id"], unique=False)
        batch_op.create_foreign_key(SWEEP_FK, "sweeps", ["sweep_id"], ["id"], ondelete="CASCADE")


def downgrade() -> None:
    """Revert this revision (sweep points and sizing jobs are deleted with their columns)."""
    op.execute("DELETE FROM runs WHERE kind <> 'scenario'")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_constraint(SWEEP_FK, type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_runs_sweep_id"))
        batch_op.drop_index(batch_op.f("ix_runs_kind"))
        batch_op.drop_column("output")
        batch_op.drop_column("params")
        batch_op.drop_column("point_index")
        batch_op.drop_column("sweep_id")
        batch_op.drop_column("kind")

    with op.batch_alter_table("run_results", schema=None) as batch_op:
        batch_op.drop_column("baseline_b1_parquet")
        batch_op.drop_column("baseline_b0_parquet")

    with op.batch_alter_table("meter_data", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meter_data_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_meter_data_district_id"))
    op.drop_table("meter_data")

    with op.batch_alter_table("sweeps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sweeps_scenario_id"))
        batch_op.drop_index(batch_op.f("ix_sweeps_organisation_id"))
    op.drop_table("sweeps")
