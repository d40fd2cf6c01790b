"""Benchmark: the patrol check-in write path under gunicorn, against a bare Flask endpoint.

Run by hand from the repository root (gunicorn comes with the `bench` extra):

    .venv/bin/pip install -e ".[test,bench]"
    .venv/bin/python benchmarks/checkin_throughput.py [--duration 15] [--clients 8]
        [--workers N] [--client-processes 2] [--database-url postgresql://...] [--profile 300]

What it does, in one run:
1. makes a temporary instance (SQLite file by default), creates the tables with create_all and
   seeds one site with --checkpoints checkpoints (each with a label) on routes of 50, one
   schedule per route whose run is open now, and a guard with a known password;
2. serves the real pmfield app (wsgi:app) with gunicorn, --workers sync workers (default: the
   CPU count); every client thread signs in through the real login form (CSRF stays on), reads
   the CSRF token from the scanner page's meta tag and posts check-ins (token, a fresh client_id,
   device_time, source=scanner, X-CSRFToken, HX-Request) rotating over the checkpoints;
3. serves a bare Flask app with one POST endpoint (benchmarks/bare_app.py) with the same gunicorn
   settings and the same client, then (unless --no-db-baseline) the same endpoint doing one ORM
   INSERT + commit in SQLite, to show what the smallest database write costs here;
4. checks the result: check-in rows == 201 responses, no errors, the hash chain verifies;
5. prints requests, errors, req/s, p50/p95 latency and CPU use for each, and the ratio
   check-in / bare Flask (target >= 0.5).

The clients run in --client-processes processes on the same machine as the server: on a small
machine they take CPU from gunicorn, which the output says. Each figure is measured for
--duration seconds after --warmup seconds of warm-up. --profile N then times N record_check_in
calls and N whole requests (Flask test client) in-process, phase by phase with SQL counts
(benchmarks/checkin_profile.py), and cProfiles N more requests.
"""

import argparse
import http.client
import multiprocessing
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from datetime import UTC
from datetime import datetime
from pathlib import Path

import bench_util
import checkin_profile

GUARD_USERNAME = "bench-guard"
GUARD_PASSWORD = "bench guard password"  # noqa: S105 (a throw-away benchmark user)
SITE_CODE = "BENCH"
PROFILE_SITE_CODE = "PROF"
CHECKPOINTS_PER_ROUTE = 50
USER_AGENT = "pmfield-bench/1.0"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
#: Runs open now last this long, so a long benchmark still scans inside the window.
RUN_MINUTES = 180


# --- set-up (parent process) -----------------------------------------------------------------


def seed_site(code: str, n_checkpoints: int, guard, now: datetime):
    """One site with n checkpoints on routes of 50, each route with a run open now.

    Returns (site, [label token, ...]) with the tokens in route order.
    """
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from pmfield.extensions import db
    from pmfield.patrol.models import PatrolRoute
    from pmfield.patrol.models import PatrolSchedule
    from pmfield.patrol.models import RouteCheckpoint
    from pmfield.patrol.schedules import ensure_runs
    from pmfield.places.models import Label
    from pmfield.places.models import Location
    from pmfield.places.models import Point
    from pmfield.places.models import Site
    from pmfield.places.services import label_token
    from pmfield.places.tokens import new_serial

    site = Site(code=code, name_zh=f"基准{code}", name_en=f"Benchmark {code}",
                timezone="Asia/Shanghai")
    location = Location(site=site, level="building", name_zh="一号楼", name_en="Building 1")
    db.session.add_all([site, location])
    guard.sites = [*guard.sites, site]
    db.session.flush()
    points = [
        Point(site_id=site.id, location_id=location.id, kind="checkpoint", code=f"CP{i:05d}",
              name_zh=f"巡更点{i}", name_en=f"Checkpoint {i}")
        for i in range(1, n_checkpoints + 1)
    ]
    db.session.add_all(points)
    db.session.flush()
    labels = [Label(point_id=p.id, serial=new_serial(), version=1) for p in points]
    db.session.add_all(labels)
    # A run that started five minutes ago (site time) and stays open for RUN_MINUTES.
    start = (now - timedelta(minutes=5)).astimezone(ZoneInfo(site.timezone))
    for r, first in enumerate(range(0, n_checkpoints, CHECKPOINTS_PER_ROUTE), start=1):
        route = PatrolRoute(site_id=site.id, name_zh=f"路线{r}", name_en=f"Route {r}")
        route.checkpoints = [
            RouteCheckpoint(point_id=p.id, position=i)
            for i, p in enumerate(points[first:first + CHECKPOINTS_PER_ROUTE], start=1)
        ]
        route.schedules = [
            PatrolSchedule(kind="fixed", times=start.strftime("%H:%M"), run_minutes=RUN_MINUTES,
                           grace_minutes=10, effective_from=now - timedelta(days=2))
        ]
        db.session.add(route)
    db.session.flush()
    ensure_runs(site, now)
    db.session.commit()
    return site, [label_token(label) for label in labels]


