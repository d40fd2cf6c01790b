"""Sign-in through the real form, throttling, destinations, sign-out and session ending."""

import pytest

from pmfield.auth import services
from pmfield.auth.roles import Role
from tests import factories
from tests.factories import PASSWORD


def _login(client, username, password=PASSWORD, **extra):
    return client.post("/auth/login", data={"username": username, "password": password, **extra})


@pytest.mark.parametrize("role", list(Role))
def test_every_role_signs_in_through_the_form_and_lands_on_its_home(client, site, role):
    user = factories.make_user(role, sites=[site])
    response = _login(client, user.username)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert f'data-home="{role.value}"'.encode() in home.data


def test_wrong_password_is_refused_with_a_clear_message(client, site):
    user = factories.make_user(sites=[site])
    response = _login(client, user.username, "wrong password")
    assert response.status_code == 401
    assert b"Wrong username or password" in response.data
    assert client.get("/").status_code == 302  # still signed out


def test_username_is_case_insensitive(client, site):
    user = factories.make_user(sites=[site], username="guard7")
    assert _login(client, "  GUARD7 ").status_code == 303
    assert client.get("/").status_code == 200
    assert user.last_login_at is not None


def test_repeated_failures_are_throttled_with_a_message(client, site):
    user = factories.make_user(sites=[site])
    for _ in range(5):
        assert _login(client, user.username, "nope").status_code == 401
    throttled = _login(client, user.username, PASSWORD)
    assert throttled.status_code == 429
    assert b"Too many failed sign-ins" in throttled.data
    # Another person on the same Wi-Fi is not locked out.
    other = factories.make_user(sites=[site])
    assert _login(client, other.username).status_code == 303


def test_successful_sign_ins_do_not_count_towards_the_throttle(client, site):
    user = factories.make_user(sites=[site])
    for _ in range(7):
        assert _login(client, user.username).status_code == 303
        client.post("/auth/logout")


def test_login_keeps_the_destination(client, site):
    user = factories.make_user(sites=[site])
    response = client.get("/menu")
    assert response.status_code == 302
    assert "/auth/login?next=/menu" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    assert b'name="next" value="/menu"' in page.data
    signed = _login(client, user.username, next="/menu")
    assert signed.headers["Location"] == "/menu"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_login_refuses_to_send_users_elsewhere(client, site, target):
    user = factories.make_user(sites=[site])
    response = _login(client, user.username, next=target)
    assert response.headers["Location"] == "/"


def test_htmx_requests_without_a_session_get_a_client_redirect(client):
    response = client.get("/menu", headers={"HX-Request": "true"})
    assert response.headers.get("HX-Redirect", "").startswith("/auth/login?next=")


def test_logout_is_a_post_and_ends_the_session(client, site, login_as):
    login_as(factories.make_user(sites=[site]))
    assert client.get("/auth/logout").status_code == 405
    assert client.post("/auth/logout").status_code == 303
    assert client.get("/").status_code == 302


def test_session_survives_a_change_of_network(client, site):
    # Phones hop between Wi-Fi and mobile data: the address changes mid-session.
    user = factories.make_user(sites=[site])
    _login(client, user.username, environ_base={"REMOTE_ADDR": "10.0.0.5"})
    response = client.get("/", environ_base={"REMOTE_ADDR": "100.64.3.9"})
    assert response.status_code == 200


def test_deactivated_user_cannot_sign_in_and_open_sessions_end(app, client, site):
    user = factories.make_user(sites=[site])
    _login(client, user.username)
    assert client.get("/").status_code == 200
    services.set_active(user, False)
    assert client.get("/").status_code == 302
    assert _login(client, user.username).status_code == 401


def test_password_change_ends_other_sessions(app, client, site):
    user = factories.make_user(sites=[site])
    _login(client, user.username)
    services.set_password(user, "a new long password")
    assert client.get("/").status_code == 302
    assert _login(client, user.username, "a new long password").status_code == 303


def test_login_page_lists_demo_accounts_only_when_demo_data_is_present(client, site):
    assert b"pmfield-demo" not in client.get("/auth/login").data
    factories.make_user(sites=[site], username="guard1", is_demo=True)
    page = client.get("/auth/login")
    assert b"pmfield-demo" in page.data
    assert b"sec-lead" in page.data
