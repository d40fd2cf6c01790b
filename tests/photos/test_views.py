"""Photo pages: the upload API, serving a photo only to those allowed, the 413 answers."""

import io

import pytest
from flask import render_template_string
from sqlalchemy import func
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from pmfield.extensions import db
from pmfield.photos import services
from pmfield.photos.models import Photo
from pmfield.photos.storage import get_storage
from pmfield.photos.storage import photo_key
from tests.conftest import HX
from tests.photos import images
from tests.photos.conftest import OWNER_KIND
from tests.photos.conftest import VISIBLE
from tests.photos.conftest import stored_files

UPLOAD = "/photos/"


def photo_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Photo))


def multipart(path, client, headers=None, **fields):
    """POST a multipart body built in memory (the test client would spool big ones to disk)."""
    boundary, body = encode_multipart(fields)
    return client.post(
        path,
        data=body,
        headers=headers or {},
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def upload(client, data: bytes, filename="IMG_0001.jpg", headers=None, **form):
    form["file"] = FileStorage(io.BytesIO(data), filename=filename, content_type="image/jpeg")
    return multipart(UPLOAD, client, headers, **form)


# --------------------------------------------------------------------------- upload


def test_upload_answers_201_with_the_photo(client, login_as, guard, site, media):
    login_as(guard)
    response = upload(client, images.phone_jpeg(400, 300))

    assert response.status_code == 201
    body = response.get_json()
    photo = db.session.get(Photo, body["id"])
    assert body == {"id": photo.id, "url": f"/photos/{photo.id}", "width": 300, "height": 400}
    assert photo.uploaded_by_id == guard.id
    assert photo.site_id == site.id
    assert stored_files(media) == [media / photo_key(photo.sha256)]


def test_a_repeat_of_the_idempotency_key_answers_200_with_the_same_photo(
    client, login_as, guard, site
):
    login_as(guard)
    key = {"Idempotency-Key": "6f1f0d2c-2a4e-4d8b-9e65-0c1a7f5e9b31"}
    first = upload(client, images.jpeg(), headers=key)
    again = upload(client, images.jpeg(), headers=key)
    by_form = upload(client, images.jpeg(), client_id=key["Idempotency-Key"])

    assert first.status_code == 201
    assert again.status_code == 200
    assert by_form.status_code == 200
    assert again.get_json() == first.get_json() == by_form.get_json()
    assert photo_count() == 1


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"Meeting at nine.\n", "notes.jpg"),
        (images.phone_jpeg()[:3000], "IMG_0002.jpg"),
        (images.png_claiming(40_000, 40_000), "bomb.png"),
    ],
)
def test_a_bad_picture_answers_422_json_and_stores_nothing(
    client, login_as, guard, media, data, filename
):
    login_as(guard)
    response = upload(client, data, filename=filename)

    assert response.status_code == 422
    assert response.is_json
    assert response.get_json()["error"]
    assert photo_count() == 0
    assert stored_files(media) == []


def test_upload_without_a_file_answers_422(client, login_as, guard):
    login_as(guard)
    response = client.post(UPLOAD, data={})
    assert response.status_code == 422
    assert response.get_json() == {"error": "Choose a photo."}


def test_a_photo_over_the_photo_limit_answers_413_json(app, client, login_as, guard, media):
    app.config["PHOTO_MAX_BYTES"] = 2 * 1024 * 1024
    login_as(guard)
    response = upload(client, images.jpeg() + bytes(3 * 1024 * 1024))

    assert response.status_code == 413
    assert response.get_json() == {"error": "The photo is too large (max 2 MB)."}
    assert photo_count() == 0
    assert stored_files(media) == []


def test_a_request_over_the_server_limit_answers_413_json(app, client, login_as, guard):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    login_as(guard)
    response = upload(client, images.jpeg() + bytes(2 * 1024 * 1024))

    assert response.status_code == 413
    assert response.get_json() == {"error": "The upload is too large (max 1 MB)."}
    assert photo_count() == 0


