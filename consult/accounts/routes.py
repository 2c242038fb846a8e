"""Sign-in, sign-out and user management for staff."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from .. import db
from ..core.paging import Page, page_number
from ..core.vocab import ROLES
from ..models import User
from ..ratelimit import limit
from ..security import safe_next
from . import audit_log, services
from .auth import role_required
from .forms import ActiveForm, AuditFilterForm, LoginForm, RoleForm, UserForm
from .navigation import STAFF_LINKS

bp = Blueprint("accounts", __name__, url_prefix="/<lang>")

# ------------------------------------------------------------------ signing in and out

def _landing() -> str:
    """The first staff page the signed-in user may open, else the notice."""
    for endpoint, _label, roles in STAFF_LINKS:
        if endpoint in current_app.view_functions and current_user.has_role(*roles):
            return url_for(endpoint)
    return url_for("drafts.notice")


@bp.route("/login", methods=["GET", "POST"])
@limit("login", methods=("POST",), counts=lambda response: response.status_code != 302)
def login():
    """The staff sign-in form; failed attempts are throttled per address and per account."""
    target = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target or _landing())
    form = LoginForm()
    if form.validate_on_submit():
        session = db.session()
        user = services.authenticate(session, form.email.data, form.password.data,
                                     address=request.remote_addr or "")
        session.commit()
        if user is not None and login_user(user):
            flash(_("You are signed in."), "success")
            return redirect(target or _landing())
        # One message for an unknown address, a wrong password and a locked account alike.
        form.password.errors.append(_("The e-mail address or the password is not right, or "
                                      "the account is locked for a while after many failed "
                                      "attempts."))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
def logout():
    """Sign out (a POST with the CSRF token, so no other site can sign staff out); every
    session of the account ends, a copied cookie too."""
    if current_user.is_authenticated:
        session = db.session()
        services.sign_out(session, current_user._get_current_object())
        session.commit()
    logout_user()
    flash(_("You are signed out."), "success")
    return redirect(url_for("drafts.notice"))


# ------------------------------------------------------------------ users

def _user_or_404(user_id: int) -> User:
    user = db.session().get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users/", methods=["GET", "POST"])
@role_required("admin")
def users():
    """Every staff account with its role and state; the form to add one."""
    session = db.session()
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(session, form.email.data, form.name.data or "",
                                        form.role.data, form.password.data, current_user)
        except services.AccountError as exc:
            form.email.errors.append(str(exc))
        else:
            session.commit()
            flash(_("The account %(email)s was created.", email=user.email), "success")
            return redirect(url_for("accounts.users"))
    return render_template("accounts/users.html", form=form, users=services.users(session),
                           role_form=RoleForm(formdata=None), active_form=ActiveForm())


@bp.post("/users/<int:user_id>/role")
@role_required("admin")
def change_role(user_id: int):
    """Give an account another role."""
    session = db.session()
    user = _user_or_404(user_id)
    form = RoleForm()
    if not form.validate():
        return _refuse(form.role.errors[0] if form.role.errors else _("Please try again."))
    try:
        services.change_role(session, user, form.role.data, current_user)
    except services.AccountError as exc:
        return _refuse(str(exc))
    session.commit()
    flash(_("%(email)s is now: %(role)s.", email=user.email,
            role=ROLES.label(user.role)), "success")
    return redirect(url_for("accounts.users"))


@bp.post("/users/<int:user_id>/active")
@role_required("admin")
def set_active(user_id: int):
    """Deactivate an account (``?active=0``) or reactivate it (``?active=1``)."""
    session = db.session()
    user = _user_or_404(user_id)
    active = request.args.get("active") == "1"
    if not ActiveForm().validate():
        return _refuse(_("Please try again."))
    try:
        services.set_active(session, user, active, current_user)
    except services.AccountError as exc:
        return _refuse(str(exc))
    session.commit()
    flash(_("%(email)s was reactivated.", email=user.email) if active
          else _("%(email)s was deactivated.", email=user.email), "success")
    return redirect(url_for("accounts.users"))


def _refuse(message: str):
    flash(message, "error")
    return redirect(url_for("accounts.users"))


# ------------------------------------------------------------------ audit log

@bp.get("/audit/")
@role_required("moderator")
def audit():
    """Every recorded state change, newest first, filtered by action and object."""
    session = db.session()
    form = AuditFilterForm(request.args)
    form.object_type.choices = [("", _("All"))] + [
        (name, audit_log.object_type_label(name))
        for name in services.audit_object_types(session)]
    action = (form.action.data or "").strip() if form.validate() else ""
    number = page_number(request.args.get("page"))
    if number is None:
        abort(404)
    events, total = services.audit_events(session, action, form.object_type.data or "", number)
    filters = {k: v for k, v in (("action", action), ("object_type", form.object_type.data))
               if v}
    return render_template("accounts/audit.html", form=form, total=total,
                           events=[audit_log.in_words(event) for event in events],
                           page=Page(number, services.AUDIT_PAGE_SIZE, total), filters=filters)
