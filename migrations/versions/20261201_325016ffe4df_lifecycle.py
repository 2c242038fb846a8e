"""The consultation lifecycle: the notice's items, its announcement and the decision; a
hearing's short-notice reason; the commenter's withdrawal and erasure; the answer's
language.

Revision ID: 325016ffe4df
Revises: e26ed2bf49fc
Create Date: 2026-12-01 19:50:50.414726
"""
from alembic import op
import sqlalchemy as sa


revision = '325016ffe4df'
down_revision = 'e26ed2bf49fc'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('number', sa.String(length=120), nullable=False),
    sa.Column('adopted_on', sa.Date(), nullable=False),
    sa.Column('text_url', sa.String(length=500), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=True),
    sa.Column('published_url', sa.String(length=500), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_decision_consultation_id_consultation')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_decision_recorded_by_id_user_account')),
    sa.ForeignKeyConstraint(['version_id'], ['document_version.id'], name=op.f('fk_decision_version_id_document_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decision')),
    sa.UniqueConstraint('consultation_id', name=op.f('uq_decision_consultation_id'))
    )
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('proposal', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('documents_at', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('how_to_comment', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('legal_basis', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('assessment_applies', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('assessment_at', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('announced_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('period_justification', sa.JSON(), nullable=False, server_default='{}'))

    # A consultation already given a period before this release was already public.
    op.execute("UPDATE consultation SET announced_at = created_at WHERE opens_at IS NOT NULL")

    with op.batch_alter_table('hearing', schema=None) as batch_op:
        batch_op.add_column(sa.Column('short_notice_reason', sa.Text(), nullable=False, server_default=''))

    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=False, server_default=''))



def downgrade() -> None:
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('language')

    with op.batch_alter_table('hearing', schema=None) as batch_op:
        batch_op.drop_column('short_notice_reason')

    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.drop_column('period_justification')
        batch_op.drop_column('announced_at')
        batch_op.drop_column('assessment_at')
        batch_op.drop_column('assessment_applies')
        batch_op.drop_column('legal_basis')
        batch_op.drop_column('how_to_comment')
        batch_op.drop_column('documents_at')
        batch_op.drop_column('proposal')

    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_column('erased_at')
        batch_op.drop_column('withdrawn_at')

    op.drop_table('decision')
