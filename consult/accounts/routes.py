"""Sign-in, sign-out and user management for staff."""
from flask import Blueprint

bp = Blueprint("accounts", __name__, url_prefix="/<lang>")
