"""places: an index on room.updated_at

The validators of every feed, calendar page and API answer read the latest
update of any room (calendars/queries.py); without an index that is a scan of
every room of the city (10,000 rooms: about 1-10 ms a request on PostgreSQL).

Revision ID: 3f6d2a9c4b1e
Revises: a1bf2f81ba62
Create Date: 2026-12-02 05:00:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "3f6d2a9c4b1e"
down_revision = "a1bf2f81ba62"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("room", schema=None) as batch_op:
        batch_op.create_index("ix_room_updated_at", ["updated_at"], unique=False)


def downgrade():
    with op.batch_alter_table("room", schema=None) as batch_op:
        batch_op.drop_index("ix_room_updated_at")
