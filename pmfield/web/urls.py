"""URLs stored in records (notification links) are built here, inside or outside a request."""

from flask import current_app
from flask import has_request_context
from flask import url_for


def path_for(endpoint: str, **values) -> str:
    """Return the URL path of an endpoint; works in CLI commands such as `pmfield tick` too."""
    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context():
        return url_for(endpoint, **values)
