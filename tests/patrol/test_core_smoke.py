from pmfield.auth.roles import Role
from pmfield.extensions import db
from pmfield.patrol import chain
from pmfield.patrol import checkins
from pmfield.patrol import tick
from pmfield.patrol.models import PatrolRun
from tests import factories
from tests.patrol.factories import local
from tests.patrol.factories import make_route
from tests.patrol.factories import make_schedule
from tests.patrol.factories import token_of


def test_walk_a_round(app, site):
    guard = factories.make_user(Role.GUARD, sites=[site])
    factories.make_user(Role.SECURITY_SUPERVISOR, sites=[site])
    route = make_route(site, 3)
    make_schedule(route, times="22:00,00:00")
    at = local(site, 2026, 11, 20, 22, 5)
    tick.bring_up_to_date(site, at)
    runs = db.session.query(PatrolRun).order_by(PatrolRun.starts_at).all()
    assert len(runs) >= 2
    p1 = route.checkpoints[0].point
    result = checkins.record_check_in(guard, token_of(p1), now=at)
    assert len(result.matches) == 1
    assert result.matches[0].run.starts_at == local(site, 2026, 11, 20, 22, 0)
    report = tick.bring_up_to_date(site, local(site, 2026, 11, 20, 22, 41))
    assert report.runs_closed >= 1
    run = result.matches[0].run
    db.session.refresh(run)
    assert run.status == "partial"
    assert chain.verify_chain(site.id).ok
