"""calendars: notify feed listeners of changes (PostgreSQL)

A statement-level trigger on reading_session, room, program and community
runs pg_notify('readingroom_feeds', '') after every INSERT, UPDATE, DELETE
or TRUNCATE; each app process listens and reuses the feeds' validators
until one arrives (readingroom/calendars/changes.py). Nothing on SQLite.
The SQL is written out here, not imported, so that this revision stays
what it was whatever the code becomes.

Revision ID: a4298736621e
Revises: 30a595945c5e
Create Date: 2026-11-28 11:37:15.093956

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "a4298736621e"
down_revision = "30a595945c5e"
branch_labels = None
depends_on = None

TABLES = ("reading_session", "room", "program", "community")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE OR REPLACE FUNCTION readingroom_feeds_notify() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_notify('readingroom_feeds', '');
          RETURN NULL;
        END
        $$
        """
    )
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS readingroom_feeds_notify ON {table}")
        op.execute(
            f"CREATE TRIGGER readingroom_feeds_notify "
            f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION readingroom_feeds_notify()"
        )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS readingroom_feeds_notify ON {table}")
    op.execute("DROP FUNCTION IF EXISTS readingroom_feeds_notify()")
