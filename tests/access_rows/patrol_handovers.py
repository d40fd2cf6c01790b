"""Access rows for the shift handover pages (patrol.*_handover*)."""

from pmfield.extensions import db
from pmfield.patrol.models import Handover
from tests.access_common import SS
from tests.access_common import A
from tests.access_common import G
from tests.access_common import M
from tests.access_common import Route

WALKERS = frozenset({G, SS})
READERS = frozenset({G, SS, M, A})

ROWS = {
    "patrol.write_handover": Route("GET", allowed=WALKERS),
    "patrol.list_handovers": Route("GET", allowed=READERS),
    "patrol.handover_detail": Route(
        "GET", {"handover_id": "handover"}, allowed=READERS, site_scoped=True
    ),
    "patrol.acknowledge_handover": Route(
        "POST", {"handover_id": "handover"}, allowed=WALKERS, site_scoped=True
    ),
}


def objects(site, objects):
    """Return a handover written by the site's guard, open to any other guard of the site."""
    handover = Handover(site_id=site.id, outgoing_id=objects["user"].id, keys="Gate key")
    db.session.add(handover)
    db.session.commit()
    return {"handover": handover}
