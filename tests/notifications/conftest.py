"""Fixtures for the notifications tests."""

import pytest
from flask import template_rendered
from flask_babel import gettext as _

from pmfield.auth.roles import Role
from pmfield.notifications import services
from tests import factories


@pytest.fixture
def guard(site):
    return factories.make_user(Role.GUARD, sites=[site])


@pytest.fixture
def registry(monkeypatch):
    """A private copy of the render registry, with a kind that reads like a real one."""
    monkeypatch.setattr(services, "RENDERERS", dict(services.RENDERERS))
    # An existing catalog message, so the Chinese reader really gets Chinese.
    services.register_kind("test.saved", lambda params: _("Changes to %(code)s saved.", **params))
    return services.RENDERERS


@pytest.fixture
def templates(app):
    """Record the names of the templates each request renders."""
    names = []

    def record(_sender, template, **_extra):
        names.append(template.name)

    template_rendered.connect(record, app)
    yield names
    template_rendered.disconnect(record, app)
