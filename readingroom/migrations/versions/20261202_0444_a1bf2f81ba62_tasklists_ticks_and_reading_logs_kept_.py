"""tasklists: ticks and reading logs kept anonymously when an account is deleted

Revision ID: a1bf2f81ba62
Revises: 461391c28bce
Create Date: 2026-12-02 04:44:13.583330+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a1bf2f81ba62'
down_revision = '461391c28bce'
branch_labels = None
depends_on = None


#: The two tables whose rows outlive a deleted account (tasklists.models.AnonymousWork).
TABLES = ("reading_log_entry", "task_tick")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("household_ref", sa.BigInteger(), nullable=True))
            batch_op.add_column(sa.Column("person_ref", sa.BigInteger(), nullable=True))
            batch_op.add_column(sa.Column("home_community_id", sa.Integer(), nullable=True))
            for column in ("member_id", "household_id"):
                batch_op.alter_column(column, existing_type=sa.INTEGER(), nullable=True)
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_home_community_id_community"),
                "community",
                ["home_community_id"],
                ["id"],
            )


def downgrade():
    for table in TABLES:
        # Before this revision ticks and log entries went with the account: the anonymous
        # ones go.
        op.execute(f"DELETE FROM {table} WHERE member_id IS NULL")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f(f"fk_{table}_home_community_id_community"), type_="foreignkey"
            )
            for column in ("household_id", "member_id"):
                batch_op.alter_column(column, existing_type=sa.INTEGER(), nullable=False)
            for column in ("home_community_id", "person_ref", "household_ref"):
                batch_op.drop_column(column)
