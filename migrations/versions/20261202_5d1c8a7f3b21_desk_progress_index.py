"""Widen the comment index by clause row with the drafter and the duplicate group.

The drafting desk counts a document's comments, received and answered, by clause and by
the drafter each was given to, on every page; with both columns in the index that pass
reads the index alone, not every comment's row (its text included).

Revision ID: 5d1c8a7f3b21
Revises: 4e61dee970a0
Create Date: 2026-12-02 14:00:00.000000
"""
from alembic import op


revision = '5d1c8a7f3b21'
down_revision = '4e61dee970a0'
branch_labels = None
depends_on = None

NAME = 'ix_comment_document_clause_id_state'
BEFORE = ['document_id', 'clause_id', 'state', 'received_at']


def upgrade() -> None:
    op.drop_index(NAME, table_name='comment')
    op.create_index(NAME, 'comment', [*BEFORE, 'assignee_id', 'group_id'], unique=False)


def downgrade() -> None:
    op.drop_index(NAME, table_name='comment')
    op.create_index(NAME, 'comment', BEFORE, unique=False)
