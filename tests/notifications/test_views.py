"""Notification pages: the list, opening one, read-all, the badge in the top bar."""

from sqlalchemy import select

from pmfield.auth.roles import Role
from pmfield.extensions import db
from pmfield.notifications import services
from pmfield.notifications.models import Notification
from tests import factories
from tests.conftest import HX


def _notify(user, key, **kw):
    services.notify([user], kind=kw.pop("kind", "test.saved"), key=key, **kw)
    db.session.commit()
    return db.session.scalar(
        select(Notification).where(Notification.user_id == user.id, Notification.key == key)
    )


def test_list_shows_own_notifications_with_unread_ones_highlighted(
    client, login_as, site, guard, registry, templates
):
    other = factories.make_user(Role.GUARD, sites=[site])
    read = _notify(guard, "1", params={"code": "READ-1"})
    _notify(guard, "2", params={"code": "UNREAD-2"}, site=site)
    _notify(other, "3", params={"code": "THEIRS-3"})
    services.mark_read(guard, read)
    login_as(guard)
    response = client.get("/notifications/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert templates[0] == "notifications/index.html"
    assert "Changes to READ-1 saved." in html
    assert "Changes to UNREAD-2 saved." in html
    assert "THEIRS-3" not in html
    assert html.count("is-unread") == 1
    unread_row = html[html.index("is-unread") :]
    assert unread_row.index("UNREAD-2") < unread_row.index("</button>")
    assert "Mark all as read" in html
    templates.clear()
    fragment = client.get("/notifications/", headers=HX)
    assert templates == ["notifications/_list.html"]
    assert "<html" not in fragment.get_data(as_text=True)


def test_list_is_empty_at_first(client, login_as, guard):
    login_as(guard)
    html = client.get("/notifications/").get_data(as_text=True)
    assert "No notifications yet." in html
    assert "Mark all as read" not in html


def test_open_marks_read_and_goes_to_the_url(client, login_as, guard):
    notification = _notify(guard, "1", url="/points?q=A-1")
    login_as(guard)
    response = client.post(f"/notifications/{notification.id}/open")
    assert response.status_code == 303
    assert response.headers["Location"] == "/points?q=A-1"
    db.session.refresh(notification)
    assert notification.read_at is not None
    htmx = client.post(f"/notifications/{notification.id}/open", headers=HX)
    assert htmx.headers["HX-Redirect"] == "/points?q=A-1"


def test_open_without_url_goes_back_to_the_list(client, login_as, guard):
    notification = _notify(guard, "1")
    login_as(guard)
    response = client.post(f"/notifications/{notification.id}/open")
    assert response.status_code == 303
    assert response.headers["Location"] == "/notifications/"


def test_somebody_elses_notification_is_404_and_stays_unread(client, login_as, site, guard):
    other = factories.make_user(Role.GUARD, sites=[site])
    theirs = _notify(other, "1", url="/points")
    login_as(guard)
    assert client.post(f"/notifications/{theirs.id}/open").status_code == 404
    assert client.post("/notifications/999999/open").status_code == 404
    assert client.post(f"/notifications/{2**40}/open").status_code == 404
    db.session.refresh(theirs)
    assert theirs.read_at is None


def test_read_all(client, login_as, site, guard):
    other = factories.make_user(Role.GUARD, sites=[site])
    _notify(guard, "1")
    _notify(guard, "2")
    _notify(other, "3")
    login_as(guard)
    response = client.post("/notifications/read-all")
    assert response.status_code == 303
    assert response.headers["Location"] == "/notifications/"
    assert services.unread_count(guard) == 0
    assert services.unread_count(other) == 1
    assert "All notifications are marked as read." in client.get("/notifications/").get_data(
        as_text=True
    )


def test_badge_shows_the_unread_count_on_every_page(client, login_as, guard):
    login_as(guard)
    assert 'class="topbar-bell"' not in client.get("/points").get_data(as_text=True)
    for key in ("1", "2", "3"):
        _notify(guard, key)
    html = client.get("/points").get_data(as_text=True)
    assert 'aria-label="3 unread notifications"' in html
    assert '<span class="bell-count" aria-hidden="true">3</span>' in html
    assert 'href="/notifications/"' in html
    client.post("/notifications/read-all")
    assert 'class="topbar-bell"' not in client.get("/points").get_data(as_text=True)


def test_badge_says_one_in_the_singular(client, login_as, guard):
    _notify(guard, "1")
    login_as(guard)
    assert 'aria-label="1 unread notification"' in client.get("/menu").get_data(as_text=True)


def test_strangers_get_no_badge_and_the_login_page(client):
    assert "topbar-bell" not in client.get("/auth/login").get_data(as_text=True)
    response = client.get("/notifications/")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_menu_links_to_the_notifications(client, login_as, guard):
    _notify(guard, "1")
    login_as(guard)
    html = client.get("/menu").get_data(as_text=True)
    assert 'href="/notifications/"' in html
    assert "1 unread" in html


def test_the_list_reads_in_the_readers_language(client, login_as, guard, registry):
    _notify(guard, "1", params={"code": "A-1"})
    login_as(guard)
    html = client.get("/notifications/", headers={"Accept-Language": "zh-CN"}).get_data(
        as_text=True
    )
    assert "A-1 的修改已保存。" in html