def set_up(app, n_checkpoints: int, n_profile: int) -> dict:
    """Create the tables and the benchmark data; return what the clients need."""
    from sqlalchemy import func
    from sqlalchemy import select

    from pmfield.auth.models import User
    from pmfield.auth.services import hash_password
    from pmfield.extensions import db
    from pmfield.patrol.models import PatrolRun
    from pmfield.places.models import Site
    from pmfield.timeutil import utcnow

    with app.app_context():
        # Migrations may lag behind the newest models; the tests use create_all too.
        db.create_all()
        if db.session.scalar(select(func.count(Site.id))):
            sys.exit("The database already holds sites: give an empty database.")
        now = utcnow()
        guard = User(username=GUARD_USERNAME, display_name="Bench guard", role="guard",
                     password_hash=hash_password(GUARD_PASSWORD))
        db.session.add(guard)
        site, tokens = seed_site(SITE_CODE, n_checkpoints, guard, now)
        profile_tokens = []
        if n_profile:
            _, profile_tokens = seed_site(PROFILE_SITE_CODE, n_profile, guard, now)
        open_runs = db.session.scalar(
            select(func.count(PatrolRun.id)).where(
                PatrolRun.site_id == site.id, PatrolRun.starts_at <= now,
                PatrolRun.grace_until > now,
            )
        )
        return {"site_id": site.id, "tokens": tokens, "profile_tokens": profile_tokens,
                "open_runs": open_runs, "backend": db.engine.dialect.name}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(target: str, chdir: Path, port: int, args, env: dict) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if not gunicorn.exists():
        sys.exit('gunicorn is missing: .venv/bin/pip install -e ".[test,bench]"')
    command = [
        str(gunicorn), "--workers", str(args.workers), "--worker-class", args.worker_class,
        "--bind", f"127.0.0.1:{port}", "--chdir", str(chdir), "--log-level", "warning",
        "--backlog", "2048", target,
    ]
    process = subprocess.Popen(command, env=env)  # noqa: S603 (our own fixed command line)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited with {process.returncode}: {' '.join(command)}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            conn.close()
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    sys.exit("gunicorn did not answer within 30 s")


