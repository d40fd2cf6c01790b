"""One place decides whether a request gets a page or a fragment."""

from flask import Response
from flask import render_template
from flask import request
from flask import url_for
from flask_htmx.responses import HTMXResponseClientRedirect

from pmfield.extensions import htmx


def is_partial() -> bool:
    """True when htmx wants a fragment; boosted navigations and history restores get the page."""
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render_page(page: str, partial: str, /, status: int = 200, **context) -> tuple[str, int]:
    """Render `partial` for htmx swaps, else `page` (which includes `partial`)."""
    request.environ["pmfield.varies_on_htmx"] = True
    return render_template(partial if is_partial() else page, **context), status


def redirect_to(endpoint: str, **values) -> Response:
    """Redirect after a state change: HX-Redirect for htmx, 303 otherwise."""
    from flask import redirect

    target = url_for(endpoint, **values)
    if htmx:
        return HTMXResponseClientRedirect(target)
    return redirect(target, code=303)


def add_vary_header(response: Response) -> Response:
    """Pages that can also be fragments must not be cached by URL alone."""
    if request.environ.get("pmfield.varies_on_htmx") or response.mimetype == "text/html":
        response.vary.add("HX-Request")
    return response
