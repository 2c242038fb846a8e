"""Settings: defaults, then the environment, then the mapping a caller (a test) passes."""
import os
import secrets
from pathlib import Path

from .core import languages
from .core.time import TIMEZONE

ROOT = Path(__file__).resolve().parent.parent
ROOT_TRANSLATIONS = ROOT / "translations"


def _secret_key(instance_path: Path) -> str:
    """Read the key kept in the instance folder, creating it on first run.

    A hard-coded key would let anyone forge sessions; a key regenerated at every
    start would log everyone out and break CSRF tokens across workers.
    """
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return key_file.read_text().strip()


def load(instance_path: str, overrides=None) -> dict:
    """Build the settings mapping for one application."""
    instance = Path(instance_path)
    env = os.environ
    settings = {
        "DATABASE_URL": env.get("DATABASE_URL")
        or f"sqlite:///{instance / 'consult.sqlite3'}",
        "SECRET_KEY": env.get("SECRET_KEY"),
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", 10 * 1024 * 1024)),
        # The answers upload takes back a whole synthesis workbook (100,000 comments is
        # about 15 MB); only that view accepts bodies this large.
        "ANSWERS_MAX_BYTES": int(env.get("ANSWERS_MAX_BYTES", 64 * 1024 * 1024)),
        "ANSWERS_MAX_ROWS": int(env.get("ANSWERS_MAX_ROWS", 500_000)),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "COMMENT_RATE_LIMIT": env.get("COMMENT_RATE_LIMIT", "10 per minute;60 per hour"),
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "5 per minute;30 per hour"),
        "RECEIPT_RATE_LIMIT": env.get("RECEIPT_RATE_LIMIT", "10 per minute;60 per hour"),
        "PUBLIC_URL": env.get("PUBLIC_URL", ""),
        # E-mail to commenters (consult.mail): queued only while MAIL_SERVER is set, sent by
        # `consult send-mail`. MAIL_USE_TLS: STARTTLS; MAIL_USE_SSL: TLS from the start.
        "MAIL_SERVER": env.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(env.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": env.get("MAIL_USE_TLS", "") == "1",
        "MAIL_USE_SSL": env.get("MAIL_USE_SSL", "") == "1",
        "MAIL_FROM": env.get("MAIL_FROM", ""),
        "MAIL_TIMEOUT": float(env.get("MAIL_TIMEOUT", "30")),
        "MAIL_MAX_ATTEMPTS": int(env.get("MAIL_MAX_ATTEMPTS", "10")),
        "MAIL_RETRY_SECONDS": int(env.get("MAIL_RETRY_SECONDS", "60")),
        # Aarhus Art. 6(3): a shorter period needs a recorded justification; a hearing is
        # announced this many days ahead (or with a recorded reason); a rationale, where one
        # is required, has at least this many characters (Art. 6(8)).
        "MIN_PERIOD_DAYS": int(env.get("MIN_PERIOD_DAYS", "30")),
        "HEARING_NOTICE_DAYS": int(env.get("HEARING_NOTICE_DAYS", "10")),
        "MIN_RATIONALE_CHARS": int(env.get("MIN_RATIONALE_CHARS", "20")),
        "BEHIND_PROXY": env.get("BEHIND_PROXY", "") == "1",
        # How many proxies stand in front (their forwarded headers are believed), and the
        # addresses they connect from: anyone else's forwarded headers are ignored.
        "PROXY_COUNT": int(env.get("PROXY_COUNT", "1")),
        "TRUSTED_PROXIES": env.get("TRUSTED_PROXIES", "127.0.0.1,::1"),
        # How long nginx (or another shared cache) may serve an anonymous public page without
        # asking the app again: a published comment or answer reaches readers this late.
        "SHARED_CACHE_SECONDS": int(env.get("SHARED_CACHE_SECONDS", "5")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", "") == "1",
        "WTF_CSRF_TIME_LIMIT": None,  # a citizen may take an hour to write a comment
        "BABEL_DEFAULT_TIMEZONE": TIMEZONE,
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT_TRANSLATIONS),
        # The site's languages in fallback order (the first is the default) and those a
        # notice must be complete in: consult.core.languages.
        "LANGUAGES": languages.parse_setting(env.get("LANGUAGES"), languages.DEFAULT_LANGUAGES),
        "REQUIRED_LANGUAGES": languages.parse_setting(env.get("REQUIRED_LANGUAGES"),
                                                      languages.DEFAULT_REQUIRED),
    }
    settings.update(overrides or {})
    settings["LANGUAGES"] = tuple(settings["LANGUAGES"])
    settings["BABEL_DEFAULT_LOCALE"] = settings["LANGUAGES"][0]
    if not settings["SECRET_KEY"]:
        settings["SECRET_KEY"] = _secret_key(instance)
    return settings
