"""Benchmark: tick, the supervisor's board and the chain check on two years of patrol history.

Run by hand from the repository root:

    .venv/bin/python benchmarks/patrol_scale.py --db /tmp/pmfield-scale.db

The first run generates a site with 200 checkpoints on 4 routes of 50, one schedule per route
with 12 runs a day, and --days (730) days of history up to now: about 35k runs, 1.75M run
points and 1.7M check-ins (about 97% of the run points scanned, some late, a few flagged) with
a valid hash chain. Rows go in with Core executemany in batches of about --batch (10,000), one
transaction per batch. With --db PATH the SQLite file is kept, and a rerun on the same file
skips the generation (delete the file to start again). --database-url points at an empty
PostgreSQL database instead (the data stays there the same way).

Then, in-process with the real app (create_app, as wsgi.py does), it measures:
(a) pmfield.patrol.tick.tick() 5 times: the first run closes the runs that ended since the
    generation and creates today's and tomorrow's runs; the others are the steady state;
(b) the supervisor's board GET /patrol/ (endpoint patrol.board) through the Flask test client
    signed in as a security supervisor: median and p95 of 20 requests (server time only);
    also the home pages of a guard and of the supervisor, the run detail page and every other
    patrol page without URL arguments, when they answer 200;
(c) pmfield.patrol.chain.verify_chain over every check-in;
(d) the CSV export of one day (GET /patrol/export.csv?date=...), when the route exists;
(e) record_check_in with the whole history in the database, by phase: it scans the pending
    checkpoints of the last planned run (tomorrow's), so a kept database gains --scans rows.
Statements slower than --slow-ms during (a), (b), (d) and (e) are listed with their plan
(SQLite's EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN): a missing index shows up as a SCAN.
--profile adds a cProfile of the board.
"""

import argparse
import cProfile
import io
import pstats
import random
import re
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import bench_util

SITE_CODE = "SCALE"
SUPERVISOR = "scale-supervisor"
GUARD = "scale-guard-1"
PASSWORD = "scale benchmark password"  # noqa: S105 (throw-away benchmark users)
N_GUARDS = 8
TIMES = ",".join(f"{h:02d}:00" for h in range(0, 24, 2))  # 12 runs a day
RUN_MINUTES = 30
GRACE_MINUTES = 10
#: Seconds between two checkpoints of a walk.
STEP_SECONDS = (20, 40)


# --- generation -------------------------------------------------------------------------------


def existing_site(app):
    from sqlalchemy import select

    from pmfield.extensions import db
    from pmfield.places.models import Site

    with app.app_context():
        db.create_all()
        site = db.session.scalar(select(Site).where(Site.code == SITE_CODE))
        return site.id if site else None


