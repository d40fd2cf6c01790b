"""Patrol views: board."""

from pmfield.patrol import bp  # noqa: F401
