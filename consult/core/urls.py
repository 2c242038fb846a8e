"""Addresses that leave the site: printed on paper, in QR codes, on a receipt, in e-mail."""
from __future__ import annotations

from flask import current_app, has_request_context, url_for


def public_url(endpoint: str, **values) -> str | None:
    """An absolute URL for print and QR codes, from PUBLIC_URL; None when it is not set.
    The request's Host is never the base: anyone can send any Host, and a printed handout
    or a cached schedule would carry it."""
    base = current_app.config.get("PUBLIC_URL", "").rstrip("/")
    if not base:
        return None
    if has_request_context():
        return base + url_for(endpoint, **values)
    with current_app.test_request_context("/"):  # from the command line (e-mail)
        return base + url_for(endpoint, **values)
