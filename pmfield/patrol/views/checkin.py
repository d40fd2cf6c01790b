"""Patrol views: checkin."""

from pmfield.patrol import bp  # noqa: F401
