"""Photo services: saving, idempotent retries, attaching to a record, who may see a photo."""

import hashlib
import io

import pytest
from PIL import Image
from sqlalchemy import func
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from pmfield.errors import DomainError
from pmfield.extensions import db
from pmfield.photos import services
from pmfield.photos.models import Photo
from pmfield.photos.storage import LocalStorage
from pmfield.photos.storage import get_storage
from pmfield.photos.storage import photo_key
from pmfield.photos.storage import set_storage
from tests.photos import images
from tests.photos.conftest import OWNER_KIND
from tests.photos.conftest import VISIBLE
from tests.photos.conftest import stored_files

pytestmark = pytest.mark.usefixtures("in_request")


def photo_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Photo))


# --------------------------------------------------------------------------- saving


def test_save_photo_stores_a_clean_jpeg_under_its_hash(site, guard, media):
    photo = services.save_photo(images.phone_jpeg(400, 300), user=guard, site=site)

    stored = get_storage().get(photo_key(photo.sha256))
    assert hashlib.sha256(stored).hexdigest() == photo.sha256
    assert stored_files(media) == [media / photo_key(photo.sha256)]
    assert (photo.width, photo.height) == (300, 400)
    assert photo.size_bytes == len(stored)
    assert photo.content_type == "image/jpeg"
    assert photo.site_id == site.id
    assert photo.uploaded_by_id == guard.id
    assert photo.owner_kind is None
    assert photo.created_at is not None
    image = Image.open(io.BytesIO(stored))
    assert dict(image.getexif()) == {}
    assert "icc_profile" not in image.info


def test_the_same_picture_twice_is_stored_once(site, guard, colleague, media):
    data = images.phone_jpeg()
    first = services.save_photo(data, user=guard, site=site)
    second = services.save_photo(io.BytesIO(data), user=colleague, site=site)

    assert first.id != second.id
    assert first.sha256 == second.sha256
    assert len(stored_files(media)) == 1


def test_a_retry_with_the_same_client_id_returns_the_first_photo(site, guard, media):
    key = "0b6f3c1e-7a9d-4c55-9f0e-2f6d1c8e4a10"
    first = services.save_photo(images.jpeg(color="red"), user=guard, site=site, client_id=key)
    again = services.save_photo(images.jpeg(color="blue"), user=guard, site=site, client_id=key)

    assert again.id == first.id
    assert photo_count() == 1
    assert len(stored_files(media)) == 1
    assert services.get_photo_by_client_id(guard, key).id == first.id


def test_client_ids_belong_to_their_uploader(site, guard, colleague):
    key = "same-key"
    mine = services.save_photo(images.jpeg(), user=guard, site=site, client_id=key)
    theirs = services.save_photo(images.jpeg(), user=colleague, site=site, client_id=key)
    assert mine.id != theirs.id
    assert services.get_photo_by_client_id(colleague, key).id == theirs.id


def test_an_invalid_client_id_is_refused(site, guard):
    with pytest.raises(DomainError, match="upload key is not valid"):
        services.save_photo(images.jpeg(), user=guard, site=site, client_id="../" + "x" * 80)
    assert photo_count() == 0


def test_an_oversize_file_gets_a_clear_error_and_nothing_is_stored(app, site, guard, media):
    app.config["PHOTO_MAX_BYTES"] = 1024 * 1024
    big = images.jpeg() + bytes(1024 * 1024)  # checked before it is decoded

    for source in (big, io.BytesIO(big)):
        with pytest.raises(services.PhotoTooLarge) as caught:
            services.save_photo(source, user=guard, site=site)
        assert caught.value.message == "The photo is too large (max 1 MB)."
        assert caught.value.status == 413

    assert photo_count() == 0
    assert stored_files(media) == []


