"""Drop the index on comment.submission_key: nothing looks a comment up by it.

Resubmissions are recognised by the unique key of submission_claim, which holds the same
key; the comment's copy is kept for the record, and its index only cost every comment an
insert into it.

Revision ID: 4e61dee970a0
Revises: bb4d2dfb817c
Create Date: 2026-12-02 11:00:00.000000
"""
from alembic import op


revision = '4e61dee970a0'
down_revision = 'bb4d2dfb817c'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comment_submission_key'))


def downgrade() -> None:
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_submission_key'), ['submission_key'],
                              unique=False)
