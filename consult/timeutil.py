"""Times are stored as naive UTC and shown in Asia/Bishkek, the consultation's time zone."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from .config import TIMEZONE

LOCAL = ZoneInfo(TIMEZONE)


def utcnow() -> datetime:
    """The current time as naive UTC, the form every timestamp column holds."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def to_local(value: datetime | None) -> datetime | None:
    """A stored naive-UTC time as an aware Asia/Bishkek time."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc).astimezone(LOCAL)


def from_local(value: datetime) -> datetime:
    """A naive time read as Asia/Bishkek (a clerk's or admin's input) to naive UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL)
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def parse_local(text: str) -> datetime:
    """Parse ``2025-06-01T09:00`` (or with a space) as Asia/Bishkek, return naive UTC."""
    return from_local(datetime.fromisoformat(text.strip().replace(" ", "T")))
