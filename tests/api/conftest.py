"""Fixtures for the sync API tests."""

import pytest

from pmfield.auth.roles import Role
from tests import factories


@pytest.fixture
def point(site):
    return factories.make_point(site, kind="elevator", code="A-EL-1", name_en="Lift A")


@pytest.fixture
def desk(site):
    return factories.make_user(Role.DESK, sites=[site])
