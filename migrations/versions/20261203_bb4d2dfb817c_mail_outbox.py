"""The outbox: e-mail messages owed to commenters who left an address (consult.mail).

A row names the event and its delivery (state, attempts, next attempt, last error); it
holds no address and no text: both are read from the comment when the message is sent.

Revision ID: bb4d2dfb817c
Revises: f2a29f916f83
Create Date: 2026-12-03 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'bb4d2dfb817c'
down_revision = 'f2a29f916f83'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('event_key', sa.String(length=80), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_outbox_message_comment_id_comment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message')),
    sa.UniqueConstraint('event_key', name=op.f('uq_outbox_message_event_key'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_message_comment_id'), ['comment_id'], unique=False)
        batch_op.create_index('ix_outbox_message_state_next_attempt_at', ['state', 'next_attempt_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_state_next_attempt_at')
        batch_op.drop_index(batch_op.f('ix_outbox_message_comment_id'))

    op.drop_table('outbox_message')
