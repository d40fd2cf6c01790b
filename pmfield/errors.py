"""Domain errors and the error pages (a full page, or a toast fragment for htmx)."""

from flask import jsonify
from flask import render_template
from flask import request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from pmfield.web.htmx import is_partial


class DomainError(Exception):
    """A business rule refused the request; the message is shown to the user."""

    status = 422

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def raise_first(errors: dict[str, str]) -> None:
    """Raise the first of a form's collected problems as a DomainError on its field."""
    if errors:
        key, message = next(iter(errors.items()))
        raise DomainError(message, key)


class NotFoundError(DomainError):
    status = 404


def _render(status: int, title: str, message: str, code: str | None = None):
    if request.blueprint == "api":  # the phone's outbox reads JSON, also for these
        body = {"error": message, "title": title} | ({"code": code} if code else {})
        return jsonify(body), status
    template = "errors/_toast.html" if is_partial() else "errors/error.html"
    return render_template(template, status=status, title=title, message=message), status


def register_error_handlers(app) -> None:
    """Render every error as a page (or a toast for htmx), never a stack trace."""

    @app.errorhandler(403)
    def forbidden(_error):
        return _render(403, _("Not allowed"), _("Your role does not give access to this page."))

    @app.errorhandler(404)
    def not_found(_error):
        return _render(404, _("Not found"), _("There is nothing at this address."))

    @app.errorhandler(405)
    def method_not_allowed(_error):
        return _render(405, _("Not allowed"), _("This action cannot be done this way."))

    @app.errorhandler(413)
    def too_large(_error):
        mb = round((app.config.get("MAX_CONTENT_LENGTH") or 0) / (1024 * 1024))
        return _render(413, _("Too large"), _("The upload is too large (max %(mb)s MB).", mb=mb))

    @app.errorhandler(429)
    def too_many(error):
        if getattr(error, "response", None) is not None:  # a view's own on_breach page
            return error.response
        return _render(
            429, _("Too many attempts"), _("Too many attempts. Wait a minute and try again.")
        )

    @app.errorhandler(CSRFError)
    def csrf_failed(_error):
        return _render(
            400,
            _("Page expired"),
            _("This page was open too long or came from elsewhere. Reload it and try again."),
            # The outbox fetches a fresh token and sends again: not the item's fault.
            code="csrf",
        )

    @app.errorhandler(DomainError)
    def domain_error(error):
        return _render(error.status, _("Cannot do that"), error.message)

    @app.errorhandler(500)
    def server_error(_error):
        return _render(500, _("Something went wrong"), _("The error was logged. Try again."))
