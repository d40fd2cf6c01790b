"""Fixtures for the jobs tests."""

import pytest
from flask import template_rendered

from pmfield.auth.roles import Role
from tests import factories


@pytest.fixture
def in_request(app):
    """Run service calls inside a request, as the views do (messages pick a language)."""
    with app.test_request_context():
        yield


@pytest.fixture
def desk(site):
    return factories.make_user(Role.DESK, sites=[site])


@pytest.fixture
def point(site):
    return factories.make_point(site, kind="elevator", code="A-EL-1", name_en="Lift A")


@pytest.fixture
def templates(app):
    """Record the names of the templates each request renders."""
    names = []

    def record(_sender, template, **_extra):
        names.append(template.name)

    template_rendered.connect(record, app)
    yield names
    template_rendered.disconnect(record, app)
