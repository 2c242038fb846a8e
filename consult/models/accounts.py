"""Staff accounts. Citizens need no account."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from ..core.time import utcnow
from ..core.vocab import ROLES
from ..db import Base


class User(UserMixin, Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    # Part of every session cookie: raising it (sign-out, a new password, deactivation)
    # ends every session of the account, copied cookies included.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """What a session remembers: the account and the session version it was opened at."""
        return f"{self.id}.{self.session_version}"

    def end_sessions(self) -> None:
        """Make every open session of this account invalid."""
        self.session_version = (self.session_version or 1) + 1

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        if self.id is not None:
            self.end_sessions()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def has_role(self, *roles: str) -> bool:
        """Admins may do everything; others what their role names or includes (a lead
        drafter is also a drafter)."""
        held = {self.role, *ROLES.attr(self.role, "includes", ())}
        return self.role == "admin" or bool(held & set(roles))

    @property
    def label(self) -> str:
        return self.name or self.email
