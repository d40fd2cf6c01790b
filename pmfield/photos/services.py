"""Business rules for photos: saving an upload, attaching it to a record, who may see it.

A photo is saved first (unattached, visible to its uploader only), then attached to the record
it documents by the feature that owns that record (patrol incident, checklist item, repair
job). Features say who may see their records' photos with register_owner() at import.
"""

import hashlib
import re
from collections.abc import Callable

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from pmfield.errors import DomainError
from pmfield.extensions import db
from pmfield.extensions import is_valid_id
from pmfield.photos.models import Photo
from pmfield.photos.processing import process_image
from pmfield.photos.storage import get_storage
from pmfield.photos.storage import photo_key

#: Idempotency keys made on the phone: a UUID, or any short token of safe characters.
CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
#: Owner kinds are stored in Photo.owner_kind (String(32)).
OWNER_KIND_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")

OwnerCheck = Callable[[object, int], bool]
#: owner kind → can_view(user, owner_id); filled by the features at import.
_OWNERS: dict[str, OwnerCheck] = {}


class PhotoTooLarge(DomainError):
    """The upload is bigger than PHOTO_MAX_BYTES."""

    status = 413


# --------------------------------------------------------------------------- owners


def register_owner(kind: str, can_view: OwnerCheck) -> None:
    """Declare a kind of record that owns photos, and who may see them.

    `can_view(user, owner_id) -> bool` is asked only for signed-in users who work at the
    photo's site (admins and the uploader always see a photo of a site they can access).
    Registering the same kind twice with another function is a programming error.
    """
    if not OWNER_KIND_RE.match(kind):
        raise ValueError(f"invalid photo owner kind: {kind!r}")
    known = _OWNERS.get(kind)
    if known is not None and known is not can_view:
        raise ValueError(f"photo owner kind {kind!r} is already registered")
    _OWNERS[kind] = can_view


def is_owner_kind(kind: str) -> bool:
    """True when a feature registered `kind` with register_owner()."""
    return kind in _OWNERS


# --------------------------------------------------------------------------- saving


def _max_bytes() -> int:
    return int(current_app.config["PHOTO_MAX_BYTES"])


def _too_large(limit: int) -> PhotoTooLarge:
    return PhotoTooLarge(
        _("The photo is too large (max %(mb)s MB).", mb=round(limit / (1024 * 1024))), "photo"
    )


