"""Security headers, refusal of NUL bytes, redirects kept on this site, and readable error
pages (a 503 with Retry-After while the database is away)."""
from ipaddress import ip_address, ip_network
from urllib.parse import urlsplit

from flask import Flask, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from . import db

# No inline scripts or styles anywhere: pages work without JavaScript, and the few
# scripts that improve them are files served by the app itself.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

ERROR_TITLES = {
    400: _l("The request could not be understood"),
    403: _l("You may not open this page"),
    404: _l("Page not found"),
    405: _l("This action is not allowed here"),
    413: _l("The upload is too large"),
    429: _l("Too many requests"),
    500: _l("Something went wrong on our side"),
}
ERROR_HINTS = {
    400: _l("Go back, check what you entered and try again."),
    403: _l("Sign in with an account that has the right role, or go back to the consultation."),
    404: _l("The address may be mistyped, or the page has moved."),
    405: _l("Go back and use the form on the page."),
    413: _l("Choose a smaller file and try again."),
    429: _l("You have sent many requests in a short time. Wait a minute, then try again. "
            "Nothing you sent before was lost."),
    500: _l("The error was logged. Nothing you sent was lost; please try again later."),
}


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None: the one check of every address
    a form or a link asks to be sent back to (no open redirects)."""
    if not target or not target.startswith("/") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return None
    # Browsers drop tabs and line breaks from addresses: "/\t/evil.example" is "//evil...".
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    return target


# ---------------------------------------------------------------- forms sent from this site

# Staff forms carry Flask-WTF's token, bound to the session. The comment form stands on
# public pages that nginx keeps and serves to every reader alike, so it carries nothing of
# one visitor: its post is checked against what the browser itself says about where the
# form was sent from, which a page on another site cannot make it say otherwise (OWASP's
# Fetch Metadata and origin checks). Referrer-Policy below keeps the Referer on this site.
SAME_SITE_FETCH = ("same-origin", "none")  # "none": the person's own action (a reload)


def posted_from_this_site() -> bool:
    """Whether this form post comes from a page of this site (not forged by another)."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return True
    fetched = request.headers.get("Sec-Fetch-Site")
    if fetched:
        return fetched in SAME_SITE_FETCH
    # Browsers without Fetch Metadata send Origin on every post; older ones at least the
    # Referer. A post that says neither is refused: no browser sends one from a page.
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    return bool(origin) and _origin_of(origin) in _this_sites_origins()


def _origin_of(address: str) -> str:
    parts = urlsplit(address)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _this_sites_origins() -> set[str]:
    """This site as the request reached it, and as PUBLIC_URL names it (behind a proxy on
    a port of its own the Host header may not carry the port)."""
    origins = {_origin_of(request.host_url)}
    public = current_app.config.get("PUBLIC_URL", "")
    if public:
        origins.add(_origin_of(public))
    return origins


def init_app(app: Flask) -> None:
    if app.config.get("BEHIND_PROXY"):
        app.wsgi_app = TrustedProxyFix(app.wsgi_app, app.config["PROXY_COUNT"],
                                       app.config["TRUSTED_PROXIES"])
    app.before_request(_refuse_nul_bytes)
    app.after_request(_headers)
    app.register_error_handler(HTTPException, _error_page)
    for error in DATABASE_AWAY:
        app.register_error_handler(error, _database_away)


class TrustedProxyFix:
    """Forwarded headers believed only from the configured proxies (by address), and only
    as many hops as there are proxies: a client reaching the app server directly cannot
    pose as another address by sending X-Forwarded-For. The Host header is never taken
    from X-Forwarded-Host (the proxy passes the real Host)."""

    def __init__(self, app, count: int, trusted: str):
        self.app = app
        self.fixed = ProxyFix(app, x_for=count, x_proto=count, x_host=0, x_port=0)
        self.networks = [ip_network(item.strip(), strict=False)
                         for item in trusted.split(",") if item.strip()]

    def __call__(self, environ, start_response):
        try:
            peer = ip_address(environ.get("REMOTE_ADDR", ""))
        except ValueError:
            peer = None
        if peer is not None and any(peer in network for network in self.networks):
            return self.fixed(environ, start_response)
        return self.app(environ, start_response)


def _refuse_nul_bytes():
    # A NUL byte is never part of legitimate text and some databases reject it mid-insert.
    if "\x00" in request.path:
        raise BadRequest(_l("The address contains a NUL character, which is not allowed."))
    for values in (request.args, request.form):
        for value in values.values():
            if "\x00" in value:
                raise BadRequest(_l("The text contains a NUL character, which is not allowed."))


def _headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    return response


def _error_page(error: HTTPException):
    # Keep what the error itself says in headers (Allow on a 405, Retry-After on a 429).
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    if request.path.startswith("/api/"):
        return {"error": error.name, "status": error.code,
                "detail": str(error.description)}, error.code, headers
    code = error.code or 500
    detail = error.description
    if detail == type(error).description:
        detail = ""  # werkzeug's English default: the translated hint says it instead
    return render_template("errors/error.html", code=code, title=ERROR_TITLES.get(code, error.name),
                           hint=ERROR_HINTS.get(code, ""), detail=detail), code, headers


# The database cannot be reached (down, restarting, connections cut): a readable page that
# says to come back, never a 500. It is rendered without touching the database.
DATABASE_AWAY = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)
RETRY_AFTER = 30


def _database_away(error):
    # The driver's first line says why (refused, timed out, terminated, deadlock); the
    # statement and its parameters (people's text) stay out of the log.
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()[:1]
    current_app.logger.warning("database unavailable: %s: %s", error.__class__.__name__,
                               reason[0][:200] if reason else "")
    db.discard_session()
    headers = {"Retry-After": str(RETRY_AFTER), "Cache-Control": "no-store"}
    if request.path.startswith("/api/"):
        return {"error": "Service Unavailable", "status": 503,
                "detail": str(_l("The database cannot be reached just now. Try again in a "
                                 "minute."))}, 503, headers
    return render_template("errors/unavailable.html", retry_after=RETRY_AFTER), 503, headers
