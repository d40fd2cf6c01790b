"""Patrol views: planning."""

from pmfield.patrol import bp  # noqa: F401
