"""Records -> open-data JSON objects, in the shapes openapi.py describes.

Codes, not labels: the API is language-neutral, every text kept per language is given
in all its languages. Comments are given in their public form only (the same rules as
every public surface, consult.comments.public): no e-mail address ever, a person's name only
with consent "full" on a published comment, hidden, withdrawn or unconsented text withheld
with the reason code.
"""
from __future__ import annotations

from datetime import datetime

from flask import url_for

from ...comments.public import answer_public, public_form
from ...drafts.revisions import Fate
from ...models import Clause, Comment, Document, DocumentVersion, Hearing, Section


def when(value: datetime | None) -> str | None:
    """A stored naive-UTC time as RFC 3339 in UTC."""
    return value.isoformat(timespec="seconds") + "Z" if value else None


def version_summary(document: Document, version: DocumentVersion) -> dict:
    return {"number": version.number, "title": version.title, "languages": version.languages,
            "demonstration": version.demonstration, "imported_at": when(version.imported_at),
            "published_at": when(version.published_at),
            "url": url_for("api.version", slug=document.slug, number=version.number,
                           _external=True)}


def document(document: Document) -> dict:
    current = document.current_version
    return {"slug": document.slug, "kind": document.kind,
            "title": current.title if current else {},
            "current_version": current.number if current else None,
            "versions": [version_summary(document, v) for v in document.versions
                         if v.published_at is not None],
            "url": url_for("api.document", slug=document.slug, _external=True)}


def section(item: Section) -> dict:
    return {"position": item.position, "level": item.level, "heading": item.heading,
            "html": item.body_html, "columns": item.columns, "annex": item.annex}


def clause(item: Clause, section_positions: dict[int, int]) -> dict:
    return {"key": item.key, "position": item.position,
            "section": section_positions.get(item.section_id), "html": item.html,
            "text": item.text, "cells": item.cells}


def version(document: Document, item: DocumentVersion) -> dict:
    positions = {s.id: s.position for s in item.sections}
    data = version_summary(document, item)
    data.update({"document": document.slug, "preamble_html": item.preamble_html,
                 "sections": [section(s) for s in item.sections],
                 "clauses": [clause(c, positions) for c in item.clauses]})
    return data


def answer(comment: Comment) -> dict | None:
    response = comment.answer
    if not answer_public(response, comment.document.consultation):
        return None
    return {"status": response.status, "rationale": response.rationale,
            "change": response.change, "updated_at": when(response.updated_at)}


def comment(item: Comment, with_answer: bool, fate: Fate | None = None) -> dict:
    """A comment in its public form; its answer only when ``with_answer`` (results
    published). ``fate``: where its clause stands in the current version."""
    shown = public_form(item)
    return {"id": item.id, "document": item.document.slug, "version": item.version.number,
            "clause": shown.clause_key,
            "current_clauses": list(fate.current) if fate is not None else None,
            "deleted_in_version": fate.deleted_in if fate is not None else None,
            "channel": shown.channel,
            "hearing": item.hearing.slug if item.hearing else None, "language": shown.language,
            "received_at": when(shown.received_at), "in_period": shown.in_period,
            "category": shown.category, "region": shown.region or None,
            "author_name": shown.name or None, "organisation": shown.organisation or None,
            "state": shown.state, "text": shown.text,
            "withheld_reason": shown.withheld or None, "group": shown.group_id,
            "answer": answer(item) if with_answer else None,
            "url": url_for("api.comment", comment_id=item.id, _external=True)}


def hearing(item: Hearing) -> dict:
    return {"slug": item.slug, "city": item.city, "starts_at": when(item.starts_at),
            "ends_at": when(item.ends_at), "venue": item.venue, "format": item.format,
            "online_link": item.online_link or None,
            "languages": [code for code in item.languages.split(",") if code],
            "status": item.status,
            "attendance": {"total": item.attendance_total, "women": item.attendance_women,
                           "men": item.attendance_men, "unstated": item.attendance_unstated,
                           "by_category": item.attendance_by_category or {}}}
