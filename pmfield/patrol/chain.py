"""The tamper-evident chain of check-ins, one chain per site.

Each check-in's `chain_hash` is an HMAC-SHA256 (keyed with CHAIN_SECRET) over its facts and the
previous check-in's hash. Editing a row changes its hash; deleting one leaves a gap in `seq`
and a `prev_hash` that no longer matches. Without the key nobody can forge a consistent chain.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from pmfield.dbutil import insert_ignoring_conflicts
from pmfield.extensions import db
from pmfield.patrol.models import ChainCheck
from pmfield.patrol.models import ChainHead
from pmfield.patrol.models import CheckIn
from pmfield.timeutil import utcnow

#: The facts covered by the hash, in this order.
HASHED_FIELDS = (
    "site_id", "seq", "point_id", "label_id", "label_version", "user_id", "client_id",
    "scanned_at", "received_at", "device_time", "latitude", "longitude", "accuracy_m",
    "source", "flags", "flag_details",
)
#: Verification stops listing problems after this many (the count is still exact).
MAX_PROBLEMS = 100


def _key() -> bytes:
    secret = current_app.config["CHAIN_SECRET"].encode()
    return hashlib.sha256(b"pmfield patrol chain v1:" + secret).digest()


def genesis_hash(site_id: int) -> str:
    """The `prev_hash` of a site's first check-in."""
    return hmac.new(_key(), f"genesis:{site_id}".encode(), hashlib.sha256).hexdigest()


def _value(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def link_hash(values: dict, prev_hash: str, key: bytes | None = None) -> str:
    """Return the chain hash of a check-in given its field values and the previous hash."""
    facts = [_value(values[name]) for name in HASHED_FIELDS]
    payload = json.dumps([prev_hash, facts], sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(key or _key(), payload.encode(), hashlib.sha256).hexdigest()


def next_link(site_id: int) -> tuple[int, str]:
    """Reserve the next sequence number of a site's chain; return (seq, previous hash).

    The head row is UPDATEd before it is read, so the write lock (SQLite) or row lock
    (PostgreSQL) is held from here to the commit: concurrent check-ins of one site line up.
    Flushes only; the caller must call `advance_head` with the new hash before committing.
    """
    table = ChainHead.__table__
    bumped = db.session.execute(
        table.update().where(table.c.site_id == site_id).values(last_seq=table.c.last_seq + 1)
    ).rowcount
    if not bumped:
        db.session.execute(
            insert_ignoring_conflicts(ChainHead).values(
                site_id=site_id, last_seq=0, last_hash=genesis_hash(site_id)
            )
        )
        db.session.execute(
            table.update().where(table.c.site_id == site_id).values(last_seq=table.c.last_seq + 1)
        )
    seq, last_hash = db.session.execute(
        select(table.c.last_seq, table.c.last_hash).where(table.c.site_id == site_id)
    ).one()
    return seq, last_hash


def advance_head(site_id: int, new_hash: str) -> None:
    table = ChainHead.__table__
    db.session.execute(
        table.update().where(table.c.site_id == site_id).values(last_hash=new_hash)
    )


@dataclass
class ChainReport:
    site_id: int
    rows_checked: int = 0
    problem_count: int = 0
    problems: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def add(self, seq: int, problem: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append({"seq": seq, "problem": problem})


def verify_chain(site_id: int) -> ChainReport:
    """Walk a site's check-ins in sequence and report every edited, missing or relinked row.

    Problems: "edited" (the row's facts no longer match its hash), "missing" (a sequence number
    with no row: deleted), "relinked" (prev_hash does not match the previous row's hash),
    "head" (the chain head disagrees with the last row: rows deleted at the end).
    """
    report = ChainReport(site_id)
    key = _key()
    columns = [getattr(CheckIn, name) for name in HASHED_FIELDS] + [
        CheckIn.prev_hash, CheckIn.chain_hash,
    ]
    rows = db.session.execute(
        select(*columns).where(CheckIn.site_id == site_id).order_by(CheckIn.seq)
        .execution_options(yield_per=5000)
    )
    expected_seq, prev = 1, genesis_hash(site_id)
    for row in rows:
        values = row._mapping
        seq = values["seq"]
        for missing in range(expected_seq, seq):
            report.add(missing, "missing")
        if values["prev_hash"] != prev and seq == expected_seq:
            report.add(seq, "relinked")
        if link_hash(values, values["prev_hash"], key) != values["chain_hash"]:
            report.add(seq, "edited")
        report.rows_checked += 1
        expected_seq, prev = seq + 1, values["chain_hash"]
    head = db.session.get(ChainHead, site_id)
    if head is not None:
        for missing in range(expected_seq, head.last_seq + 1):
            report.add(missing, "missing")
        if head.last_seq == expected_seq - 1 and head.last_hash != prev:
            report.add(head.last_seq, "head")
    return report


def record_chain_check(site, report: ChainReport | None = None) -> ChainCheck:
    """Verify (unless given a report) and store the result for the supervisor's board. Commits."""
    report = report or verify_chain(site.id)
    check = ChainCheck(
        site_id=site.id,
        checked_at=utcnow(),
        ok=report.ok,
        rows_checked=report.rows_checked,
        problems=report.problems,
    )
    db.session.add(check)
    db.session.commit()
    return check


def last_chain_check(site) -> ChainCheck | None:
    return db.session.scalar(
        select(ChainCheck).where(ChainCheck.site_id == site.id).order_by(ChainCheck.id.desc())
        .limit(1)
    )
