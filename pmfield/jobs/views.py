"""Jobs views."""

from pmfield.jobs import bp  # noqa: F401
