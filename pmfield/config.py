"""Configuration defaults. Environment variables (PMFIELD_*) are read in create_app, not here."""

from datetime import timedelta


class Config:
    """Defaults for every deployment; override with PMFIELD_<NAME> environment variables."""

    #: Set by create_app from PMFIELD_DATABASE_URL, else a SQLite file under instance/.
    DATABASE_URL: str | None = None
    #: Public https origin printed into QR labels, e.g. https://pm.example.com
    BASE_URL: str | None = None
    #: Where uploaded media lives (outside static/); defaults to instance/media.
    MEDIA_DIR: str | None = None
    #: Key for label signatures; defaults to SECRET_KEY. Pin it before rotating SECRET_KEY,
    #: or every printed label stops working.
    LABEL_SECRET: str | None = None
    #: Key of the patrol check-in hash chain; defaults to SECRET_KEY. Pin it before rotating
    #: SECRET_KEY, or `pmfield verify-chain` reports every old check-in as edited.
    CHAIN_SECRET: str | None = None

    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    #: Largest request body (bytes); bigger uploads get a 413 page. Keep it above PHOTO_MAX_BYTES
    #: so an oversize photo gets the photo's own message, and match the proxy's limit.
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024

    #: Largest photo file accepted (bytes); phones send about 0.5 MB after downscaling.
    PHOTO_MAX_BYTES = 15 * 1024 * 1024
    #: Stored photos are downscaled so their long side is at most this many pixels.
    PHOTO_MAX_SIDE = 1600
    #: Larger pictures are refused before decoding (a 48-megapixel phone photo passes).
    PHOTO_MAX_PIXELS = 50_000_000

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    PERMANENT_SESSION_LIFETIME = timedelta(days=30)

    # CSRF tokens live as long as the session: phones keep pages open for a whole shift.
    WTF_CSRF_TIME_LIMIT = None

    # Login throttling per client address and username (a whole team may share one site Wi-Fi).
    LOGIN_RATE_LIMIT = "5 per minute;20 per hour"
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True

    LANGUAGES = ("zh_Hans", "en")
    BABEL_DEFAULT_LOCALE = "zh_Hans"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"

    #: Rendered into the service worker so a deploy invalidates the precache.
    APP_VERSION = "0.1.0"
