"""Staff accounts: creating them and checking passwords."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit
from ..core.time import to_local, utcnow
from ..core.vocab import ROLES
from ..models import AuditEvent, User

MIN_PASSWORD_LENGTH = 10


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def save_user(session: Session, email: str, role: str, password: str, name: str = "",
              actor: User | None = None) -> tuple[User, bool]:
    """Create the account, or reset the role and password of an existing one."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role}")
    user = find_user(session, email)
    created = user is None
    before = None if created else {"role": user.role, "active": user.active}
    if created:
        user = User(email=email.strip().lower(), role=role, name=name, password_hash="")
        session.add(user)
    user.role = role
    user.active = True
    if name:
        user.name = name
    user.set_password(password)
    session.flush()
    audit.record(session, actor, "user.create" if created else "user.update", user, before,
                 {"role": user.role, "active": user.active})
    return user, created


# ------------------------------------------------------------------ signing in

MAX_FAILED_LOGINS = 5
LOCK_DURATION = timedelta(minutes=15)
# Checked against when the e-mail is unknown, so a wrong address costs as much time as a
# wrong password and the response time does not reveal which accounts exist.
_DUMMY_HASH = generate_password_hash("not a real password")


def authenticate(session: Session, email: str, password: str, address: str = "",
                 now: datetime | None = None) -> User | None:
    """The active, unlocked account that ``email`` and ``password`` open, else None.

    Each failure is audited; the fifth in a row locks the account for ``LOCK_DURATION``
    (a locked account refuses even the right password). Success resets the count.
    The caller gets no reason, so the page cannot tell which of these happened.
    """
    now = now or utcnow()
    user = find_user(session, email) if email else None
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        audit.record(session, None, "login.failure", _UnknownAccount(),
                     after={"reason": "unknown-account", "address": address})
        return None
    if user.locked_until is not None and user.locked_until > now:
        user.check_password(password)  # same time as any other attempt
        audit.record(session, None, "login.failure", user,
                     after={"reason": "locked", "address": address})
        return None
    if user.locked_until is not None:  # the lock has run out: a fresh count
        user.locked_until, user.failed_logins = None, 0
        session.flush()
    if not user.check_password(password) or not user.active:
        return _fail(session, user, "wrong-password" if user.active else "inactive", address,
                     now)
    before = {"failed_logins": user.failed_logins}
    user.failed_logins = 0
    session.flush()
    audit.record(session, user, "login.success", user, before,
                 {"failed_logins": 0, "address": address})
    return user


def _fail(session: Session, user: User, reason: str, address: str, now: datetime) -> None:
    # Counted in SQL so that parallel attempts cannot overwrite each other's increment.
    user.failed_logins = User.failed_logins + 1
    session.flush()
    session.refresh(user, ["failed_logins"])
    audit.record(session, None, "login.failure", user,
                 after={"reason": reason, "failed_logins": user.failed_logins,
                        "address": address})
    if user.failed_logins >= MAX_FAILED_LOGINS:
        user.locked_until = now + LOCK_DURATION
        session.flush()
        audit.record(session, None, "user.lock", user, {"locked_until": None},
                     {"locked_until": to_local(user.locked_until).isoformat()})
    return None


class _UnknownAccount:
    """Stands for the account an unknown e-mail address would have been, in the audit log."""
    __tablename__ = User.__tablename__
    id = None


def sign_out(session: Session, user: User) -> None:
    """End every session of ``user`` (audited)."""
    before = {"session_version": user.session_version}
    user.end_sessions()
    session.flush()
    audit.record(session, user, "logout", user, before,
                 {"session_version": user.session_version})


# ------------------------------------------------------------------ managing accounts

class AccountError(ValueError):
    """A refused change to an account; the message is translated and shown to the admin."""


def create_user(session: Session, email: str, name: str, role: str, password: str,
                actor: User | None) -> User:
    """Create a new account; an address already in use is refused (never overwritten)."""
    if find_user(session, email) is not None:
        raise AccountError(_("An account with this e-mail address already exists."))
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_("The password must have at least %(n)d characters.",
                             n=MIN_PASSWORD_LENGTH))
    user, _created = save_user(session, email, role, password, name=name.strip(), actor=actor)
    return user


def change_role(session: Session, user: User, role: str, actor: User) -> None:
    """Give ``user`` another role; an admin cannot demote themselves (one always remains)."""
    if role not in ROLES:
        raise AccountError(_("Choose one of the listed roles."))
    if user.id == actor.id and role != "admin":
        raise AccountError(_("You cannot remove your own administrator role."))
    if role == user.role:
        return
    before = {"role": user.role}
    user.role = role
    session.flush()
    audit.record(session, actor, "user.role", user, before, {"role": role})


def set_active(session: Session, user: User, active: bool, actor: User) -> None:
    """Deactivate or reactivate an account (accounts are never deleted: the audit log
    names them). Reactivating also lifts a lock."""
    if user.id == actor.id and not active:
        raise AccountError(_("You cannot deactivate your own account."))
    if user.active == active:
        return
    before = {"active": user.active}
    user.active = active
    if active:
        user.failed_logins, user.locked_until = 0, None
    session.flush()
    audit.record(session, actor, "user.activate" if active else "user.deactivate", user,
                 before, {"active": active})


def users(session: Session) -> list[User]:
    """Every account, active ones first, then by e-mail address."""
    return list(session.scalars(select(User).order_by(User.active.desc(), User.email)))


# ------------------------------------------------------------------ audit log

AUDIT_PAGE_SIZE = 50


def audit_events(session: Session, action_prefix: str = "", object_type: str = "",
                 page: int = 1, per_page: int = AUDIT_PAGE_SIZE) -> tuple[list[AuditEvent], int]:
    """One page of audit events, newest first, and how many match in all."""
    query = select(AuditEvent)
    if action_prefix:
        # The prefix is matched literally: % and _ typed into the filter are not wildcards.
        escaped = (action_prefix.replace("\\", "\\\\").replace("%", "\\%")
                   .replace("_", "\\_"))
        query = query.where(AuditEvent.action.like(escaped + "%", escape="\\"))
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    events = session.scalars(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                             .offset((max(page, 1) - 1) * per_page).limit(per_page))
    return list(events), total


def audit_object_types(session: Session) -> list[str]:
    """The kinds of object the audit log has events about, for the filter."""
    return list(session.scalars(select(AuditEvent.object_type).distinct()
                                .order_by(AuditEvent.object_type)))
