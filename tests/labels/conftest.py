"""Fixtures for label sheets: a label printer and a site full of points."""

import base64
import hashlib

import pytest
from flask_babel import force_locale

from pmfield.auth.roles import Role
from pmfield.extensions import db
from pmfield.places.tokens import SERIAL_LEN
from tests import factories


@pytest.fixture
def printer(site):
    """A site manager (may print labels) working at `site`, reading English."""
    return factories.make_user(Role.MANAGER, sites=[site], locale="en")


@pytest.fixture
def many_points(site):
    """23 points: one full sheet of 21 and two on a second sheet; realistic bilingual names."""
    location = factories.make_location(site, name_zh="三号教学楼", name_en="Teaching Block 3")
    points = [
        factories.make_point(
            site,
            location=location,
            kind="cleaning_area" if i % 2 else "checkpoint",
            code=f"A3-{i // 4 + 1}F-WC-{i:02d}",
            name_zh=f"三号楼{i // 4 + 1}层男卫生间{i}",
            name_en=f"Block 3, floor {i // 4 + 1}, men's toilet {i}",
        )
        for i in range(23)
    ]
    # Fixed serials: the same QR codes every run, so a decode result is repeatable.
    for i, point in enumerate(points):
        digest = hashlib.sha256(f"label-{i}".encode()).digest()
        point.current_label.serial = base64.b32encode(digest).decode()[:SERIAL_LEN]
    db.session.commit()
    return points


@pytest.fixture
def english(app):
    """Speak English outside requests too (services call gettext; no request picks a locale)."""
    with force_locale("en"):
        yield
