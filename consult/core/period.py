"""When comments are accepted: the period rule, decided here for every page and channel.

The opening instant is inside the period, the closing instant outside it (Aarhus
Art. 6(3): fixed time-frames; a comment sent at 18:00:00 to a period closing at 18:00 is
late). Times are naive UTC.
"""
from __future__ import annotations

from datetime import datetime

from .time import utcnow


def is_open(opens_at: datetime | None, closes_at: datetime | None,
            at: datetime | None = None) -> bool:
    """Whether comments are accepted at ``at`` (default now)."""
    at = at or utcnow()
    return bool(opens_at and closes_at and opens_at <= at < closes_at)


def in_period(opens_at: datetime | None, closes_at: datetime | None, at: datetime) -> bool:
    """Whether ``at`` falls inside the period; without a period set, it does.

    Never a reason to refuse a letter or a hearing contribution: a late one is kept and
    marked late."""
    if opens_at is None or closes_at is None:
        return True
    return is_open(opens_at, closes_at, at)


def phase(opens_at: datetime | None, closes_at: datetime | None, now: datetime) -> str:
    """Where the period stands: pages differ before, during and after it."""
    if not opens_at or not closes_at:
        return "unset"
    if now < opens_at:
        return "before"
    return "open" if now < closes_at else "after"
