"""Signed label tokens and the /q/<token> landing page."""

import re
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func
from sqlalchemy import select

from pmfield.audit.models import AuditEntry
from pmfield.auth.roles import Role
from pmfield.extensions import db
from pmfield.places import services
from pmfield.places.models import Label
from pmfield.places.models import Location
from pmfield.places.models import Point
from pmfield.places.tokens import TOKEN_LEN
from pmfield.places.tokens import make_token
from pmfield.places.tokens import new_serial
from pmfield.places.tokens import verify_token
from tests import factories

INVALID = "This is not a valid pmfield label"
REVOKED = "This label was replaced or withdrawn; report it to your supervisor"


def flip(token: str, index: int = 12) -> str:
    """Change one character to another valid base32 character."""
    swapped = "B" if token[index] != "B" else "C"
    return token[:index] + swapped + token[index + 1 :]


@pytest.fixture
def point(site):
    return factories.make_point(site, code="GATE-S", name_en="South gate")


@pytest.fixture
def token(point):
    return services.label_token(point.current_label)


def snapshot() -> tuple:
    """Everything a scan could write: rows and label states."""
    labels = db.session.execute(select(Label.id, Label.revoked_at, Label.version)).all()
    return (
        db.session.scalar(select(func.count()).select_from(AuditEntry)),
        db.session.scalar(select(func.count()).select_from(Point)),
        db.session.scalar(select(func.count()).select_from(Location)),
        sorted(labels),
    )


# --------------------------------------------------------------------------- tokens


def test_tokens_are_short_uppercase_base32(app):
    token = make_token("secret", new_serial())
    assert len(token) == TOKEN_LEN
    assert re.fullmatch(r"[A-Z2-7]+", token)  # QR alphanumeric mode


def test_verify_token_accepts_only_signed_tokens(app):
    serial = new_serial()
    token = make_token("secret", serial)
    assert verify_token("secret", token) == serial
    assert verify_token("secret", f" {token.lower()} ") == serial
    assert verify_token("other secret", token) is None
    for index in (0, 5, 12, TOKEN_LEN - 1):
        assert verify_token("secret", flip(token, index)) is None
    for junk in (
        None,
        "",
        token[:-1],
        token + "A",
        "0" * TOKEN_LEN,
        "é" * TOKEN_LEN,
        42,
        "A" * 10_000,
    ):
        assert verify_token("secret", junk) is None


def test_resolve_token_statuses(app, site, point, token):
    label = point.current_label
    assert services.resolve_token(token) == (label, "ok")
    assert services.resolve_token(flip(token)) == (None, "invalid")
    assert services.resolve_token(make_token("made-up secret", new_serial())) == (None, "invalid")
    unknown = make_token(app.config["LABEL_SECRET"], new_serial())  # signed, but never issued
    assert services.resolve_token(unknown) == (None, "invalid")
    assert services.resolve_token(None) == (None, "invalid")
    services.reissue_label(point, reason="lost", actor=None)
    assert services.resolve_token(token) == (label, "revoked")
    services.retire_point(point, actor=None)
    assert services.resolve_token(token) == (label, "retired")


def test_label_secret_change_invalidates_tokens(app, point, token):
    app.config["LABEL_SECRET"] = "rotated"
    assert services.resolve_token(token) == (None, "invalid")


# --------------------------------------------------------------------------- /q/<token>


def test_scan_valid_label_signed_in_shows_the_point(client, login_as, site, point, token):
    # Guards get the patrol check-in page for a checkpoint instead (tests/patrol).
    login_as(factories.make_user(Role.TECHNICIAN, sites=[site]))
    response = client.get(f"/q/{token}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "GATE-S" in html
    assert "South gate" in html
    assert "Label scanned" in html


@pytest.mark.parametrize("signed_in", [False, True])
def test_altered_and_invented_tokens_get_the_invalid_page(client, login_as, site, token, signed_in):
    if signed_in:
        login_as(factories.make_user(Role.GUARD, sites=[site]))
    for bad in (
        flip(token),
        flip(token, 0),
        "INVENTEDTOKEN2345ABC",
        "short",
        "x" * 300,
        "%E4%BD%A0%E5%A5%BD",
        token[:-1],
    ):
        response = client.get(f"/q/{bad}")
        assert response.status_code == 404, bad
        assert INVALID in response.get_data(as_text=True)


def test_revoked_label_gets_410(client, login_as, site, point, token):
    services.reissue_label(point, reason="copied", actor=None)
    for user in (None, factories.make_user(Role.GUARD, sites=[site])):
        if user:
            login_as(user)
        response = client.get(f"/q/{token}")
        assert response.status_code == 410
        assert REVOKED in response.get_data(as_text=True)


def test_retired_point_label_gets_410(client, site, point, token):
    services.retire_point(point, actor=None)
    response = client.get(f"/q/{token}")
    assert response.status_code == 410
    assert "no longer in use" in response.get_data(as_text=True)


def test_anonymous_scan_goes_to_login_and_comes_back(client, site, point, token):
    response = client.get(f"/q/{token}")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/auth/login"
    assert parse_qs(location.query)["next"] == [f"/q/{token}"]
    user = factories.make_user(Role.GUARD, sites=[site])
    response = client.post(
        "/auth/login",
        data={"username": user.username, "password": factories.PASSWORD, "next": f"/q/{token}"},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/q/{token}")
    assert client.get(f"/q/{token}").status_code == 200


def test_scan_from_another_site_is_forbidden(client, login_as, other_site, token):
    login_as(factories.make_user(Role.GUARD, sites=[other_site]))
    response = client.get(f"/q/{token}")
    assert response.status_code == 403
    assert "GATE-S" not in response.get_data(as_text=True)


def test_admins_may_scan_any_site(client, login_as, token):
    login_as(factories.make_user(Role.ADMIN))
    assert client.get(f"/q/{token}").status_code == 200


def test_a_get_on_q_writes_nothing(client, login_as, site, point, token):
    revoked = token
    services.reissue_label(point, reason="lost", actor=None)
    token = services.label_token(point.current_label)
    before = snapshot()
    for user in (None, factories.make_user(Role.GUARD, sites=[site])):
        if user:
            login_as(user)
            before = snapshot()
        for url in (f"/q/{token}", f"/q/{revoked}", f"/q/{flip(token)}", "/q/INVENTED"):
            client.get(url)
            client.head(url)
        assert snapshot() == before
