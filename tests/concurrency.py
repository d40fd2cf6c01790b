"""Running service calls in threads at the same moment, for the PostgreSQL race tests."""

import threading

from flask import g

from pmfield.extensions import db


def run_together(app, jobs, *, in_request: bool = False) -> list:
    """Run each job in its own thread and app context, all released at once; their results.

    `in_request` gives each thread a request context too (services that translate messages).
    Any exception in a thread fails the calling test.
    """
    barrier = threading.Barrier(len(jobs))
    results, errors = [None] * len(jobs), []

    def worker(i, job):
        with app.app_context():
            context = app.test_request_context() if in_request else None
            if context is not None:
                context.push()
            g.__dict__.clear()
            try:
                barrier.wait(timeout=10)
                results[i] = job()
            except Exception as error:  # noqa: BLE001  (reported by the assertion below)
                errors.append(error)
            finally:
                db.session.remove()
                if context is not None:
                    context.pop()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results