def make_structure(args, start: datetime):
    """The site, checkpoints, labels, routes, schedules and users (ORM: a few hundred rows)."""
    from pmfield.auth.models import User
    from pmfield.auth.services import hash_password
    from pmfield.extensions import db
    from pmfield.patrol.models import PatrolRoute
    from pmfield.patrol.models import PatrolSchedule
    from pmfield.patrol.models import RouteCheckpoint
    from pmfield.places.models import Label
    from pmfield.places.models import Location
    from pmfield.places.models import Point
    from pmfield.places.models import Site
    from pmfield.places.tokens import new_serial

    site = Site(code=SITE_CODE, name_zh="规模测试校区", name_en="Scale campus",
                timezone="Asia/Shanghai")
    db.session.add(site)
    db.session.flush()
    buildings = [
        Location(site=site, level="building", name_zh=f"{n}号楼", name_en=f"Building {n}")
        for n in range(1, args.routes + 1)
    ]
    db.session.add_all(buildings)
    db.session.flush()
    points = []
    per_route = args.checkpoints // args.routes
    for n in range(args.checkpoints):
        building = buildings[min(n // per_route, len(buildings) - 1)]
        point = Point(site_id=site.id, location_id=building.id, kind="checkpoint",
                      code=f"CP-{n + 1:03d}", name_zh=f"巡更点{n + 1}",
                      name_en=f"Checkpoint {n + 1}", created_at=start)
        point.labels = [Label(serial=new_serial(), version=1, issued_at=start)]
        points.append(point)
    db.session.add_all(points)
    password_hash = hash_password(PASSWORD)
    users = [User(username=SUPERVISOR, display_name="Scale supervisor", role="security_supervisor",
                  password_hash=password_hash)]
    users += [User(username=f"scale-guard-{n}", display_name=f"Guard {n}", role="guard",
                   password_hash=password_hash) for n in range(1, N_GUARDS + 1)]
    for user in users:
        user.sites = [site]
    db.session.add_all(users)
    db.session.flush()
    routes = []
    for r in range(args.routes):
        route = PatrolRoute(site_id=site.id, name_zh=f"{r + 1}号楼巡逻",
                            name_en=f"Building {r + 1} round", created_at=start)
        route.checkpoints = [
            RouteCheckpoint(point_id=p.id, position=i)
            for i, p in enumerate(points[r * per_route:(r + 1) * per_route], start=1)
        ]
        route.schedules = [PatrolSchedule(kind="fixed", times=TIMES, run_minutes=RUN_MINUTES,
                                          grace_minutes=GRACE_MINUTES, created_at=start,
                                          effective_from=start)]
        routes.append(route)
    db.session.add_all(routes)
    db.session.commit()
    return site, routes, users[1:]


class Generator:
    """Builds runs, run points and chained check-ins day by day and inserts them in batches."""

    def __init__(self, args, site, routes, guards, now: datetime):
        from sqlalchemy import select

        from pmfield.extensions import db
        from pmfield.patrol.chain import _key
        from pmfield.patrol.chain import genesis_hash
        from pmfield.places.models import Label

        self.args = args
        self.site_id = site.id
        self.tz = ZoneInfo(site.timezone)
        self.routes = routes
        self.guards = [g.id for g in guards]
        self.now = now
        self.rng = random.Random(args.seed)  # noqa: S311 (test data, not secrets)
        self.key = _key()
        self.prev_hash = genesis_hash(site.id)
        self.seq = 0
        self.next_run_id = self.next_rp_id = self.next_ci_id = 1
        self.labels = {}  # point id -> (label id, version)
        for label in db.session.scalars(select(Label)):
            self.labels[label.point_id] = (label.id, label.version)
        self.runs, self.run_points, self.check_ins = [], [], []
        self.counts = {"runs": 0, "run_points": 0, "check_ins": 0}

    def day(self, day) -> None:
        from pmfield.patrol.checkins import score
        from pmfield.patrol.schedules import slots_for_day

        rng = self.rng
        day_check_ins = []
        for r, route in enumerate(self.routes):
            checkpoints = [rc.point_id for rc in route.checkpoints]
            schedule = route.schedules[0]
            for slot in slots_for_day(schedule, day, self.tz):
                if slot.starts_at > self.now:
                    continue
                run_id = self.next_run_id
                self.next_run_id += 1
                closed = slot.grace_until <= self.now
                quality = rng.random()
                # 96% of rounds walked fully (a point skipped now and then), 3% broken off,
                # 1% not walked; 4% start late, so their last checkpoints fall in the grace.
                p_scan = 0.995 if quality < 0.96 else (0.6 if quality < 0.99 else 0.0)
                late_start = rng.random() < 0.04
                offset = rng.uniform(12, 18) if late_start else rng.uniform(0, 4)
                moment = slot.starts_at + timedelta(minutes=offset)
                guard = self.guards[(run_id + r) % len(self.guards)]
                statuses, last_scan = [], None
                for position, point_id in enumerate(checkpoints, start=1):
                    moment += timedelta(seconds=rng.uniform(*STEP_SECONDS),
                                        microseconds=rng.randrange(1_000_000))
                    rp = {"id": self.next_rp_id, "run_id": run_id, "point_id": point_id,
                          "position": position, "check_in_id": None}
                    self.next_rp_id += 1
                    if rng.random() < p_scan and moment < slot.grace_until and moment <= self.now:
                        status = "late" if moment >= slot.ends_at else "done"
                        ci = self._check_in(point_id, guard, moment, rng)
                        rp["_ci"] = ci
                        day_check_ins.append(ci)
                        last_scan = moment
                    else:
                        status = "missed" if closed else "pending"
                    rp["status"] = status
                    statuses.append(status)
                    self.run_points.append(rp)
                result = score(statuses)
                if closed:
                    status, evaluated = str(result), slot.grace_until + timedelta(seconds=30)
                elif result == "complete":
                    status, evaluated = "complete", last_scan
                else:
                    status, evaluated = "pending", None
                self.runs.append({
                    "id": run_id, "site_id": self.site_id, "route_id": route.id,
                    "schedule_id": schedule.id, "starts_at": slot.starts_at,
                    "ends_at": slot.ends_at, "grace_until": slot.grace_until, "status": status,
                    "evaluated_at": evaluated,
                })
        self._chain(day_check_ins)
        if len(self.check_ins) >= self.args.batch:
            self.flush()

    def _check_in(self, point_id: int, guard: int, moment: datetime, rng) -> dict:
        label_id, version = self.labels[point_id]
        flags, details = [], {}
        received = moment
        source = "scanner"
        device_time = moment + timedelta(seconds=rng.uniform(-3, 3))
        roll = rng.random()
        if roll < 0.005:
            skew = rng.choice((-1, 1)) * rng.randint(180, 900)
            device_time = moment + timedelta(seconds=skew)
            flags.append("clock_skew")
            details["clock_skew"] = {"seconds": skew}
        elif roll < 0.007:
            flags.append("too_fast")
            details["too_fast"] = {"seconds": rng.randint(2, 9), "minimum": 20,
                                   "previous_point_id": point_id - 1}
        elif roll < 0.027:
            source = "sync"  # scanned offline, sent when the phone was back online
            received = moment + timedelta(minutes=rng.uniform(2, 30))
            device_time = moment
        return {
            "site_id": self.site_id, "point_id": point_id, "label_id": label_id,
            "label_version": version, "user_id": guard, "client_id": str(uuid.uuid4()),
            "scanned_at": moment, "received_at": received, "device_time": device_time,
            "latitude": None, "longitude": None, "accuracy_m": None, "source": source,
            "flags": " ".join(flags), "flag_details": details,
        }

    def _chain(self, check_ins: list[dict]) -> None:
        """Number and hash the day's check-ins in the order the server received them."""
        from pmfield.patrol.chain import link_hash

        check_ins.sort(key=lambda ci: (ci["received_at"], ci["scanned_at"]))
        for ci in check_ins:
            self.seq += 1
            ci["id"] = self.next_ci_id
            self.next_ci_id += 1
            ci["seq"] = self.seq
            ci["prev_hash"] = self.prev_hash
            ci["chain_hash"] = self.prev_hash = link_hash(ci, self.prev_hash, self.key)
        self.check_ins.extend(check_ins)

    def flush(self) -> None:
        from pmfield.extensions import db
        from pmfield.patrol.models import CheckIn
        from pmfield.patrol.models import PatrolRun
        from pmfield.patrol.models import RunPoint

        for rp in self.run_points:
            ci = rp.pop("_ci", None)
            if ci is not None:
                rp["check_in_id"] = ci["id"]
        with db.engine.begin() as connection:
            if self.runs:
                connection.execute(PatrolRun.__table__.insert(), self.runs)
            if self.check_ins:
                connection.execute(CheckIn.__table__.insert(), self.check_ins)
            if self.run_points:
                connection.execute(RunPoint.__table__.insert(), self.run_points)
        self.counts["runs"] += len(self.runs)
        self.counts["run_points"] += len(self.run_points)
        self.counts["check_ins"] += len(self.check_ins)
        self.runs, self.run_points, self.check_ins = [], [], []

    def finish(self) -> None:
        from pmfield.extensions import db
        from pmfield.patrol.models import ChainHead

        self.flush()
        db.session.add(ChainHead(site_id=self.site_id, last_seq=self.seq, last_hash=self.prev_hash))
        if db.engine.dialect.name == "postgresql":
            # Explicit ids do not move PostgreSQL's sequences: move them past the history.
            for table in ("patrol_runs", "patrol_run_points", "patrol_check_ins"):
                db.session.execute(db.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM {table}))"
                ))
        db.session.commit()


