"""Public hearings: schedule, attendance, minutes and the files kept with them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.time import utcnow
from ..db import Base


class Hearing(Base):
    __tablename__ = "hearing"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    city: Mapped[dict] = mapped_column(JSON, default=dict)
    starts_at: Mapped[datetime | None]  # naive UTC; None while the date is not fixed
    ends_at: Mapped[datetime | None]
    venue: Mapped[dict] = mapped_column(JSON, default=dict)  # empty: to be confirmed
    format: Mapped[str] = mapped_column(String(12), default="hybrid")
    online_link: Mapped[str] = mapped_column(String(500), default="")
    languages: Mapped[str] = mapped_column(String(20), default="ky,ru")
    agenda: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(12), default="planned")
    attendance_total: Mapped[int | None]
    attendance_women: Mapped[int | None]
    attendance_men: Mapped[int | None]
    attendance_unstated: Mapped[int | None]
    attendance_by_category: Mapped[dict] = mapped_column(JSON, default=dict)
    organisations: Mapped[str] = mapped_column(Text, default="")
    minutes: Mapped[str] = mapped_column(Text, default="")
    entry_closed: Mapped[bool] = mapped_column(default=False)
    # Why the hearing was scheduled or moved with less notice than HEARING_NOTICE_DAYS;
    # the schedule marks such a hearing.
    short_notice_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    files: Mapped[list[HearingFile]] = relationship(
        back_populates="hearing", order_by="HearingFile.id")

    def city_name(self, lang: str) -> str:
        return self.city.get(lang) or next(iter(self.city.values()), self.slug)


class HearingFile(Base):
    """A scan of the signed minutes or sign-in sheet, kept with the hearing record."""
    __tablename__ = "hearing_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    hearing_id: Mapped[int] = mapped_column(ForeignKey("hearing.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="minutes")
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    hearing: Mapped[Hearing] = relationship(back_populates="files")


class ImportBatch(Base):
    """One uploaded file that was imported: a second upload of the same bytes adds nothing."""
    __tablename__ = "import_batch"
    __table_args__ = (UniqueConstraint("kind", "target", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # hearing-kit | form-export | answers
    target: Mapped[str] = mapped_column(String(80), default="")  # e.g. hearing id
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255), default="")
    rows: Mapped[int] = mapped_column(default=0)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
