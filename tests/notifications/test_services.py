"""Notification rules: once per event, flush only, own only, read state, texts."""

import threading
import time
from datetime import timedelta

import pytest
from flask_babel import refresh
from sqlalchemy import func
from sqlalchemy import select

from pmfield.auth.models import User
from pmfield.auth.roles import Role
from pmfield.errors import NotFoundError
from pmfield.extensions import db
from pmfield.notifications import services
from pmfield.notifications.models import Notification
from pmfield.timeutil import utcnow
from tests import factories
from tests.conftest import TEST_DATABASE_URL


def count(*where) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(*where))


def test_notify_twice_for_the_same_event_adds_one_row(site, guard):
    first = services.notify([guard], kind="patrol.missed", key="run:1", site=site, url="/runs/1")
    db.session.commit()
    again = services.notify([guard], kind="patrol.missed", key="run:1", site=site)
    db.session.commit()
    assert (first, again) == (1, 0)
    assert count() == 1
    row = db.session.scalar(select(Notification))
    assert (row.user_id, row.site_id, row.url, row.read_at) == (guard.id, site.id, "/runs/1", None)


def test_notify_counts_only_the_new_ones_and_skips_repeated_users(site, guard):
    supervisor = factories.make_user(Role.SECURITY_SUPERVISOR, sites=[site])
    services.notify([guard], kind="patrol.missed", key="run:1")
    new = services.notify([guard, supervisor, supervisor], kind="patrol.missed", key="run:1")
    assert new == 1
    assert count() == 2
    assert services.notify([guard], kind="patrol.missed", key="run:2") == 1
    assert services.notify([guard], kind="patrol.late", key="run:1") == 1
    assert services.notify([], kind="patrol.late", key="run:9") == 0


def test_notify_only_flushes_so_the_caller_decides(site, guard):
    services.notify([guard], kind="patrol.missed", key="run:1", params={"route": "A"})
    assert count() == 1
    db.session.rollback()
    assert count() == 0


@pytest.mark.parametrize(
    ("kind", "key", "url"),
    [
        ("", "run:1", None),
        ("x" * 65, "run:1", None),
        ("patrol.missed", "", None),
        ("patrol.missed", "k" * 121, None),
        ("patrol.missed", "run:1", "https://evil.example/"),
        ("patrol.missed", "run:1", "//evil.example/"),
    ],
)
def test_notify_refuses_what_cannot_be_stored(guard, kind, key, url):
    with pytest.raises(ValueError, match="notification"):
        services.notify([guard], kind=kind, key=key, url=url)
    assert count() == 0


def test_list_shows_only_own_notifications_newest_first(site, guard):
    other = factories.make_user(Role.GUARD, sites=[site])
    services.notify([guard], kind="k", key="old")
    services.notify([guard, other], kind="k", key="new")
    db.session.commit()
    old = db.session.scalar(select(Notification).where(Notification.key == "old"))
    old.created_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    items, total = services.list_notifications(guard)
    assert [n.key for n in items] == ["new", "old"]
    assert total == 2
    assert all(n.user_id == guard.id for n in items)
    assert services.list_notifications(other)[1] == 1


def test_list_pages(guard, monkeypatch):
    monkeypatch.setattr(services, "PAGE_SIZE", 2)
    for n in range(5):
        services.notify([guard], kind="k", key=f"e{n}")
    db.session.commit()
    first, total = services.list_notifications(guard, page=1)
    third, _total = services.list_notifications(guard, page=3)
    assert (len(first), len(third), total) == (2, 1, 5)


def test_unread_count_mark_read_and_mark_all_read(site, guard):
    other = factories.make_user(Role.GUARD, sites=[site])
    for key in ("a", "b", "c"):
        services.notify([guard, other], kind="k", key=key)
    db.session.commit()
    assert services.unread_count(guard) == 3
    one = services.list_notifications(guard)[0][0]
    services.mark_read(guard, one)
    first_read = one.read_at
    assert first_read is not None
    services.mark_read(guard, one)
    assert one.read_at == first_read
    assert services.unread_count(guard) == 2
    assert services.mark_all_read(guard) == 2
    assert services.unread_count(guard) == 0
    assert services.unread_count(other) == 3


def test_nobody_reads_or_marks_somebody_elses_notification(site, guard):
    other = factories.make_user(Role.GUARD, sites=[site])
    admin = factories.make_user(Role.ADMIN)
    services.notify([other], kind="k", key="a")
    db.session.commit()
    theirs = db.session.scalar(select(Notification))
    assert services.get_notification_for_user(guard, theirs.id) is None
    assert services.get_notification_for_user(admin, theirs.id) is None
    assert services.get_notification_for_user(other, theirs.id) is theirs
    assert services.get_notification_for_user(other, 2**40) is None
    with pytest.raises(NotFoundError):
        services.mark_read(guard, theirs)
    assert theirs.read_at is None


def test_texts_come_from_the_registry_in_the_readers_language(app, guard, registry):
    services.notify([guard], kind="test.saved", key="1", params={"code": "A-1"})
    services.notify([guard], kind="nobody.registered.this", key="1")
    services.notify([guard], kind="test.saved", key="2", params={"wrong": "x"})
    db.session.commit()
    saved, unknown, stale = db.session.scalars(select(Notification).order_by(Notification.id))
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert services.render_text(saved) == "Changes to A-1 saved."
        assert services.render_text(unknown) == "Something needs your attention."
        assert services.render_text(stale) == "Something needs your attention."
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        refresh()  # the test's app context outlives requests: forget the cached locale
        assert services.render_text(saved) == "A-1 的修改已保存。"


def test_users_with_roles(site, other_site):
    supervisor = factories.make_user(Role.SECURITY_SUPERVISOR, sites=[site])
    factories.make_user(Role.SECURITY_SUPERVISOR, sites=[site], active=False)
    factories.make_user(Role.SECURITY_SUPERVISOR, sites=[other_site])
    manager = factories.make_user(Role.MANAGER, sites=[site, other_site])
    factories.make_user(Role.GUARD, sites=[site])
    admin = factories.make_user(Role.ADMIN)
    factories.make_user(Role.ADMIN, active=False)
    roles = {Role.SECURITY_SUPERVISOR, Role.MANAGER}
    assert set(services.users_with_roles(site, roles)) == {supervisor, manager}
    assert set(services.users_with_roles(site, roles, include_admins=True)) == {
        supervisor,
        manager,
        admin,
    }
    assert services.users_with_roles(site, [Role.ADMIN]) == []


# --------------------------------------------------------------------------- two processes


@pytest.fixture
def app_config(app_config, tmp_path):
    """A database file (or PostgreSQL): two connections must really be two transactions."""
    app_config["DATABASE_URL"] = TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'two.db'}"
    return app_config


def test_two_transactions_reporting_the_same_event_notify_once(app, site, guard):
    """A second process notifies while the first has not committed yet: no error, no copy."""
    results = []

    def second_process():
        with app.app_context():
            try:
                user = db.session.get(User, guard.id)
                results.append(services.notify([user], kind="patrol.missed", key="run:7"))
                db.session.commit()
            except Exception as error:  # noqa: BLE001  (reported by the assertion below)
                results.append(error)
            finally:
                db.session.remove()

    assert services.notify([guard], kind="patrol.missed", key="run:7") == 1
    worker = threading.Thread(target=second_process)
    worker.start()
    time.sleep(0.3)  # the second INSERT now waits for the first transaction's lock
    db.session.commit()
    worker.join(timeout=10)
    assert results == [0]
    assert count() == 1