def generate(app, args) -> int:
    from pmfield.timeutil import utcnow

    with app.app_context():
        now = utcnow()
        tz = ZoneInfo("Asia/Shanghai")
        today = now.astimezone(tz).date()
        first_day = today - timedelta(days=args.days - 1)
        start = datetime.combine(first_day - timedelta(days=1), datetime.min.time(), tz)
        site, routes, guards = make_structure(args, start.astimezone(UTC))
        generator = Generator(args, site, routes, guards, now)
        started = time.perf_counter()
        for n in range(args.days):
            generator.day(first_day + timedelta(days=n))
            if n % 73 == 72:
                done = generator.counts["check_ins"] + len(generator.check_ins)
                print(f"  {n + 1} days, {done:,} check-ins, {time.perf_counter() - started:.0f} s",
                      flush=True)
        generator.finish()
        return site.id


# --- measuring --------------------------------------------------------------------------------


class SlowStatements:
    """Records every SQL statement's time while active; lists the slow ones with their plan."""

    def __init__(self, engine, slow_ms: float):
        from sqlalchemy import event

        self.engine = engine
        self.slow_ms = slow_ms
        self.active = False
        self.found: dict[str, tuple[float, object, str]] = {}
        self.statements = 0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, params, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn, cursor, statement, params, context, executemany):
        if not self.active:
            return
        self.statements += 1
        elapsed = (time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())) * 1000
        if elapsed >= self.slow_ms and not executemany:
            where = self.label
            worst = self.found.get(statement)
            if worst is None or elapsed > worst[0]:
                self.found[statement] = (elapsed, params, where)

    def watch(self, label: str):
        self.label = label
        self.active = True
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.active = False

    def report(self) -> None:
        if not self.found:
            print(f"\nNo statement took {self.slow_ms:g} ms or more.")
            return
        print(f"\nStatements that took {self.slow_ms:g} ms or more (slowest time seen):")
        for statement, (elapsed, params, where) in sorted(
            self.found.items(), key=lambda item: -item[1][0]
        ):
            print(f"\n[{elapsed:.1f} ms, during {where}] {' '.join(statement.split())[:600]}")
            explain = "EXPLAIN QUERY PLAN " if self.engine.dialect.name == "sqlite" else "EXPLAIN "
            with self.engine.connect() as connection:
                plan = connection.exec_driver_sql(explain + statement, params)
                for row in plan:
                    print(f"    plan: {row[-1]}")


