"""Access rows for the sync API. Every signed-in role syncs its own outbox; strangers get
401 (the phone keeps its items and asks to sign in again), never the login page. The matrix's
empty POST lacks its Idempotency-Key, which is a 400."""

from tests.access_common import PUBLIC
from tests.access_common import Route

ROWS = {
    "api.session_info": Route("GET", stranger_status=401),
    "api.post_event": Route("POST", allowed_errors=frozenset({400}), stranger_status=401),
    "api.post_photo": Route("POST", allowed_errors=frozenset({400}), stranger_status=401),
    "api.openapi_document": Route("GET", allowed=PUBLIC),
}