def test_the_server_limit_is_20_mb_by_default(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 20 * 1024 * 1024
    assert app.config["PHOTO_MAX_BYTES"] == 15 * 1024 * 1024
    assert app.config["PHOTO_MAX_SIDE"] == 1600


def test_other_pages_answer_413_with_a_page_or_a_toast(app, client, login_as, guard):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    login_as(guard)
    big = {
        "theme": "dark",
        "file": FileStorage(io.BytesIO(bytes(2 * 1024 * 1024)), filename="big.jpg"),
    }

    page = multipart("/settings/theme", client, **big)
    assert page.status_code == 413
    assert "<html" in page.text
    assert "The upload is too large (max 1 MB)." in page.text

    big["file"] = FileStorage(io.BytesIO(bytes(2 * 1024 * 1024)), filename="big.jpg")
    toast = multipart("/settings/theme", client, HX, **big)
    assert toast.status_code == 413
    assert "<html" not in toast.text
    assert 'class="toast toast-error"' in toast.text
    assert "The upload is too large (max 1 MB)." in toast.text


# --------------------------------------------------------------------------- serving


@pytest.fixture
def photo(app, site, guard):
    with app.test_request_context():
        return services.save_photo(images.phone_jpeg(), user=guard, site=site)


def test_the_uploader_gets_the_jpeg_with_private_cache_and_nosniff(client, login_as, guard, photo):
    login_as(guard)
    response = client.get(f"/photos/{photo.id}")

    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.data == get_storage().get(photo_key(photo.sha256))
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.cache_control.private
    assert not response.cache_control.public
    assert response.cache_control.max_age > 0
    assert response.headers["ETag"] == f'"{photo.sha256}"'

    cached = client.get(f"/photos/{photo.id}", headers={"If-None-Match": f'"{photo.sha256}"'})
    assert cached.status_code == 304


def test_an_unattached_photo_is_404_for_everyone_else_at_the_site(
    client, login_as, colleague, photo
):
    login_as(colleague)
    assert client.get(f"/photos/{photo.id}").status_code == 404


def test_an_attached_photo_follows_its_records_rule(
    client, login_as, guard, colleague, site, photo
):
    services.attach_photo(photo, OWNER_KIND, 7, user=guard, site=site)
    db.session.commit()
    login_as(colleague)
    assert client.get(f"/photos/{photo.id}").status_code == 404

    VISIBLE.add((colleague.id, 7))
    assert client.get(f"/photos/{photo.id}").status_code == 200


def test_another_sites_photo_is_404_even_when_the_rule_allows(
    client, login_as, guard, outsider, site, photo
):
    services.attach_photo(photo, OWNER_KIND, 7, user=guard, site=site)
    db.session.commit()
    VISIBLE.add((outsider.id, 7))
    login_as(outsider)
    assert client.get(f"/photos/{photo.id}").status_code == 404


def test_admins_see_every_photo(client, login_as, admin, photo):
    login_as(admin)
    assert client.get(f"/photos/{photo.id}").status_code == 200


def test_strangers_are_sent_to_sign_in(client, photo):
    response = client.get(f"/photos/{photo.id}")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_missing_photos_and_files_are_404(client, login_as, guard, photo):
    login_as(guard)
    assert client.get(f"/photos/{photo.id + 1}").status_code == 404
    get_storage().delete(photo_key(photo.sha256))
    assert client.get(f"/photos/{photo.id}").status_code == 404


# --------------------------------------------------------------------------- markup


def test_photo_input_macro_opens_the_rear_camera_without_inline_script(app):
    with app.test_request_context():
        html = render_template_string(
            '{% from "photos/_macros.html" import photo_input, photo_head %}'
            "{{ photo_head() }}{{ photo_input('photo', 'Photo of the problem', required=true,"
            " errors={'photo': 'Take a photo.'}) }}"
        )
    assert 'type="file"' in html
    assert 'accept="image/*"' in html
    assert 'capture="environment"' in html
    assert 'name="photo"' in html
    assert "data-photo-input" in html
    assert "data-photo-preview" in html
    assert "required" in html
    assert "Take a photo." in html
    assert "/static/js/photo.js" in html
    assert "/static/css/photos.css" in html
    assert "<script>" not in html
    assert " style=" not in html
    assert " on" not in html.replace(" one", "")  # no inline event handlers


def test_photo_thumbs_macro_links_to_the_photo(app, photo):
    with app.test_request_context():
        html = render_template_string(
            '{% from "photos/_macros.html" import photo_thumbs %}'
            '{{ photo_thumbs(photos, "Photos") }}',
            photos=[photo],
        )
    assert f'src="/photos/{photo.id}"' in html
    assert f'width="{photo.width}"' in html