def stop_gunicorn(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- load (client processes) ------------------------------------------------------------------


class Client:
    """One simulated phone: its own connection (reopened when the server closes it) and cookies."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def request(self, method: str, path: str, body: str | None = None, headers=None):
        headers = {"User-Agent": USER_AGENT, **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            text = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            raise
        for cookie in response.msg.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()  # sync workers close after each response; reopen next time
        return response.status, text.decode("utf-8", "replace")

    def sign_in(self) -> None:
        """Sign in through the real login form and keep the page's CSRF token."""
        status, page = self.request("GET", "/auth/login")
        token = CSRF_INPUT.search(page)
        if status != 200 or not token:
            raise RuntimeError(f"login page: {status}")
        form = urllib.parse.urlencode({"csrf_token": token.group(1), "username": GUARD_USERNAME,
                                       "password": GUARD_PASSWORD})
        status, _ = self.request("POST", "/auth/login", form)
        if status != 303:
            raise RuntimeError(f"sign-in answered {status}")
        status, page = self.request("GET", "/scan")
        meta = CSRF_META.search(page)
        if status != 200 or not meta:
            raise RuntimeError(f"scanner page: {status}")
        self.csrf = meta.group(1)


def check_in_body(token: str) -> str:
    return urllib.parse.urlencode({
        "token": token,
        "client_id": str(uuid.uuid4()),
        "device_time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "source": "scanner",
    })


def client_thread(client: Client, tokens: list[str], clock: dict, out: dict) -> None:
    headers = {"X-CSRFToken": client.csrf, "HX-Request": "true"} if client.csrf else {}
    n = 0
    while True:
        started = time.monotonic()
        if started >= clock["end"]:
            break
        token = tokens[n % len(tokens)]
        n += 1
        try:
            status, _ = client.request("POST", "/patrol/checkins", check_in_body(token), headers)
        except (OSError, http.client.HTTPException) as error:
            status = type(error).__name__
        finished = time.monotonic()
        out["statuses"][status] = out["statuses"].get(status, 0) + 1
        if clock["measure_from"] <= started and finished <= clock["end"]:
            out["latencies"].append(finished - started)
            out["measured"][status] = out["measured"].get(status, 0) + 1


def _sleep_until(moment: float) -> None:
    while (left := moment - time.monotonic()) > 0:
        time.sleep(min(left, 0.05))


def client_process(port, token_slices, sign_in, ready, go, start_at, warmup, duration, results):
    """One client process: a thread per simulated phone, all started together."""
    clients = [Client(port) for _ in token_slices]
    if sign_in:
        for client in clients:
            client.sign_in()
    ready.put(os.getpid())
    go.wait()
    begin = start_at.value
    clock = {"measure_from": begin + warmup, "end": begin + warmup + duration}
    while time.monotonic() < begin:
        time.sleep(0.001)
    outs = [{"statuses": {}, "measured": {}, "latencies": []} for _ in clients]
    threads = [
        threading.Thread(target=client_thread, args=(client, tokens, clock, out))
        for client, tokens, out in zip(clients, token_slices, outs, strict=True)
    ]
    for thread in threads:
        thread.start()
    _sleep_until(clock["measure_from"])
    cpu_start = time.process_time()
    _sleep_until(clock["end"])
    cpu = time.process_time() - cpu_start
    for thread in threads:
        thread.join()
    merged = {"statuses": {}, "measured": {}, "latencies": [], "cpu": cpu}
    for out in outs:
        merged["latencies"].extend(out["latencies"])
        for key in ("statuses", "measured"):
            for status, count in out[key].items():
                merged[key][status] = merged[key].get(status, 0) + count
    results.put(merged)


def _worker_cpu(master_pid: int) -> float:
    """CPU seconds used so far by a gunicorn master's workers (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    try:
        children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    except OSError:
        return 0.0
    total = 0
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def _machine_busy() -> float:
    """Busy CPU seconds of the whole machine so far, every process and the kernel (/proc/stat)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def run_load(server: subprocess.Popen, port: int, tokens: list[str], args,
             sign_in: bool) -> dict:
    """Drive the server with --clients threads over --client-processes processes."""
    ctx = multiprocessing.get_context("spawn")
    processes = max(1, min(args.client_processes, args.clients))
    slices = [tokens[i::args.clients] or tokens for i in range(args.clients)]
    per_process = [slices[p::processes] for p in range(processes)]
    ready, results = ctx.Queue(), ctx.Queue()
    go, start_at = ctx.Event(), ctx.Value("d", 0.0)
    workers = [
        ctx.Process(target=client_process, args=(port, mine, sign_in, ready, go, start_at,
                                                 args.warmup, args.duration, results))
        for mine in per_process
    ]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.get(timeout=300)
    start_at.value = time.monotonic() + 0.2
    go.set()
    _sleep_until(start_at.value + args.warmup)
    server_cpu, machine_cpu = _worker_cpu(server.pid), _machine_busy()
    _sleep_until(start_at.value + args.warmup + args.duration)
    server_cpu = _worker_cpu(server.pid) - server_cpu
    machine_cpu = _machine_busy() - machine_cpu
    merged = {"statuses": {}, "measured": {}, "latencies": [], "cpu": 0.0}
    for _ in workers:
        out = results.get(timeout=args.warmup + args.duration + 300)
        merged["cpu"] += out["cpu"]
        merged["latencies"].extend(out["latencies"])
        for key in ("statuses", "measured"):
            for status, count in out[key].items():
                merged[key][status] = merged[key].get(status, 0) + count
    for worker in workers:
        worker.join()
    measured = sum(merged["measured"].values())
    ok_measured = merged["measured"].get(201, 0)
    merged.update(
        requests=measured,
        errors=measured - ok_measured,
        rps=ok_measured / args.duration,
        p50=bench_util.percentile(merged["latencies"], 50) * 1000,
        p95=bench_util.percentile(merged["latencies"], 95) * 1000,
        total_201=merged["statuses"].get(201, 0),
        server_cores=server_cpu / args.duration,
        client_cores=merged["cpu"] / args.duration,
        machine_cores=machine_cpu / args.duration,
        total_errors=sum(c for s, c in merged["statuses"].items() if s != 201),
    )
    return merged


# --- checks and profile (parent process) ------------------------------------------------------


def check_results(app, site_id: int, pmfield: dict) -> dict:
    """Rows written == 201 answers, the chain verifies, and how scans were matched."""
    from sqlalchemy import func
    from sqlalchemy import select

    from pmfield.extensions import db
    from pmfield.patrol.chain import verify_chain
    from pmfield.patrol.models import ChainHead
    from pmfield.patrol.models import CheckIn
    from pmfield.patrol.models import PatrolRun
    from pmfield.patrol.models import RunPoint

    with app.app_context():
        rows = db.session.scalar(select(func.count(CheckIn.id)).where(CheckIn.site_id == site_id))
        claimed = db.session.scalar(
            select(func.count(RunPoint.id)).join(PatrolRun)
            .where(PatrolRun.site_id == site_id, RunPoint.check_in_id.is_not(None))
        )
        repeats = db.session.scalar(
            select(func.count(CheckIn.id))
            .where(CheckIn.site_id == site_id, CheckIn.flags.contains("repeat"))
        )
        head = db.session.get(ChainHead, site_id)
        started = time.perf_counter()
        report = verify_chain(site_id)
        verify_seconds = time.perf_counter() - started
    return {
        "rows": rows,
        "rows_match": rows == pmfield["total_201"],
        "no_errors": pmfield["total_errors"] == 0,
        "chain_ok": report.ok,
        "chain_rows": report.rows_checked,
        "chain_problems": report.problems[:5],
        "head_seq": head.last_seq if head else 0,
        "claimed": claimed,
        "repeats": repeats,
        "verify_seconds": verify_seconds,
    }


# --- main -------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=15.0, help="measured seconds (15)")
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds (3)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads (8)")
    parser.add_argument("--client-processes", type=int, default=2,
                        help="processes the client threads are spread over (2)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                        help="gunicorn workers (default: CPU count)")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class (sync)")
    parser.add_argument("--checkpoints", type=int, default=6000,
                        help="checkpoints scanned in rotation; each scan claims a run point "
                             "until a client wraps around (6000)")
    parser.add_argument("--database-url", help="e.g. postgresql://user@host/empty_db "
                        "(default: a SQLite file in a temporary instance folder)")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="afterwards, time N check-ins in-process by phase, N requests by "
                             "phase, and cProfile N requests (e.g. 300)")
    parser.add_argument("--no-db-baseline", action="store_true",
                        help="skip the third run (bare Flask + one SQLite INSERT per request)")
    parser.add_argument("--pmfield-only", action="store_true",
                        help="measure pmfield alone (no baselines, no ratio)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    instance = Path(tempfile.mkdtemp(prefix="pmfield-bench-"))
    try:
        return _run(args, instance)
    finally:
        if args.keep:
            print(f"\nInstance kept in {instance}")
        else:
            shutil.rmtree(instance, ignore_errors=True)


def _run(args, instance: Path) -> int:
    print(f"Machine: {bench_util.machine()}, load average {bench_util.load()}")
    print(f"Server and clients share this machine's {os.cpu_count()} CPUs: gunicorn "
          f"{args.workers} {args.worker_class} workers (workers = CPU count by default), "
          f"{args.clients} client threads in {args.client_processes} processes.")
    app = bench_util.make_app(instance, args.database_url)
    print("Setting up...", flush=True)
    setup_started = time.perf_counter()
    data = set_up(app, args.checkpoints, 3 * args.profile)
    print(f"  {data['backend']} database, {len(data['tokens'])} checkpoints, "
          f"{data['open_runs']} runs open now ({time.perf_counter() - setup_started:.1f} s)")

    env = {**os.environ, **bench_util.instance_env(instance, args.database_url),
           "BENCH_DB_PATH": str(instance / "baseline.db")}
    os.environ["BENCH_DB_PATH"] = env["BENCH_DB_PATH"]
    import bare_app

    bare_app.create_baseline_db()
    here = Path(__file__).resolve().parent
    targets = [("pmfield check-in", "wsgi:app", bench_util.REPO, True)]
    if not args.pmfield_only:
        targets.append(("bare Flask", "bare_app:app", here, False))
    if not (args.no_db_baseline or args.pmfield_only):
        targets.append(("Flask + 1 INSERT", "bare_app:db_app", here, False))
    results = {}
    for name, target, chdir, sign_in in targets:
        port = free_port()
        print(f"{name} ({target}) on :{port}: {args.warmup:g} s warm-up + {args.duration:g} s "
              f"(load average before: {os.getloadavg()[0]:.2f})...", flush=True)
        server = start_gunicorn(target, chdir, port, args, env)
        try:
            results[name] = run_load(server, port, data["tokens"], args, sign_in)
        finally:
            stop_gunicorn(server)
    pmfield = results["pmfield check-in"]
    bare = results.get("bare Flask", {"rps": 0.0})

    check = check_results(app, data["site_id"], pmfield)
    ratio = pmfield["rps"] / bare["rps"] if bare["rps"] else 0.0
    print()
    print(bench_util.table(
        ["", "requests", "errors", "req/s", "p50 ms", "p95 ms", "server CPU", "client CPU",
         "machine CPU"],
        [[name, r["requests"], r["errors"], f"{r['rps']:.1f}", f"{r['p50']:.1f}",
          f"{r['p95']:.1f}", f"{r['server_cores']:.2f}", f"{r['client_cores']:.2f}",
          f"{r['machine_cores']:.2f}"]
         for name, r in results.items()],
    ))
    verdict = "meets" if ratio >= 0.5 else "BELOW"
    if bare["rps"]:
        print(f"\nratio check-in / bare Flask: {ratio:.2f} ({verdict} the target of 0.5)")
    if "Flask + 1 INSERT" in results:
        insert = results["Flask + 1 INSERT"]
        print(f"ratio check-in / Flask + 1 INSERT: {pmfield['rps'] / insert['rps']:.2f}")
    print(f"(measured {args.duration:g} s after {args.warmup:g} s warm-up. CPU columns are "
          f"cores busy during the measurement: gunicorn's workers, the client processes, and "
          f"the whole machine (kernel and any other work included) out of {os.cpu_count()}. "
          f"Server and clients share the machine, so every figure is lower than on a dedicated "
          f"server.)")
    print("\nChecks:")
    for name, r in results.items():
        print(f"  all answers, {name}: {_statuses(r['statuses'])}")
    print(f"  check-in rows {check['rows']} == 201 answers {pmfield['total_201']}: "
          f"{_ok(check['rows_match'])}")
    print(f"  errors (non-201 answers, connection failures) = 0: {_ok(check['no_errors'])}")
    print(f"  chain verifies ({check['chain_rows']} rows, head seq {check['head_seq']}, "
          f"{check['verify_seconds']:.2f} s): {_ok(check['chain_ok'])}"
          + (f" {check['chain_problems']}" if not check["chain_ok"] else ""))
    print(f"  scans that claimed a run point: {check['claimed']}; flagged repeat: "
          f"{check['repeats']}")

    if args.profile:
        checkin_profile.profile_check_ins(
            app, data["profile_tokens"], GUARD_USERNAME, GUARD_PASSWORD, CSRF_INPUT, CSRF_META,
            USER_AGENT,
        )
    passed = check["rows_match"] and check["no_errors"] and check["chain_ok"]
    return 0 if passed else 1


def _statuses(statuses: dict) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items(), key=lambda kv: str(kv[0])))


def _ok(flag: bool) -> str:
    return "OK" if flag else "FAILED"


if __name__ == "__main__":
    sys.exit(main())