def count_rows(app, site_id: int) -> dict:
    from sqlalchemy import func
    from sqlalchemy import select

    from pmfield.extensions import db
    from pmfield.patrol.models import CheckIn
    from pmfield.patrol.models import PatrolRun
    from pmfield.patrol.models import RunPoint

    with app.app_context():
        runs = dict(db.session.execute(
            select(PatrolRun.status, func.count()).where(PatrolRun.site_id == site_id)
            .group_by(PatrolRun.status)).all())
        points = dict(db.session.execute(
            select(RunPoint.status, func.count()).group_by(RunPoint.status)).all())
        check_ins = db.session.scalar(
            select(func.count(CheckIn.id)).where(CheckIn.site_id == site_id))
        flagged = db.session.scalar(
            select(func.count(CheckIn.id)).where(CheckIn.site_id == site_id, CheckIn.flags != ""))
    return {"runs": runs, "run_points": points, "check_ins": check_ins, "flagged": flagged}


def measure_tick(app, times: int, slow: SlowStatements) -> list[tuple[float, object]]:
    from pmfield.extensions import db
    from pmfield.patrol.tick import tick

    results = []
    with app.app_context():
        for n in range(times):
            with slow.watch("tick (first)" if n == 0 else "tick (steady)"):
                started = time.perf_counter()
                report = tick()
                elapsed = time.perf_counter() - started
            db.session.remove()
            results.append((elapsed, report))
    return results


