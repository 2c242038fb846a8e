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


def load_user(user_id: str) -> User | None:
    # A deactivated account loses its open sessions at once, not at their next sign-in.
    user = db.session().get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


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
