"""auth: session tokens of staff and household accounts (sessions that really end)

Revision ID: b7e4c2d91f3a
Revises: c9bd85e761f7
Create Date: 2026-12-01 22:40:00

Every existing account gets its own random token, so cookies issued before the
upgrade (which carry no token) log in again once.
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "b7e4c2d91f3a"
down_revision = "c9bd85e761f7"
branch_labels = None
depends_on = None

TABLES = ("staff_user", "household")


def upgrade():
    connection = op.get_bind()
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("session_token", sa.String(length=32), nullable=True))
        rows = sa.table(table, sa.column("id", sa.Integer), sa.column("session_token", sa.String))
        for (ident,) in connection.execute(sa.select(rows.c.id)).all():
            connection.execute(
                rows.update().where(rows.c.id == ident).values(session_token=secrets.token_hex(16))
            )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("session_token", existing_type=sa.String(length=32), nullable=False)


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("session_token")
