"""Who is signed in, and which roles may open a staff page."""
from __future__ import annotations

from functools import wraps

from flask import abort, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import db
from ..extensions import login_manager
from ..models import User


def init_app(app) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to open this page.")
    login_manager.login_message_category = "error"
    login_manager.user_loader(load_user)


def load_user(session_id: str) -> User | None:
    """The account a session belongs to, if that session is still valid: the account is
    active and its session version unchanged since sign-in (sign-out, a new password and
    deactivation end every session, copied cookies included)."""
    user_id, _, version = (session_id or "").partition(".")
    if not (user_id.isascii() and user_id.isdigit() and version.isascii() and version.isdigit()
            and len(user_id) < 10 and len(version) < 10):
        return None
    user = db.session().get(User, int(user_id))
    if user is None or not user.active or str(user.session_version) != version:
        return None
    return user


def role_required(*roles: str):
    """Allow the view to signed-in users with one of ``roles`` (admins always).

    The wrapped view carries ``_roles`` so tests can walk every staff page and its roles.
    """
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("accounts.login", next=request.full_path))
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)
        wrapped._roles = tuple(roles)
        return wrapped
    return decorator
