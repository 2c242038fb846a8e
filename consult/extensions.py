"""Flask extensions, created here and bound to each application in ``create_app``."""
from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()


class RouteLimiter(Limiter):
    """Limits only the POSTs of routes decorated with a limit (comment form, sign-in).

    Flask-Limiter also checks every request in a before-request hook, for default and
    application-wide limits, and a decorated route checks on GET as well; consult has no
    such limits and limits only submissions, and those checks were a third of the cost of
    serving a cached page.
    """

    def _check_request_limit(self, callable_name=None, in_middleware=True):
        if not in_middleware and request.method not in ("GET", "HEAD", "OPTIONS"):
            super()._check_request_limit(callable_name=callable_name, in_middleware=False)


limiter = RouteLimiter(key_func=get_remote_address, default_limits=[])
