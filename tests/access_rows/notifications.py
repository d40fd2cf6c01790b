"""Access rows for notifications: every signed-in user has their own."""

from sqlalchemy import select

from pmfield.extensions import db
from pmfield.notifications import services
from pmfield.notifications.models import Notification
from tests.access_common import Route

ROWS = {
    "notifications.list_notifications": Route("GET"),
    "notifications.mark_all_read": Route("POST"),
    # The notification belongs to the site's guard in objects["user"], who is none of the
    # matrix's role users: every role reaches the route and gets 404 for it (owner_only).
    "notifications.open_notification": Route(
        "POST", {"notification_id": "notification"}, owner_only=True
    ),
}


def objects(site, objects):
    """A notification for the site's guard."""
    owner = objects["user"]
    services.notify([owner], kind="test.access", key=f"site:{site.id}", site=site, url="/")
    db.session.commit()
    notification = db.session.scalar(select(Notification).where(Notification.user_id == owner.id))
    return {"notification": notification}
