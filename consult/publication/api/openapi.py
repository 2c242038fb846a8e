"""The OpenAPI 3.1 description of the open-data API, built as a plain dict.

Kept next to the routes and checked by tests against the real responses, so the
description and the API cannot drift apart silently.
"""
from __future__ import annotations

from ...comments.public import LISTED_IN_OPEN_DATA
from ...core import languages
from ...core.vocab import (
    CATEGORIES,
    CHANNELS,
    FORMATS,
    HEARING_STATUSES,
    HIDE_REASONS,
    KINDS,
    REGIONS,
    STATUSES,
    WITHHELD,
)
from .services import MAX_ID, MAX_PAGE, MAX_PER_PAGE

NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_INT = {"type": ["integer", "null"]}
DATE_TIME = {"type": "string", "format": "date-time",
             "description": "RFC 3339, UTC (shown to people in Asia/Bishkek)"}
NULLABLE_DATE_TIME = {"type": ["string", "null"], "format": "date-time"}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict, description: str = "") -> dict:
    schema = {"type": "object", "required": list(properties), "properties": properties,
              "additionalProperties": False}
    if description:
        schema["description"] = description
    return schema


def schemas() -> dict:
    """The component schemas, with the enums of ``core.vocab`` and the application's
    languages."""
    codes = list(languages.codes())
    schemas = {
        "Text": {"type": "string", "pattern": "^[^\\x00]*$",
                 "description": "Text without NUL characters (refused anywhere in a request)."},
        "LocalizedText": {
            "type": "object", "description": "One text per language code; a "
            "language the text was not written in is absent.",
            "propertyNames": {"enum": codes},
            "additionalProperties": {"type": "string"}},
        "LocalizedList": {
            "type": "object", "description": "A list of strings per language code.",
            "propertyNames": {"enum": codes},
            "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        "Links": _obj({"self": {"type": "string", "format": "uri"},
                       "first": {"type": "string", "format": "uri"},
                       "last": {"type": "string", "format": "uri"},
                       "prev": {"type": ["string", "null"], "format": "uri"},
                       "next": {"type": ["string", "null"], "format": "uri"}}),
        "VersionSummary": _obj({
            "number": {"type": "integer", "minimum": 1}, "title": _ref("LocalizedText"),
            "languages": {"type": "array", "items": {"enum": codes}},
            "demonstration": {"type": "boolean",
                              "description": "A demonstration text, not an official draft."},
            "imported_at": DATE_TIME, "published_at": DATE_TIME,
            "url": {"type": "string", "format": "uri"}}),
        "Document": _obj({
            "slug": {"type": "string"}, "kind": {"enum": list(KINDS)},
            "title": _ref("LocalizedText"), "current_version": NULLABLE_INT,
            "versions": {"type": "array", "items": _ref("VersionSummary")},
            "url": {"type": "string", "format": "uri"}}),
        "Section": _obj({
            "position": {"type": "integer"},
            "level": {"type": "integer", "minimum": 1, "maximum": 3},
            "heading": _ref("LocalizedText"),
            "html": {"$ref": "#/components/schemas/LocalizedText",
                     "description": "Text of the section that is not a clause (sanitised HTML)."},
            "columns": {"$ref": "#/components/schemas/LocalizedList",
                        "description": "Action-plan table header per language."},
            "annex": NULLABLE_INT}),
        "Clause": _obj({
            "key": {"type": "string", "description": "e.g. 12, 1.2.3, annex-1.4"},
            "position": {"type": "integer"},
            "section": {"type": ["integer", "null"],
                        "description": "Position of the section the clause is in."},
            "html": {"$ref": "#/components/schemas/LocalizedText",
                     "description": "Sanitised HTML per language."},
            "text": {"$ref": "#/components/schemas/LocalizedText",
                     "description": "Plain text per language."},
            "cells": {"$ref": "#/components/schemas/LocalizedList",
                      "description": "Action-plan row cells (HTML) per language."}}),
        "Version": _obj({
            "number": {"type": "integer", "minimum": 1}, "title": _ref("LocalizedText"),
            "languages": {"type": "array", "items": {"enum": codes}},
            "demonstration": {"type": "boolean"}, "imported_at": DATE_TIME,
            "published_at": DATE_TIME,
            "url": {"type": "string", "format": "uri"}, "document": {"type": "string"},
            "preamble_html": _ref("LocalizedText"),
            "sections": {"type": "array", "items": _ref("Section")},
            "clauses": {"type": "array", "items": _ref("Clause")}}),
        "Answer": _obj({
            "status": {"enum": list(STATUSES)},
            "rationale": {"type": "string"},
            "change": {"type": "string", "description": "The change in the revised draft."},
            "updated_at": DATE_TIME}),
        "Comment": _obj({
            "id": {"type": "integer"}, "document": {"type": "string"},
            "version": {"type": "integer", "description": "The version the comment was made on."},
            "clause": {"type": ["string", "null"],
                       "description": "The clause's key in the version the comment was made "
                       "on; null: the whole document."},
            "current_clauses": {"type": ["array", "null"], "items": {"type": "string"},
                                "description": "What the clause is in the current version "
                                "(several after a split; empty when deleted); null: the "
                                "whole document."},
            "deleted_in_version": {"type": ["integer", "null"],
                                   "description": "The version that deleted the clause."},
            "channel": {"enum": list(CHANNELS)},
            "hearing": {"type": ["string", "null"], "description": "Slug of the hearing."},
            "language": {"type": "string"}, "received_at": DATE_TIME,
            "in_period": {"type": "boolean"},
            "category": {"enum": list(CATEGORIES)},
            "region": {"enum": [*REGIONS, None]},
            "author_name": {"type": ["string", "null"],
                            "description": "Only when the author consented to publish the name."},
            "organisation": NULLABLE_STRING,
            "state": {"enum": list(LISTED_IN_OPEN_DATA)},
            "text": {"type": ["string", "null"], "description": "null when withheld"},
            "withheld_reason": {"enum": [*HIDE_REASONS, *WITHHELD, None],
                                "description": "Why the text is withheld (a hide reason, "
                                "no-consent, not-moderated)."},
            "group": {"type": ["integer", "null"],
                      "description": "Duplicate group answered together."},
            "answer": {"oneOf": [_ref("Answer"), {"type": "null"}],
                       "description": "null until the results are published."},
            "url": {"type": "string", "format": "uri"}},
            "A comment in its public form. E-mail addresses are never given."),
        "Attendance": _obj({
            "total": NULLABLE_INT, "women": NULLABLE_INT, "men": NULLABLE_INT,
            "unstated": NULLABLE_INT,
            "by_category": {"type": "object", "additionalProperties": {"type": "integer"}}}),
        "Hearing": _obj({
            "slug": {"type": "string"}, "city": _ref("LocalizedText"),
            "starts_at": NULLABLE_DATE_TIME, "ends_at": NULLABLE_DATE_TIME,
            "venue": _ref("LocalizedText"), "format": {"enum": list(FORMATS)},
            "online_link": NULLABLE_STRING,
            "languages": {"type": "array", "items": {"type": "string"}},
            "status": {"enum": list(HEARING_STATUSES)}, "attendance": _ref("Attendance")}),
        "Totals": _obj({
            "received": {"type": "integer"},
            "by_status": {"type": "object", "propertyNames": {"enum": list(STATUSES)},
                          "additionalProperties": {"type": "integer"}},
            "by_channel": {"type": "object", "propertyNames": {"enum": list(CHANNELS)},
                           "additionalProperties": {"type": "integer"}},
            "by_state": {"type": "object", "additionalProperties": {"type": "integer"}},
            "by_hearing": {"type": "array", "items": _obj({
                "hearing": NULLABLE_STRING, "comments": {"type": "integer"}})}}),
        "Results": _obj({"published_at": NULLABLE_DATE_TIME,
                         "totals": {"oneOf": [_ref("Totals"), {"type": "null"}]}}),
        "Index": _obj({name: {"type": "string", "format": "uri"}
                       for name in ("documents", "comments", "hearings", "results", "openapi")}),
        "Error": _obj({"error": {"type": "string"}, "status": {"type": "integer"},
                       "detail": {"type": "string"}}),
    }
    for name in ("Document", "Comment", "Hearing"):
        schemas[f"{name}Page"] = _page_of(name)
    return schemas


