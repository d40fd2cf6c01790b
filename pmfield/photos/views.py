"""Photos: upload one photo (JSON, for scripts and the offline outbox) and serve a photo."""

import io

from flask import abort
from flask import jsonify
from flask import request
from flask import send_file
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from pmfield.errors import DomainError
from pmfield.photos import bp
from pmfield.photos import services
from pmfield.web.context import current_site
from pmfield.web.security import signed_in

#: Photos never change under their URL, but access can be withdrawn: private, one day.
CACHE_SECONDS = 24 * 3600


def _photo_json(photo, status: int):
    url = url_for("photos.show_photo", photo_id=photo.id)
    body = {"id": photo.id, "url": url, "width": photo.width, "height": photo.height}
    return jsonify(body), status


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error):
    """The upload API answers in JSON even when the request is over MAX_CONTENT_LENGTH."""
    mb = round((request.max_content_length or 0) / (1024 * 1024))
    return jsonify(error=_("The upload is too large (max %(mb)s MB).", mb=mb)), 413


@bp.route("/", methods=["POST"])
@signed_in
def upload_photo():
    """Store one photo (multipart field `file`); the Idempotency-Key makes retries safe."""
    client_id = request.headers.get("Idempotency-Key") or request.form.get("client_id")
    repeat = services.get_photo_by_client_id(current_user, client_id)
    if repeat is not None:
        return _photo_json(repeat, 200)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return jsonify(error=_("Choose a photo.")), 422
    try:
        photo = services.save_photo(
            upload.stream,
            user=current_user,
            site=current_site(),
            client_id=client_id,
            filename=upload.filename,
        )
    except DomainError as error:
        return jsonify(error=error.message), error.status
    return _photo_json(photo, 201)


@bp.route("/<int:photo_id>")
@signed_in
def show_photo(photo_id: int):
    """Send the photo's JPEG to someone allowed to see its record; 404 for anyone else."""
    photo = services.get_photo_for_user(current_user, photo_id)
    if photo is None:
        abort(404)
    data = services.read_photo(photo)
    if data is None:
        abort(404)
    # From memory (a photo is a few hundred KB): no open file left to the WSGI server.
    response = send_file(
        io.BytesIO(data),
        mimetype=photo.content_type,
        etag=photo.sha256,
        max_age=CACHE_SECONDS,
        conditional=True,
    )
    response.cache_control.public = False
    response.cache_control.private = True
    response.expires = None
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
