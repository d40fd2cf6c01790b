"""Fixtures for the photo tests: people at two sites and a record kind the tests control."""

from pathlib import Path

import pytest

from pmfield.auth.roles import Role
from pmfield.photos import services
from tests import factories

#: A record kind registered for these tests; VISIBLE holds the (user id, owner id) it allows.
OWNER_KIND = "test-case"
VISIBLE: set[tuple[int, int]] = set()


def _can_view_case(user, owner_id) -> bool:
    return (user.id, owner_id) in VISIBLE


services.register_owner(OWNER_KIND, _can_view_case)


@pytest.fixture(autouse=True)
def _forget_visible():
    VISIBLE.clear()
    yield
    VISIBLE.clear()


@pytest.fixture
def in_request(app):
    """Run service calls inside a request, as the views do (messages pick a language)."""
    with app.test_request_context():
        yield


@pytest.fixture
def guard(site):
    return factories.make_user(Role.GUARD, sites=[site])


@pytest.fixture
def colleague(site):
    """Another user of the same site."""
    return factories.make_user(Role.SECURITY_SUPERVISOR, sites=[site])


@pytest.fixture
def outsider(other_site):
    """A user of another site only."""
    return factories.make_user(Role.SECURITY_SUPERVISOR, sites=[other_site])


@pytest.fixture
def admin(app):
    return factories.make_user(Role.ADMIN)


@pytest.fixture
def media(app) -> Path:
    return Path(app.config["MEDIA_DIR"])


def stored_files(media: Path) -> list[Path]:
    """Every file under the media dir (temporary files included)."""
    return sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []
