"""Comment form handling, receipts and the moderation queue."""
from flask import Blueprint

bp = Blueprint("comments", __name__, url_prefix="/<lang>")
