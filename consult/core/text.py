"""Invisible characters in what people type: removed before anything is stored.

C0 control characters (but tab, line feed and carriage return) and DEL break exports and
terminals. Bidirectional controls (U+202A-U+202E, U+2066-U+2069, U+200E/F, U+061C) and
zero-width characters (U+200B-U+200D, U+2060, U+FEFF) let ``\\u202egnp.exe`` read as
``exe.png`` and hide words from reviewers; Kyrgyz, Russian and English text never needs
them. Every channel's text passes through ``clean`` once, in the intake service.
"""
from __future__ import annotations

import re

INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")


def clean(text: str | None) -> tuple[str, bool]:
    """``text`` without invisible control characters, and whether any were removed."""
    text = text or ""
    cleaned = INVISIBLE.sub("", text)
    return cleaned, cleaned != text