def signed_in_client(app, username: str):
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/auth/login", data={"csrf_token": token, "username": username,
                                                "password": PASSWORD})
    if response.status_code != 303:
        sys.exit(f"could not sign in as {username}: {response.status_code}")
    return client


def time_page(client, url: str, n: int, slow: SlowStatements, label: str) -> dict:
    """Server time of n GETs (in-process: no network, no browser), after one warm-up GET."""
    first_started = time.perf_counter()
    response = client.get(url)
    first = time.perf_counter() - first_started
    status = response.status_code
    times = []
    before = slow.statements
    with slow.watch(label):
        for _ in range(n):
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            status = response.status_code
    return {"url": url, "status": status, "first": first * 1000, "n": n,
            "sql": (slow.statements - before) / n,
            "median": bench_util.median(times) * 1000,
            "p95": bench_util.percentile(times, 95) * 1000, "bytes": len(response.data)}


def profile_page(client, url: str, label: str, n: int = 5) -> None:
    """cProfile n GETs of a page; print pmfield's and the templates' frames."""
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(n):
        client.get(url)
    profile.disable()
    stream = io.StringIO()
    stats = pstats.Stats(profile, stream=stream)
    stats.sort_stats("cumulative").print_stats(r"pmfield|templates", 30)
    lines = stream.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    print(f"\ncProfile of {n} GETs of {label} (times inflated by the profiler):")
    print("\n".join(line.replace(str(bench_util.REPO) + "/", "") for line in lines[start:]))


def page_figures(app, site_id: int, args, slow: SlowStatements) -> tuple[list, dict | None]:
    from flask import url_for
    from sqlalchemy import select

    from pmfield.auth.models import User
    from pmfield.extensions import db
    from pmfield.patrol.models import PatrolRoute
    from pmfield.patrol.models import PatrolRun

    supervisor = signed_in_client(app, SUPERVISOR)
    guard = signed_in_client(app, GUARD)
    with app.test_request_context():
        board = url_for("patrol.board") if "patrol.board" in app.view_functions else None
        yesterday_run = db.session.scalar(
            select(PatrolRun.id).where(PatrolRun.site_id == site_id,
                                       PatrolRun.starts_at < datetime.now(UTC) - timedelta(days=1))
            .order_by(PatrolRun.starts_at.desc()).limit(1)
        )
        run_detail = url_for("patrol.run_detail", run_id=yesterday_run)
        others = sorted(
            rule.rule for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith("patrol.") and "GET" in rule.methods
            and not rule.arguments and rule.endpoint != "patrol.board"
            and not rule.rule.endswith(".csv")
        )
        export = next((rule.rule for rule in app.url_map.iter_rules()
                       if rule.rule == "/patrol/export.csv"), None)
        with_ids = []
        if "patrol.route_history" in app.view_functions:
            route_id = db.session.scalar(select(PatrolRoute.id).where(
                PatrolRoute.site_id == site_id).order_by(PatrolRoute.id).limit(1))
            with_ids.append(("route history (supervisor)",
                             url_for("patrol.route_history", route_id=route_id)))
        if "patrol.guard_day" in app.view_functions:
            guard_id = db.session.scalar(select(User.id).where(User.username == GUARD))
            with_ids.append(("guard's day (supervisor)",
                             url_for("patrol.guard_day", user_id=guard_id)))
    pages = []
    if board:
        pages.append(("board " + board + " (supervisor)", supervisor, board, args.requests))
    else:
        print("\npatrol.board does not exist yet: measuring the home pages instead.")
    pages += [
        ("home / (guard)", guard, "/", args.requests),
        ("home / (supervisor)", supervisor, "/", args.requests),
        ("run detail (supervisor)", supervisor, run_detail, args.requests),
    ]
    pages += [(label, supervisor, url, 5) for label, url in with_ids]
    pages += [(f"{url} (supervisor)", supervisor, url, 5) for url in others]
    figures = []
    for label, client, url, n in pages:
        result = time_page(client, url, n, slow, label)
        figures.append((label, result))
    export_figure = None
    if export:
        day = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
        url = f"{export}?date={day}"
        export_figure = time_page(supervisor, url, 5, slow, "export.csv")
        response = supervisor.get(url)
        export_figure["lines"] = response.get_data(as_text=True).count("\n")
    if args.profile:
        label, client, url, _ = pages[0]
        figures.append(("profile", (client, url, label)))
    return figures, export_figure


