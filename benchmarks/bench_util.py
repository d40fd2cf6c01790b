"""Helpers shared by the hand-run benchmarks: instance set-up, statistics, table printing.

Benchmarks are scripts, not tests: run them from the repository root with the venv's Python,
e.g. `.venv/bin/python benchmarks/checkin_throughput.py`. Nothing here is imported by pmfield.
"""

import os
import platform
import statistics
import time
from contextlib import contextmanager
from pathlib import Path

#: Fixed keys: the label tokens and the chain hashes of a kept database stay valid across runs.
SECRET_KEY = "pmfield-benchmark-secret"  # noqa: S105 (a throw-away benchmark instance)
REPO = Path(__file__).resolve().parent.parent


def instance_env(instance: Path, database_url: str | None = None) -> dict[str, str]:
    """The PMFIELD_* variables that point pmfield at a benchmark instance folder."""
    env = {
        "PMFIELD_INSTANCE_PATH": str(instance),
        "PMFIELD_SECRET_KEY": SECRET_KEY,
        "PMFIELD_MEDIA_DIR": str(instance / "media"),
        "PMFIELD_BABEL_DEFAULT_LOCALE": "en",
    }
    if database_url:
        env["PMFIELD_DATABASE_URL"] = database_url
    return env


def make_app(instance: Path, database_url: str | None = None):
    """Create the real pmfield app (as wsgi.py does) for the given instance folder."""
    from pmfield import create_app

    for name in [n for n in os.environ if n.startswith("PMFIELD_")]:
        del os.environ[name]
    os.environ.update(instance_env(instance, database_url))
    return create_app()


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of values; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


@contextmanager
def timed(label: str, out: dict | None = None):
    """Print (and store in out[label]) how long the block took, in seconds."""
    start = time.perf_counter()
    yield
    elapsed = time.perf_counter() - start
    if out is not None:
        out[label] = elapsed
    print(f"  {label}: {elapsed:.2f} s", flush=True)


def machine() -> str:
    """One line describing where the figures come from."""
    return (
        f"{platform.node()} · {os.cpu_count()} CPUs · Python {platform.python_version()} · "
        f"{platform.system()} {platform.release()}"
    )


def load() -> str:
    """The 1-minute load average: other work on the machine skews every figure."""
    return f"{os.getloadavg()[0]:.2f}"


def table(headers: list[str], rows: list[list]) -> str:
    """A plain-text table, right-aligned except the first column."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        rest = zip(row[1:], widths[1:], strict=True)
        parts = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in rest]
        lines.append("  ".join(parts))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
