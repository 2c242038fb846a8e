"""consult: public consultation on draft programmes, clause by clause."""
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config=None) -> Flask:
    """Build the application; ``config`` (a mapping) overrides the environment."""
    app = Flask(__name__, template_folder=str(ROOT / "templates"),
                instance_path=str(ROOT / "instance"))
    from . import config as settings
    app.config.from_mapping(settings.load(app.instance_path, config))

    from . import db, i18n, security, cli
    from .extensions import csrf, limiter, login_manager
    db.init_app(app)
    i18n.init_app(app)
    csrf.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    limiter.init_app(app)
    login_manager.init_app(app)
    security.init_app(app)
    cli.init_app(app)

    from . import accounts  # noqa: F401  (registers the user loader)
    from .accounts.routes import bp as accounts_bp
    from .api.routes import bp as api_bp
    from .comments.routes import bp as comments_bp
    from .drafts.routes import bp as drafts_bp
    from .hearings.routes import bp as hearings_bp
    from .synthesis.routes import bp as synthesis_bp
    for bp in (drafts_bp, hearings_bp, comments_bp, synthesis_bp, accounts_bp, api_bp):
        app.register_blueprint(bp)
    return app
