"""Security headers, refusal of NUL bytes, and readable error pages."""
from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

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


def init_app(app: Flask) -> None:
    if app.config.get("BEHIND_PROXY"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    app.before_request(_refuse_nul_bytes)
    app.after_request(_headers)
    app.register_error_handler(HTTPException, _error_page)


def _refuse_nul_bytes():
    # A NUL byte is never part of legitimate text and some databases reject it mid-insert.
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