def _read_upload(source, limit: int) -> bytes:
    """Return the upload's bytes, reading at most one byte past the limit."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    elif hasattr(source, "read"):
        data = source.read(limit + 1)
    else:
        raise TypeError(f"save_photo needs bytes or a readable stream, not {type(source)!r}")
    if len(data) > limit:
        raise _too_large(limit)
    if not data:
        raise DomainError(_("The photo file is empty. Take it again."), "photo")
    return data


def _clean_client_id(client_id) -> str | None:
    client_id = (client_id or "").strip()
    if not client_id:
        return None
    if not CLIENT_ID_RE.match(client_id):
        raise DomainError(_("The upload key is not valid."), "photo")
    return client_id


def get_photo_by_client_id(user, client_id) -> Photo | None:
    """Return the photo `user` already uploaded with this idempotency key, else None."""
    try:
        client_id = _clean_client_id(client_id)
    except DomainError:
        return None
    if client_id is None:
        return None
    return db.session.scalar(
        select(Photo).where(Photo.uploaded_by_id == user.id, Photo.client_id == client_id)
    )


def save_photo(
    source, *, user, site, client_id: str | None = None, filename: str | None = None
) -> Photo:
    """Verify, clean and store an uploaded photo; return its (unattached) Photo row.

    `source` is bytes or a readable stream (a werkzeug FileStorage). A repeat of the same
    (user, client_id) returns the photo saved the first time and stores nothing. The file is
    stored under the SHA-256 of the re-encoded JPEG, so the same picture is kept once.
    `filename` only names the upload in the log.

    :raises PhotoTooLarge: the file is larger than PHOTO_MAX_BYTES (status 413).
    :raises DomainError: not a usable picture, an invalid client_id, or a site the user
        does not work at.
    """
    client_id = _clean_client_id(client_id)
    if client_id is not None:
        existing = get_photo_by_client_id(user, client_id)
        if existing is not None:
            return existing
    if site is None or not user.can_access_site(site):
        raise DomainError(_("Choose one of your sites first."), "photo")
    data = _read_upload(source, _max_bytes())
    config = current_app.config
    try:
        processed = process_image(
            data,
            max_side=int(config["PHOTO_MAX_SIDE"]),
            max_pixels=int(config["PHOTO_MAX_PIXELS"]),
        )
    except DomainError as error:
        current_app.logger.info("photo %r from user %s refused: %s", filename, user.id, error)
        raise
    digest = hashlib.sha256(processed.data).hexdigest()
    storage = get_storage()
    key = photo_key(digest)
    if not storage.exists(key):
        storage.put(key, processed.data)
    photo = Photo(
        site_id=site.id,
        sha256=digest,
        content_type=processed.content_type,
        width=processed.width,
        height=processed.height,
        size_bytes=len(processed.data),
        uploaded_by_id=user.id,
        client_id=client_id,
    )
    db.session.add(photo)
    try:
        db.session.commit()
    except IntegrityError:
        # The same client_id arrived twice at once: the other request saved it.
        db.session.rollback()
        existing = get_photo_by_client_id(user, client_id)
        if existing is None:
            raise
        return existing
    return photo


def photo_from_request_file(storage_file, *, user, site, client_id: str | None = None):
    """Save the photo a feature's own form sent; None when no file was chosen.

    Errors name the form's input (`storage_file.name`), so the form shows them beside it.

    :raises DomainError: as save_photo.
    """
    if storage_file is None or not storage_file.filename:
        return None
    try:
        return save_photo(
            storage_file.stream,
            user=user,
            site=site,
            client_id=client_id,
            filename=storage_file.filename,
        )
    except DomainError as error:
        error.field = storage_file.name or error.field
        raise


# --------------------------------------------------------------------------- attaching


def attach_photo(photo: Photo, owner_kind: str, owner_id: int, *, user, site) -> Photo:
    """Attach the user's own unattached photo of `site` to a record; flush, do not commit.

    The caller commits together with the record. Attaching again to the same record is a
    no-op (a retried offline upload).

    :raises DomainError: the photo is attached elsewhere, was uploaded by someone else, or
        belongs to another site.
    :raises ValueError: `owner_kind` was never registered, or `owner_id` is not an id.
    """
    if not is_owner_kind(owner_kind):
        raise ValueError(f"unregistered photo owner kind: {owner_kind!r}")
    if not is_valid_id(owner_id):
        raise ValueError(f"invalid owner id: {owner_id!r}")
    if photo.owner_kind == owner_kind and photo.owner_id == owner_id:
        return photo
    if photo.uploaded_by_id != user.id:
        raise DomainError(_("This photo was taken by someone else."), "photo")
    if photo.site_id != site.id:
        raise DomainError(_("This photo belongs to another site."), "photo")
    if photo.owner_kind is not None:
        raise DomainError(_("This photo is already attached to another record."), "photo")
    photo.owner_kind = owner_kind
    photo.owner_id = owner_id
    db.session.flush()
    return photo


def photos_of(owner_kind: str, owner_id: int) -> list[Photo]:
    """Return the photos attached to a record, oldest first."""
    return list(
        db.session.scalars(
            select(Photo)
            .where(Photo.owner_kind == owner_kind, Photo.owner_id == owner_id)
            .order_by(Photo.created_at, Photo.id)
        )
    )


# --------------------------------------------------------------------------- seeing


def can_view_photo(user, photo: Photo) -> bool:
    """True when `user` may see the photo.

    Never for another site. Admins and the uploader always; an unattached photo nobody
    else; an attached one whoever its owner kind's can_view() allows (nobody for a kind
    no feature registered).
    """
    if not getattr(user, "is_authenticated", False):
        return False
    if not user.can_access_site(photo.site):
        return False
    if user.is_admin or photo.uploaded_by_id == user.id:
        return True
    if photo.owner_kind is None or photo.owner_id is None:
        return False
    can_view = _OWNERS.get(photo.owner_kind)
    return can_view is not None and bool(can_view(user, photo.owner_id))


def get_photo_for_user(user, photo_id: int) -> Photo | None:
    """Return the photo if the user may see it, else None (other sites' photos included)."""
    photo = db.session.get(Photo, photo_id) if is_valid_id(photo_id) else None
    if photo is None or not can_view_photo(user, photo):
        return None
    return photo


def read_photo(photo: Photo) -> bytes | None:
    """Return the photo's JPEG bytes, or None when the file is missing from storage (logged)."""
    try:
        return get_storage().get(photo_key(photo.sha256))
    except FileNotFoundError:
        current_app.logger.error("photo %s: file %s is missing", photo.id, photo.sha256)
        return None
