"""Notifications pages: the list, opening one, marking all read."""

from flask import abort
from flask import flash
from flask import redirect
from flask import request
from flask_babel import gettext as _
from flask_htmx.responses import HTMXResponseClientRedirect
from flask_login import current_user

from pmfield.extensions import htmx
from pmfield.notifications import bp
from pmfield.notifications import services
from pmfield.web.htmx import redirect_to
from pmfield.web.htmx import render_page
from pmfield.web.security import signed_in


@bp.app_template_filter("notification_text")
def notification_text_filter(notification) -> str:
    """Render a notification's text in the reader's language."""
    return services.render_text(notification)


@bp.route("/")
@signed_in
def list_notifications():
    """List the user's notifications, newest first; unread ones stand out."""
    page = max(request.args.get("page", 1, type=int), 1)
    notifications, total = services.list_notifications(current_user, page=page)
    return render_page(
        "notifications/index.html",
        "notifications/_list.html",
        notifications=notifications,
        total=total,
        page=page,
        has_more=page * services.PAGE_SIZE < total,
    )


@bp.route("/<int:notification_id>/open", methods=["POST"])
@signed_in
def open_notification(notification_id):
    """Mark a notification read and go to what it is about."""
    notification = services.get_notification_for_user(current_user, notification_id)
    if notification is None:
        abort(404)
    services.mark_read(current_user, notification)
    if not notification.url:
        return redirect_to("notifications.list_notifications")
    if htmx:
        return HTMXResponseClientRedirect(notification.url)
    return redirect(notification.url, code=303)


@bp.route("/read-all", methods=["POST"])
@signed_in
def mark_all_read():
    """Mark every notification read."""
    services.mark_all_read(current_user)
    flash(_("All notifications are marked as read."), "success")
    return redirect_to("notifications.list_notifications")
