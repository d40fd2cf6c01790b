"""Access rows for the shared photo component (pmfield/photos)."""

import io

from PIL import Image

from pmfield.extensions import db
from pmfield.photos import services as photos
from tests.access_common import EVERYONE
from tests.access_common import Route

#: A record kind whose photos every member of the photo's site may see.
OWNER_KIND = "test-owner"


def _everyone_at_the_site(_user, _owner_id) -> bool:
    # can_view_photo() has already checked that the user works at the photo's site.
    return True


photos.register_owner(OWNER_KIND, _everyone_at_the_site)

ROWS = {
    "photos.upload_photo": Route("POST", allowed=EVERYONE),
    "photos.show_photo": Route("GET", {"photo_id": "photo"}, allowed=EVERYONE, site_scoped=True),
}


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), "teal").save(buffer, "JPEG")
    return buffer.getvalue()


def objects(site, objects):
    """A photo taken by the site's guard, attached to a record everybody at the site sees."""
    photo = photos.save_photo(_jpeg(), user=objects["user"], site=site)
    photos.attach_photo(photo, OWNER_KIND, 1, user=objects["user"], site=site)
    db.session.commit()
    return {"photo": photo}