def _page_of(name: str) -> dict:
    return _obj({"data": {"type": "array", "items": _ref(name)},
                 "total": {"type": "integer", "minimum": 0},
                 "page": {"type": "integer", "minimum": 1},
                 "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
                 "links": _ref("Links")})

PARAMETERS = {
    "page": {"name": "page", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}},
    "per_page": {"name": "per_page", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE,
                            "default": 100}},
    "slug": {"name": "slug", "in": "path", "required": True,
             "schema": {"$ref": "#/components/schemas/Text"}},
}


def _json(schema_name: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": _ref(schema_name)}}}


ERRORS = {"400": {"$ref": "#/components/responses/BadRequest"},
          "404": {"$ref": "#/components/responses/NotFound"}}


def _get(summary: str, schema: str, parameters=(), errors=("400", "404")) -> dict:
    return {"get": {"summary": summary, "parameters": list(parameters),
                    "responses": {"200": _json(schema, summary),
                                  **{code: ERRORS[code] for code in errors}}}}


PAGING = ({"$ref": "#/components/parameters/page"},
          {"$ref": "#/components/parameters/per_page"})
SLUG = {"$ref": "#/components/parameters/slug"}
CONSULTATION = {"name": "consultation", "in": "query", "required": False,
                "description": "Slug of one consultation (default: every announced one; for "
                "/results the current one)", "schema": {"$ref": "#/components/schemas/Text"}}


def document(server: str) -> dict:
    """The OpenAPI document, with ``server`` (the API's base URL) as its server."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "consult open data",
            "version": "1.0.0",
            "description": (
                "Public, read-only data of the consultation: the drafts clause by clause in "
                "every language, the comments in their public form (no e-mail address ever; "
                "a name only with the author's consent; hidden, withdrawn or unconsented "
                "text withheld with the reason; comments awaiting moderation not listed), "
                "the answers once the results are published, and the hearings with "
                "attendance. Lists are paginated with page and per_page (at most "
                f"{MAX_PER_PAGE})."),
            "license": {"name": "CC BY 4.0", "identifier": "CC-BY-4.0"},
        },
        "servers": [{"url": server}],
        "paths": {
            "/": _get("Links to the collections", "Index", errors=()),
            "/openapi.json": {"get": {"summary": "This description", "responses": {
                "200": {"description": "OpenAPI 3.1 document",
                        "content": {"application/json": {"schema": {"type": "object"}}}}}}},
            "/documents": _get("Documents and their versions", "DocumentPage",
                               (*PAGING, CONSULTATION), errors=("400", "404")),
            "/documents/{slug}": _get("One document", "Document", (SLUG,)),
            "/documents/{slug}/versions/{number}": _get(
                "One version: sections and clauses with their texts per language", "Version",
                (SLUG, {"name": "number", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 1}})),
            "/comments": _get(
                "Comments in their public form, oldest first", "CommentPage",
                (*PAGING, CONSULTATION,
                 {"name": "document", "in": "query", "required": False,
                  "description": "Document slug", "schema": {"$ref": "#/components/schemas/Text"}},
                 {"name": "clause", "in": "query", "required": False,
                  "description": "Clause key", "schema": {"$ref": "#/components/schemas/Text"}},
                 {"name": "channel", "in": "query", "required": False,
                  "schema": {"enum": list(CHANNELS)}}),
                errors=("400", "404")),
            "/comments/{comment_id}": _get(
                "One comment in its public form", "Comment",
                ({"name": "comment_id", "in": "path", "required": True,
                  "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}},)),
            "/hearings": _get("Hearings with status and attendance", "HearingPage",
                              (*PAGING, CONSULTATION), errors=("400", "404")),
            "/results": _get("Publication of the results and the totals", "Results",
                             (CONSULTATION,)),
        },
        "components": {
            "schemas": schemas(),
            "parameters": PARAMETERS,
            "responses": {
                "BadRequest": _json("Error", "A parameter is not valid"),
                "NotFound": _json("Error", "Nothing has this name or number"),
            },
        },
    }