def measure_check_ins(app, site_id: int, n: int, slow: SlowStatements) -> None:
    """record_check_in on top of the whole history, by phase (see checkin_profile.py).

    Scans the pending checkpoints of the site's last planned run (tomorrow, made by tick) at
    that run's time, so each scan claims a run point: a kept database gains n check-ins.
    """
    import checkin_profile
    from sqlalchemy import select

    from pmfield.auth.models import User
    from pmfield.extensions import db
    from pmfield.patrol import chain
    from pmfield.patrol import checkins
    from pmfield.patrol.models import PatrolRun
    from pmfield.patrol.models import RunPoint
    from pmfield.places.services import label_token

    with app.test_request_context():
        run = db.session.scalar(
            select(PatrolRun).where(PatrolRun.site_id == site_id, PatrolRun.status == "pending")
            .order_by(PatrolRun.starts_at.desc()).limit(1))
        run_points = list(db.session.scalars(
            select(RunPoint).where(RunPoint.run_id == run.id, RunPoint.status == "pending")
            .order_by(RunPoint.position).limit(n)))
        if not run_points:
            print("  no pending checkpoint left in the last planned run: skipped")
            return
        guard = db.session.scalar(select(User).where(User.username == GUARD))
        scans = [(label_token(rp.point.current_label), run.starts_at + timedelta(minutes=1 + i))
                 for i, rp in enumerate(run_points)]
        phases = checkin_profile.Phases(db.engine)
        labels = []
        for owner, name, label in [
            (checkins, "_replay", "_replay"), (checkins, "_label_for", "_label_for"),
            (checkins, "_open_run_points", "_open_run_points"), (checkins, "_flags", "_flags"),
            (chain, "next_link", "chain.next_link"), (checkins, "_claim", "_claim"),
            (checkins, "_rescore", "_rescore"),
        ]:
            phases.wrap(owner, name, label)
            labels.append(label)
        try:
            phases.reset()
            started = time.perf_counter()
            slow.watch("record_check_in")
            for token, moment in scans:
                checkins.record_check_in(guard, token, source="scanner",
                                         client_id=str(uuid.uuid4()), device_time=moment,
                                         now=moment)
            total = time.perf_counter() - started
        finally:
            slow.active = False
            phases.restore()
        print(phases.report("record_check_in", total, phases.statements, len(scans), labels,
                            indent=set()))


def measure_chain(app, site_id: int):
    from pmfield.patrol.chain import verify_chain

    with app.app_context():
        started = time.perf_counter()
        report = verify_chain(site_id)
        return time.perf_counter() - started, report


# --- main -------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="SQLite file to generate into and keep; "
                        "reused (generation skipped) when it already holds the data")
    parser.add_argument("--database-url", help="an empty PostgreSQL database instead of SQLite")
    parser.add_argument("--days", type=int, default=730, help="days of history (730)")
    parser.add_argument("--checkpoints", type=int, default=200, help="checkpoints (200)")
    parser.add_argument("--routes", type=int, default=4, help="routes sharing them (4)")
    parser.add_argument("--batch", type=int, default=10_000, help="rows per insert batch")
    parser.add_argument("--seed", type=int, default=2024, help="random seed of the history")
    parser.add_argument("--ticks", type=int, default=5, help="tick() runs (5)")
    parser.add_argument("--requests", type=int, default=20, help="GETs per page (20)")
    parser.add_argument("--slow-ms", type=float, default=5.0,
                        help="list statements at least this slow, with their plan (5)")
    parser.add_argument("--scans", type=int, default=20,
                        help="check-ins recorded for (e), the write path at scale (20)")
    parser.add_argument("--skip-chain", action="store_true", help="skip (c), verify_chain")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the board (or the first page measured)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    instance = Path(tempfile.mkdtemp(prefix="pmfield-scale-"))
    try:
        return _run(args, instance)
    finally:
        shutil.rmtree(instance, ignore_errors=True)


