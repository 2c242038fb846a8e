"""Drafting desk, synthesis export and the public results page."""
from flask import Blueprint

bp = Blueprint("synthesis", __name__, url_prefix="/<lang>")
