"""Work shared out and answers reviewed: chapters and comments assigned to drafters, a
lead drafter's approval of each answer (a consultation setting, on by default).

Answers given before this release were already public: they count as approved.

Revision ID: f2a29f916f83
Revises: 7b3c9e1d4a20
Create Date: 2026-12-01 21:03:32.646349
"""
from alembic import op
import sqlalchemy as sa


revision = 'f2a29f916f83'
down_revision = '7b3c9e1d4a20'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('chapter_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('chapter_position', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['user_account.id'], name=op.f('fk_chapter_assignment_assigned_by_id_user_account')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_chapter_assignment_document_id_document')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_chapter_assignment_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chapter_assignment')),
    sa.UniqueConstraint('document_id', 'chapter_position', name=op.f('uq_chapter_assignment_document_id'))
    )
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignee_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_comment_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_comment_assignee_id_user_account'), 'user_account', ['assignee_id'], ['id'])

    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answer_approval', sa.Boolean(), server_default='1', nullable=False))

    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ready_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('approved_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('approved_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_response_approved_by_id_user_account'), 'user_account', ['approved_by_id'], ['id'])

    op.execute("UPDATE response SET approved_at = updated_at")


def downgrade() -> None:
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_response_approved_by_id_user_account'), type_='foreignkey')
        batch_op.drop_column('approved_by_id')
        batch_op.drop_column('approved_at')
        batch_op.drop_column('ready_at')

    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.drop_column('answer_approval')

    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_comment_assignee_id_user_account'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_comment_assignee_id'))
        batch_op.drop_column('assignee_id')

    op.drop_table('chapter_assignment')
