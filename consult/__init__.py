"""consult: public consultation on draft programmes, clause by clause."""
from flask import Flask

from .config import ROOT


def create_app(config=None) -> Flask:
    """Build the application; ``config`` (a mapping) overrides the environment."""
    # Imported here, not at the top: every module of consult imports this package first,
    # so the web and command-line layer imported at the top would be an import cycle.
    from . import cli, db, delivery, i18n, ratelimit, security
    from . import config as settings
    from .accounts import auth
    from .accounts.navigation import STAFF_LINKS
    from .accounts.routes import bp as accounts_bp
    from .comments.public import withheld_label
    from .comments.routes import bp as comments_bp
    from .core.paging import IdConverter
    from .drafts.routes import bp as drafts_bp
    from .extensions import csrf, login_manager
    from .health import bp as health_bp
    from .hearings.routes import bp as hearings_bp
    from .intake.routes import bp as intake_bp
    from .mail.routes import bp as mail_bp
    from .publication.api.routes import bp as api_bp
    from .publication.routes import bp as publication_bp
    from .settings.routes import bp as settings_bp
    from .synthesis.routes import bp as synthesis_bp
    from .views import staff_phase

    app = Flask(__name__, template_folder=str(ROOT / "templates"),
                instance_path=str(ROOT / "instance"))
    app.config.from_mapping(settings.load(app.instance_path, config))
    # Every <int:...> in a URL is an id the database can hold (routes are built with it).
    app.url_map.converters["int"] = IdConverter
    db.init_app(app)
    i18n.init_app(app)
    csrf.init_app(app)
    ratelimit.init_app(app)
    login_manager.init_app(app)
    auth.init_app(app)
    security.init_app(app)
    delivery.init_app(app)
    cli.init_app(app)
    app.jinja_env.globals.update(STAFF_LINKS=STAFF_LINKS, withheld_label=withheld_label,
                                 staff_phase=staff_phase)
    for bp in (drafts_bp, hearings_bp, intake_bp, comments_bp, synthesis_bp, publication_bp,
               settings_bp, accounts_bp, api_bp, health_bp, mail_bp):
        app.register_blueprint(bp)
    return app
