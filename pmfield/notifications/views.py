"""Notifications views."""

from pmfield.notifications import bp  # noqa: F401
