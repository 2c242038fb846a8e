"""Submission claims (a duplicate submission returns the first receipt whatever the
timing) and session versions (sign-out and a new password end every session).

Revision ID: e26ed2bf49fc
Revises: 594c6cb12e35
Create Date: 2026-12-01 19:18:11.520292
"""
from alembic import op
import sqlalchemy as sa


revision = 'e26ed2bf49fc'
down_revision = '594c6cb12e35'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('submission_claim',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_submission_claim_comment_id_comment')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_submission_claim'))
    )
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('session_version')

    op.drop_table('submission_claim')