def test_a_stream_is_read_no_further_than_the_limit(app, site, guard):
    app.config["PHOTO_MAX_BYTES"] = 1000
    stream = io.BytesIO(b"x" * 10_000)
    with pytest.raises(services.PhotoTooLarge):
        services.save_photo(stream, user=guard, site=site)
    assert stream.tell() == 1001


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not a picture at all", "not a photo"),
        (images.phone_jpeg()[:2000], "damaged"),
        (b"", "empty"),
        (images.png_claiming(20_000, 20_000), "too big"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(site, guard, media, data, message):
    with pytest.raises(DomainError, match=message) as caught:
        services.save_photo(data, user=guard, site=site, filename="IMG_0001.jpg")
    assert caught.value.status == 422
    assert photo_count() == 0
    assert stored_files(media) == []


def test_only_a_site_of_the_user(site, other_site, guard):
    with pytest.raises(DomainError, match="Choose one of your sites"):
        services.save_photo(images.jpeg(), user=guard, site=other_site)
    with pytest.raises(DomainError):
        services.save_photo(images.jpeg(), user=guard, site=None)
    assert photo_count() == 0


def test_photos_go_through_the_configured_storage(app, site, guard, tmp_path, media):
    elsewhere = LocalStorage(tmp_path / "elsewhere")
    set_storage(app, elsewhere)
    photo = services.save_photo(images.jpeg(), user=guard, site=site)
    assert elsewhere.exists(photo_key(photo.sha256))
    assert stored_files(media) == []
    assert services.read_photo(photo) == elsewhere.get(photo_key(photo.sha256))


def test_photo_from_request_file(site, guard):
    chosen = FileStorage(io.BytesIO(images.jpeg()), filename="IMG_1.jpg", name="anomaly_photo")
    photo = services.photo_from_request_file(chosen, user=guard, site=site)
    assert photo.id is not None

    nothing = FileStorage(io.BytesIO(b""), filename="", name="anomaly_photo")
    assert services.photo_from_request_file(nothing, user=guard, site=site) is None
    assert services.photo_from_request_file(None, user=guard, site=site) is None

    bad = FileStorage(io.BytesIO(b"text"), filename="notes.jpg", name="anomaly_photo")
    with pytest.raises(DomainError) as caught:
        services.photo_from_request_file(bad, user=guard, site=site)
    assert caught.value.field == "anomaly_photo"
    assert photo_count() == 1


# --------------------------------------------------------------------------- attaching


@pytest.fixture
def photo(site, guard):
    return services.save_photo(images.jpeg(), user=guard, site=site)


def test_attach_flushes_without_committing(photo, guard, site):
    services.attach_photo(photo, OWNER_KIND, 7, user=guard, site=site)
    assert services.photos_of(OWNER_KIND, 7) == [photo]

    db.session.rollback()  # the caller's record failed: the photo stays unattached
    assert db.session.get(Photo, photo.id).owner_kind is None
    assert services.photos_of(OWNER_KIND, 7) == []


def test_attaching_again_to_the_same_record_is_harmless(photo, guard, site):
    services.attach_photo(photo, OWNER_KIND, 7, user=guard, site=site)
    services.attach_photo(photo, OWNER_KIND, 7, user=guard, site=site)
    db.session.commit()
    assert (photo.owner_kind, photo.owner_id) == (OWNER_KIND, 7)


def test_a_photo_attached_elsewhere_cannot_move(photo, guard, site):
    services.attach_photo(photo, OWNER_KIND, 7, user=guard, site=site)
    db.session.commit()
    with pytest.raises(DomainError, match="already attached"):
        services.attach_photo(photo, OWNER_KIND, 8, user=guard, site=site)
    assert photo.owner_id == 7


def test_only_the_uploader_attaches_and_only_to_a_record_of_the_photos_site(
    photo, guard, colleague, site, other_site
):
    with pytest.raises(DomainError, match="taken by someone else"):
        services.attach_photo(photo, OWNER_KIND, 7, user=colleague, site=site)
    guard.sites.append(other_site)
    with pytest.raises(DomainError, match="another site"):
        services.attach_photo(photo, OWNER_KIND, 7, user=guard, site=other_site)
    assert photo.owner_kind is None


def test_attach_needs_a_registered_kind_and_an_id(photo, guard, site):
    with pytest.raises(ValueError, match="unregistered"):
        services.attach_photo(photo, "no-such-kind", 7, user=guard, site=site)
    with pytest.raises(ValueError, match="invalid owner id"):
        services.attach_photo(photo, OWNER_KIND, 0, user=guard, site=site)


def test_photos_of_lists_a_records_photos_oldest_first(site, guard):
    first = services.save_photo(images.jpeg(color="red"), user=guard, site=site)
    second = services.save_photo(images.jpeg(color="blue"), user=guard, site=site)
    other = services.save_photo(images.jpeg(color="green"), user=guard, site=site)
    for photo, owner in ((first, 1), (second, 1), (other, 2)):
        services.attach_photo(photo, OWNER_KIND, owner, user=guard, site=site)
    db.session.commit()
    assert services.photos_of(OWNER_KIND, 1) == [first, second]
    assert services.photos_of(OWNER_KIND, 2) == [other]
    assert services.photos_of("test-owner-other", 1) == []


def test_register_owner_refuses_a_second_rule_for_a_kind():
    rule = VISIBLE.__contains__
    with pytest.raises(ValueError, match="already registered"):
        services.register_owner(OWNER_KIND, lambda user, owner_id: True)
    with pytest.raises(ValueError, match="invalid photo owner kind"):
        services.register_owner("Not A Kind!", rule)
    assert services.is_owner_kind(OWNER_KIND)


# --------------------------------------------------------------------------- seeing


def test_an_unattached_photo_is_seen_by_its_uploader_and_admins_only(
    photo, guard, colleague, outsider, admin
):
    assert services.can_view_photo(guard, photo)
    assert services.can_view_photo(admin, photo)
    assert not services.can_view_photo(colleague, photo)
    assert not services.can_view_photo(outsider, photo)
    assert services.get_photo_for_user(colleague, photo.id) is None
    assert services.get_photo_for_user(guard, photo.id) == photo


def test_once_attached_the_owners_rule_decides(photo, guard, colleague, outsider, site):
    services.attach_photo(photo, OWNER_KIND, 7, user=guard, site=site)
    db.session.commit()
    assert not services.can_view_photo(colleague, photo)

    VISIBLE.add((colleague.id, 7))
    VISIBLE.add((outsider.id, 7))
    assert services.can_view_photo(colleague, photo)
    # Never across sites, whatever the rule says.
    assert not services.can_view_photo(outsider, photo)
    # The uploader keeps seeing their own photo.
    assert services.can_view_photo(guard, photo)


def test_a_kind_nobody_registered_shows_nothing(photo, guard, colleague):
    photo.owner_kind, photo.owner_id = "retired-feature", 7
    db.session.commit()
    assert not services.can_view_photo(colleague, photo)


def test_strangers_and_bad_ids_see_nothing(photo):
    from flask_login import AnonymousUserMixin

    assert not services.can_view_photo(AnonymousUserMixin(), photo)
    assert services.get_photo_for_user(AnonymousUserMixin(), photo.id) is None
    assert services.get_photo_for_user(photo.uploaded_by, 2**40) is None
    assert services.get_photo_for_user(photo.uploaded_by, photo.id + 1) is None
