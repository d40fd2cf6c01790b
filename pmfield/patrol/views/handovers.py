"""Patrol views: handovers."""

from pmfield.patrol import bp  # noqa: F401
