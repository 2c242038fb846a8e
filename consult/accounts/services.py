"""Staff accounts: creating them and checking passwords."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import audit
from ..models import ROLES, User


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
