"""Revised versions: a version is published (or waits for its clause matching to be
confirmed), clause matches across versions, and the lineage of every clause into the
current version.

Versions imported before this release were each made current at import: they count as
published then, matched to the previous version by clause key.

Revision ID: 7b3c9e1d4a20
Revises: 325016ffe4df
Create Date: 2026-12-02 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '7b3c9e1d4a20'
down_revision = '325016ffe4df'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('document_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('previous_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('matching_confirmed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('matching_confirmed_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_document_version_previous_id_document_version'), 'document_version', ['previous_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_document_version_matching_confirmed_by_id_user_account'), 'user_account', ['matching_confirmed_by_id'], ['id'])

    op.create_table('clause_match',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('old_clause_id', sa.Integer(), nullable=True),
    sa.Column('new_clause_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('similarity', sa.Float(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['new_clause_id'], ['clause.id'], name=op.f('fk_clause_match_new_clause_id_clause')),
    sa.ForeignKeyConstraint(['old_clause_id'], ['clause.id'], name=op.f('fk_clause_match_old_clause_id_clause')),
    sa.ForeignKeyConstraint(['version_id'], ['document_version.id'], name=op.f('fk_clause_match_version_id_document_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clause_match'))
    )
    with op.batch_alter_table('clause_match', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clause_match_version_id'), ['version_id'], unique=False)

    op.create_table('clause_lineage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('clause_id', sa.Integer(), nullable=False),
    sa.Column('current_clause_id', sa.Integer(), nullable=True),
    sa.Column('deleted_in', sa.Integer(), nullable=True),
    sa.Column('first', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['clause_id'], ['clause.id'], name=op.f('fk_clause_lineage_clause_id_clause')),
    sa.ForeignKeyConstraint(['current_clause_id'], ['clause.id'], name=op.f('fk_clause_lineage_current_clause_id_clause')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_clause_lineage_document_id_document')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clause_lineage')),
    sa.UniqueConstraint('clause_id', 'current_clause_id', name=op.f('uq_clause_lineage_clause_id'))
    )
    with op.batch_alter_table('clause_lineage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clause_lineage_clause_id'), ['clause_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clause_lineage_current_clause_id'), ['current_clause_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clause_lineage_document_id'), ['document_id'], unique=False)

    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.create_index('ix_comment_document_clause_id_state', ['document_id', 'clause_id', 'state', 'received_at'], unique=False)

    _backfill(op.get_bind())


def _backfill(bind) -> None:
    """Existing versions: published when imported, matched by key, lineage by key."""
    bind.execute(sa.text("UPDATE document_version SET published_at = imported_at, "
                         "matching_confirmed_at = imported_at"))
    documents = bind.execute(sa.text("SELECT id FROM document")).scalars().all()
    for document_id in documents:
        versions = bind.execute(sa.text(
            "SELECT id FROM document_version WHERE document_id = :d ORDER BY number"),
            {"d": document_id}).scalars().all()
        clauses = {v: {key: (cid, text) for cid, key, text in bind.execute(sa.text(
            "SELECT id, key, text FROM clause WHERE version_id = :v ORDER BY position"),
            {"v": v})} for v in versions}
        for previous, version in zip(versions, versions[1:]):
            bind.execute(sa.text("UPDATE document_version SET previous_id = :p WHERE id = :v"),
                         {"p": previous, "v": version})
            old, new = clauses[previous], clauses[version]
            position = 0
            for key, (cid, text) in new.items():
                if key in old:
                    kind = "same" if str(old[key][1]) == str(text) else "changed"
                    pair = (old[key][0], cid)
                else:
                    kind, pair = "new", (None, cid)
                bind.execute(sa.text(
                    "INSERT INTO clause_match (version_id, old_clause_id, new_clause_id, kind, "
                    "similarity, position) VALUES (:v, :o, :n, :k, 0, :p)"),
                    {"v": version, "o": pair[0], "n": pair[1], "k": kind, "p": position})
                position += 1
            for key, (cid, _text) in old.items():
                if key not in new:
                    bind.execute(sa.text(
                        "INSERT INTO clause_match (version_id, old_clause_id, new_clause_id, "
                        "kind, similarity, position) VALUES (:v, :o, NULL, 'deleted', 0, :p)"),
                        {"v": version, "o": cid, "p": position})
                    position += 1
        if not versions:
            continue
        numbers = dict(bind.execute(sa.text(
            "SELECT id, number FROM document_version WHERE document_id = :d"),
            {"d": document_id}).all())
        current = clauses[versions[-1]]
        for index, version in enumerate(versions):
            for key, (cid, _text) in clauses[version].items():
                deleted_in = next((numbers[later] for later in versions[index + 1:]
                                   if key not in clauses[later]), None)
                bind.execute(sa.text(
                    "INSERT INTO clause_lineage (document_id, clause_id, current_clause_id, "
                    "deleted_in, first) VALUES (:d, :c, :n, :x, :f)"),
                    {"d": document_id, "c": cid,
                     "n": None if deleted_in is not None else current[key][0],
                     "x": deleted_in, "f": True})


def downgrade() -> None:
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_index('ix_comment_document_clause_id_state')
    with op.batch_alter_table('clause_lineage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clause_lineage_document_id'))
        batch_op.drop_index(batch_op.f('ix_clause_lineage_current_clause_id'))
        batch_op.drop_index(batch_op.f('ix_clause_lineage_clause_id'))
    op.drop_table('clause_lineage')
    with op.batch_alter_table('clause_match', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clause_match_version_id'))
    op.drop_table('clause_match')
    with op.batch_alter_table('document_version', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_document_version_matching_confirmed_by_id_user_account'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_document_version_previous_id_document_version'), type_='foreignkey')
        batch_op.drop_column('matching_confirmed_by_id')
        batch_op.drop_column('matching_confirmed_at')
        batch_op.drop_column('previous_id')
        batch_op.drop_column('published_at')
