"""The sync API: POST /api/v1/events, POST /api/v1/photos, GET /api/v1/openapi.json, and
GET /api/v1/session (a fresh CSRF token and the server's clock before each flush).

Answers are JSON. A stranger gets 401 (the phone pauses and asks to sign in again, keeping
its outbox), never the login page.
"""

from functools import wraps

from flask import jsonify
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import RequestEntityTooLarge

from pmfield.api import bp
from pmfield.api import events  # noqa: F401  (registers the event types)
from pmfield.api import openapi
from pmfield.api import services
from pmfield.api.services import ApiError
from pmfield.auth.roles import ALL_ROLES
from pmfield.errors import DomainError
from pmfield.photos import services as photos
from pmfield.timeutil import utcnow
from pmfield.web.context import current_site
from pmfield.web.security import _mark
from pmfield.web.security import public

#: Largest body of one event (bytes). The biggest event, a signature (at most 512 KiB of PNG,
#: about 700 KiB as base64), fits; photos go to /photos, bounded by MAX_CONTENT_LENGTH.
EVENT_MAX_BYTES = 1024 * 1024


def api_signed_in(view):
    """Any signed-in user; strangers get 401 JSON instead of a redirect."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return jsonify(error=_("Sign in again: your session has ended.")), 401
        return view(*args, **kwargs)

    return _mark(wrapped, ALL_ROLES)


def _answer(outcome: services.Outcome):
    return jsonify(outcome.body), outcome.status


def _context() -> services.SyncContext:
    received_at = utcnow()
    raw = request.headers.get("X-Device-Time")
    device_now = services.parse_time(raw, "X-Device-Time") if raw else None
    return services.SyncContext(received_at=received_at, device_now=device_now)


@bp.route("/session")
@api_signed_in
def session_info():
    """Fetched before each flush: a fresh CSRF token, who is signed in, the server's time."""
    return jsonify(csrf_token=generate_csrf(), user=current_user.username,
                   server_time=utcnow().isoformat())


@bp.route("/events", methods=["POST"])
@api_signed_in
def post_event():
    """Apply one event of the outbox exactly once (Idempotency-Key = the event's id)."""
    request.max_content_length = min(EVENT_MAX_BYTES,
                                     request.max_content_length or EVENT_MAX_BYTES)
    try:
        key = services.check_key(request.headers.get("Idempotency-Key"))
        try:
            body = request.get_json(silent=True)
        except RequestEntityTooLarge:
            raise ApiError(413, _("The event is too large (max %(kb)s KB).",
                                  kb=request.max_content_length // 1024)) from None
        if body is None:
            raise ApiError(400, _("Send the event as JSON."))
        outcome = services.apply_event(current_user, key, body, _context())
    except ApiError as error:
        return jsonify(error.body()), error.status
    return _answer(outcome)


@bp.route("/photos", methods=["POST"])
@api_signed_in
def post_photo():
    """Store one photo (multipart field `file`) exactly once (Idempotency-Key = its id)."""
    try:
        key = services.check_key(request.headers.get("Idempotency-Key"))
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise ApiError(422, _("Choose a photo."), "file")
        data = upload.read()  # the request limit (MAX_CONTENT_LENGTH) bounds it
        site = current_site()

        def work():
            photo = photos.save_photo(data, user=current_user, site=site, client_id=key,
                                      filename=upload.filename)
            return 201, {"id": photo.id, "url": url_for("photos.show_photo", photo_id=photo.id),
                         "width": photo.width, "height": photo.height}

        outcome = services.run_once(current_user, key, "photo", data, work)
    except ApiError as error:
        return jsonify(error.body()), error.status
    except DomainError as error:
        return jsonify(error=error.message, field=error.field), error.status
    return _answer(outcome)


@bp.route("/openapi.json")
@public
def openapi_document():
    """The OpenAPI 3.1 document of these endpoints and of every event type."""
    return jsonify(openapi.document())
