"""Photos views."""

from pmfield.photos import bp  # noqa: F401
