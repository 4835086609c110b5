"""Work off the request path: the job queue (Huey), the record of its runs, and its upkeep.

The packages above declare their jobs with `tracker.jobs.queue.task` / `periodic` in a `jobs`
module their init_app() imports, so the web workers (which enqueue) and the consumer (which
runs them) know the same jobs.
"""


def init_app(app) -> None:
    from tracker.jobs import queue, upkeep  # noqa: F401  (upkeep's periodic jobs)

    queue.configure(app)
