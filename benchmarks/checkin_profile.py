"""Where a check-in's time goes: per-phase wall time and SQL statements, then cProfile.

Used by checkin_throughput.py --profile. The phases are timed by wrapping pmfield's functions
in this process only (pmfield itself is unchanged); "other" is what the wrapped phases leave:
the INSERT flush, the commit, ORM bookkeeping (service) or Flask, the session, flask-login's
user loader and CSRF (request).
"""

import cProfile
import io
import pstats
import time
import uuid
from contextlib import contextmanager
from datetime import UTC
from datetime import datetime

import bench_util
from sqlalchemy import event


class Phases:
    """Accumulates wall time and SQL statement counts per named phase."""

    def __init__(self, engine):
        self.statements = 0
        self.time: dict[str, float] = {}
        self.queries: dict[str, int] = {}
        self.order: list[str] = []
        self._patched: list[tuple[object, str, object]] = []
        event.listen(engine, "before_cursor_execute", self._count)
        self._engine = engine

    def _count(self, *_args):
        self.statements += 1

    def reset(self) -> None:
        self.statements = 0
        self.time.clear()
        self.queries.clear()

    def wrap(self, owner, name: str, label: str) -> None:
        original = getattr(owner, name)
        phases = self
        if label not in self.order:
            self.order.append(label)

        def timed(*args, **kwargs):
            started, before = time.perf_counter(), phases.statements
            try:
                return original(*args, **kwargs)
            finally:
                phases.time[label] = phases.time.get(label, 0.0) + time.perf_counter() - started
                phases.queries[label] = phases.queries.get(label, 0) + phases.statements - before

        setattr(owner, name, timed)
        self._patched.append((owner, name, original))

    def restore(self) -> None:
        for owner, name, original in reversed(self._patched):
            setattr(owner, name, original)
        self._patched.clear()
        event.remove(self._engine, "before_cursor_execute", self._count)

    def report(self, title: str, total: float, total_queries: int, calls: int,
               labels: list[str], indent: set[str]) -> str:
        rows = [[title, f"{total * 1000 / calls:.2f}", f"{total_queries / calls:.1f}", "100%"]]
        inner_time = inner_queries = 0.0
        for label in labels:
            spent, queries = self.time.get(label, 0.0), self.queries.get(label, 0)
            if label not in indent:
                inner_time += spent
                inner_queries += queries
            prefix = "    " if label in indent else "  "
            rows.append([prefix + label, f"{spent * 1000 / calls:.2f}", f"{queries / calls:.1f}",
                         f"{spent / total * 100:.0f}%"])
        rest, rest_q = total - inner_time, total_queries - inner_queries
        rows.append(["  other", f"{rest * 1000 / calls:.2f}", f"{rest_q / calls:.1f}",
                     f"{rest / total * 100:.0f}%"])
        return bench_util.table(["phase", "ms/call", "SQL/call", "share"], rows)


@contextmanager
def _measure(phases: Phases):
    phases.reset()
    started = time.perf_counter()
    box = {}
    yield box
    box["total"] = time.perf_counter() - started
    box["queries"] = phases.statements


def _top(profile: cProfile.Profile, limit: int) -> str:
    stream = io.StringIO()
    stats = pstats.Stats(profile, stream=stream)
    stats.sort_stats("cumulative").print_stats(r"pmfield|templates|flask_login|flask_wtf", limit)
    lines = stream.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    return "\n".join(line.replace(str(bench_util.REPO) + "/", "") for line in lines[start:])


def profile_check_ins(app, tokens: list[str], username: str, password: str, csrf_input,
                      csrf_meta, user_agent: str, limit: int = 30) -> None:
    """Time N/3 service calls and N/3 requests by phase, then cProfile N/3 requests."""
    from sqlalchemy import select

    import pmfield.patrol.views.checkin as checkin_view
    from pmfield.auth.models import User
    from pmfield.extensions import db
    from pmfield.extensions import login_manager
    from pmfield.patrol import chain
    from pmfield.patrol import checkins
    from pmfield.patrol import guard

    third = len(tokens) // 3
    service_tokens = tokens[:third]
    request_tokens = tokens[third:2 * third]
    profiled_tokens = tokens[2 * third:]
    with app.app_context():
        phases = Phases(db.engine)
    service_phases = [
        (checkins, "_replay", "_replay (client id lookup)"),
        (checkins, "_label_for", "_label_for (token → label)"),
        (checkins, "_check_allowed", "_check_allowed"),
        (checkins, "_open_run_points", "_open_run_points"),
        (checkins, "_flags", "_flags (incl. _too_fast)"),
        (checkins, "_too_fast", "_too_fast"),
        (chain, "next_link", "chain.next_link"),
        (chain, "link_hash", "chain.link_hash"),
        (chain, "advance_head", "chain.advance_head"),
        (checkins, "_claim", "_claim"),
        (checkins, "_rescore", "_rescore"),
    ]
    for owner, name, label in service_phases:
        phases.wrap(owner, name, label)
    try:
        with app.test_request_context():
            guard_user = db.session.scalar(select(User).where(User.username == username))
            with _measure(phases) as box:
                for token in service_tokens:
                    checkins.record_check_in(
                        guard_user, token, source="scanner", client_id=str(uuid.uuid4()),
                        device_time=datetime.now(UTC),
                    )
            db.session.remove()
        labels = [label for _, _, label in service_phases]
        print(f"\nrecord_check_in in-process, {len(service_tokens)} calls, no profiler "
              "(each scan claims a run point):")
        print(phases.report("record_check_in", box["total"], box["queries"],
                            len(service_tokens), labels, indent={"_too_fast"}))

        request_phases = [
            (login_manager, "_user_callback", "flask-login user loader"),
            (checkins, "record_check_in", "record_check_in"),
            (guard, "progress_of", "guard.progress_of"),
            (checkin_view, "render_page", "render_page (_checkin_result.html)"),
        ]
        for owner, name, label in request_phases:
            phases.wrap(owner, name, label)
        client = app.test_client()
        page = client.get("/auth/login").get_data(as_text=True)
        client.post("/auth/login", data={"csrf_token": csrf_input.search(page).group(1),
                                         "username": username, "password": password})
        csrf = csrf_meta.search(client.get("/scan").get_data(as_text=True)).group(1)
        headers = {"X-CSRFToken": csrf, "HX-Request": "true", "User-Agent": user_agent}
        statuses: dict[int, int] = {}

        def post(token):
            response = client.post("/patrol/checkins", headers=headers, data={
                "token": token, "client_id": str(uuid.uuid4()),
                "device_time": datetime.now(UTC).isoformat(), "source": "scanner"})
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        with _measure(phases) as box:
            for token in request_tokens:
                post(token)
        labels = [label for _, _, label in request_phases]
        print(f"\nPOST /patrol/checkins in-process (Flask test client, CSRF on, htmx partial), "
              f"{len(request_tokens)} requests, no profiler, statuses {statuses}:")
        print(phases.report("whole request", box["total"], box["queries"],
                            len(request_tokens), labels, indent=set()))
    finally:
        phases.restore()

    profile = cProfile.Profile()
    profile.enable()
    for token in profiled_tokens:
        post(token)
    profile.disable()
    print(f"\ncProfile of {len(profiled_tokens)} more requests (times inflated by the profiler), "
          "pmfield/template/flask-login frames by cumulative time:")
    print(_top(profile, limit))
