"""Locale selection and bilingual field helpers."""

from flask import current_app
from flask import has_request_context
from flask import request
from flask import session
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

LOCALE_COOKIE = "pmfield_locale"


def normalize_locale(value: str | None) -> str | None:
    """Map a language tag (zh-CN, zh_Hans, en-GB...) to one of our locales, or None."""
    if not value:
        return None
    tag = value.replace("-", "_").lower()
    if tag.startswith("zh"):
        return "zh_Hans"
    if tag.startswith("en"):
        return "en"
    return None


def select_locale() -> str:
    """Pick the user's setting, else the session's switch, else the browser's language."""
    if not has_request_context():  # CLI: labels and messages in the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale:
        return current_user.locale
    chosen = normalize_locale(session.get("locale"))
    if chosen:
        return chosen
    for tag, _quality in request.accept_languages:
        chosen = normalize_locale(tag)
        if chosen:
            return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def is_chinese() -> bool:
    """True when the current request speaks Chinese (and outside requests, as on labels)."""
    locale = get_locale()
    return locale is None or str(locale).startswith("zh")


def localized(zh: str | None, en: str | None) -> str:
    """Return the name in the current language, falling back to the other one."""
    first, second = (zh, en) if is_chinese() else (en, zh)
    return first or second or ""


#: Longest name of a place, route, post, team... in either language.
NAME_MAX = 120


def check_names(name_zh: str, name_en: str) -> dict[str, str]:
    """Problems with a bilingual name: one of the two is needed, each fits NAME_MAX."""
    errors = {}
    if not name_zh and not name_en:
        errors["name_zh"] = _("Enter a name in Chinese or English.")
    for key, value in (("name_zh", name_zh), ("name_en", name_en)):
        if len(value) > NAME_MAX:
            errors[key] = _("Use at most %(n)d characters.", n=NAME_MAX)
    return errors
