"""Optional expiry of API keys (issue 13 item 5).

* ``api_keys`` get ``expires_at``: null for a key that never expires (every
  key made before this revision), else the moment after which the key
  answers 401.

Revision ID: 0005_key_expiry
Revises: 0004_ensemble
Create Date: 2026-12-04 03:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_key_expiry"
down_revision: str | None = "0004_ensemble"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Revert this revision (keys then never expire)."""
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
