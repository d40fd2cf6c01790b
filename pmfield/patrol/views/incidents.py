"""Patrol views: incidents."""

from pmfield.patrol import bp  # noqa: F401
