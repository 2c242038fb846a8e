"""Times are stored as naive UTC and shown in Asia/Bishkek, the consultation's time zone."""
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

TIMEZONE = "Asia/Bishkek"
LOCAL = ZoneInfo(TIMEZONE)


def utcnow() -> datetime:
    """The current time as naive UTC, the form every timestamp column holds."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_local(value: datetime | None) -> datetime | None:
    """A stored naive-UTC time as an aware Asia/Bishkek time."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC).astimezone(LOCAL)


def local_naive(value: datetime | None) -> datetime | None:
    """A stored naive-UTC time as a naive Asia/Bishkek time (what a spreadsheet cell holds)."""
    return to_local(value).replace(tzinfo=None) if value is not None else None


def from_local(value: datetime) -> datetime:
    """A naive time read as Asia/Bishkek (a clerk's or admin's input) to naive UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL)
    return value.astimezone(UTC).replace(tzinfo=None)


def parse_local(text: str) -> datetime:
    """Parse ``2025-06-01T09:00`` (or with a space) as Asia/Bishkek, return naive UTC."""
    return from_local(datetime.fromisoformat(text.strip().replace(" ", "T")))


def iso_local(value: datetime | None) -> str | None:
    """A stored time as ISO 8601 in Asia/Bishkek, for the audit log."""
    return to_local(value).isoformat() if value is not None else None