def _run(args, instance: Path) -> int:
    database_url = args.database_url
    if args.db:
        database_url = f"sqlite:///{args.db.resolve()}"
    print(f"Machine: {bench_util.machine()}, load average {bench_util.load()}")
    app = bench_util.make_app(instance, database_url)
    site_id = existing_site(app)
    if site_id is None:
        where = args.db or database_url or "a temporary SQLite file (use --db PATH to keep it)"
        print(f"Generating {args.days} days of history into {where}...", flush=True)
        started = time.perf_counter()
        site_id = generate(app, args)
        print(f"  generated in {time.perf_counter() - started:.0f} s")
    else:
        print(f"Reusing the history in {args.db or database_url} (delete it to regenerate).")
    counts = count_rows(app, site_id)
    print("\nRows:")
    print(f"  runs {sum(counts['runs'].values()):,} {_by_status(counts['runs'])}")
    print(f"  run points {sum(counts['run_points'].values()):,} "
          f"{_by_status(counts['run_points'])}")
    print(f"  check-ins {counts['check_ins']:,} (flagged {counts['flagged']:,})")
    if args.db:
        print(f"  database file {args.db.stat().st_size / 2**20:,.0f} MB")

    with app.app_context():
        from pmfield.extensions import db

        slow = SlowStatements(db.engine, args.slow_ms)
    print(f"\n(a) tick() x {args.ticks}:", flush=True)
    ticks = measure_tick(app, args.ticks, slow)
    for n, (elapsed, report) in enumerate(ticks, start=1):
        print(f"  run {n}: {elapsed * 1000:8.1f} ms  created {report.runs_created}, closed "
              f"{report.runs_closed}, missed {report.checkpoints_missed}, notified "
              f"{report.notifications}")
    steady = [elapsed for elapsed, _ in ticks[1:]]
    if steady:
        print(f"  first {ticks[0][0] * 1000:.0f} ms; steady state median "
              f"{bench_util.median(steady) * 1000:.0f} ms, max {max(steady) * 1000:.0f} ms "
              f"(target: under 2000 ms)")

    print("\n(b) pages, server time in-process (Flask test client):", flush=True)
    figures, export = page_figures(app, site_id, args, slow)
    profiled = [f for label, f in figures if label == "profile"]
    figures = [(label, f) for label, f in figures if label != "profile"]
    print(bench_util.table(
        ["page", "status", "n", "first ms", "median ms", "p95 ms", "SQL/req", "KB"],
        [[label, r["status"], r["n"], f"{r['first']:.0f}", f"{r['median']:.1f}",
          f"{r['p95']:.1f}", f"{r['sql']:.0f}", f"{r['bytes'] / 1024:.0f}"]
         for label, r in figures],
    ))
    print("  (target for the board: under 200 ms)")
    for client, url, label in profiled:
        profile_page(client, url, label)

    if not args.skip_chain:
        print("\n(c) verify_chain over every check-in...", flush=True)
        elapsed, report = measure_chain(app, site_id)
        print(f"  {report.rows_checked:,} rows in {elapsed:.1f} s "
              f"({report.rows_checked / elapsed:,.0f} rows/s): {'OK' if report.ok else 'BROKEN'}"
              + ("" if report.ok else f" {report.problem_count} problems {report.problems[:5]}"))

    print("\n(d) CSV export of one day:")
    if export is None:
        print("  /patrol/export.csv does not exist yet (code ready: it will be measured).")
    else:
        print(f"  {export['url']}: status {export['status']}, {export['lines']} lines, "
              f"{export['bytes'] / 1024:.0f} KB, median {export['median']:.1f} ms, "
              f"p95 {export['p95']:.1f} ms (n={export['n']})")
    print(f"\n(e) record_check_in with the whole history in the database ({args.scans} scans "
          "of the last planned run, each claiming a run point):", flush=True)
    measure_check_ins(app, site_id, args.scans, slow)

    slow.report()
    return 0


def _by_status(counts: dict) -> str:
    return "(" + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())) + ")"


if __name__ == "__main__":
    sys.exit(main())
