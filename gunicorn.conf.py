"""gunicorn settings for `make serve-prod` and the load test: files private to the service's
user, an access log without the secrets some addresses carry (rating tokens, verification
codes), and workers that prepare the letters' fonts before they take requests.

WORKERS, BIND and TIMEOUT in the environment override the defaults, as before; so do
gunicorn's command-line options (the load test sets the workers, the address and the logs).
TRACKER_WARM_LETTERS=0 skips the fonts' warm-up.
"""
from __future__ import annotations

import os
import re

from gunicorn.glogging import Logger

wsgi_app = "wsgi:app"
workers = int(os.environ.get("WORKERS", "4"))
bind = os.environ.get("BIND", "127.0.0.1:8000")
timeout = int(os.environ.get("TIMEOUT", "120"))
accesslog = "-"

# Uploads, letters, keys, the SQLite file and anything else the workers write: 600 / 700.
# The workers inherit the master's umask (gunicorn's own `umask` setting is for sockets).
os.umask(0o077)

MASK = "«…»"
# The secret part of an address: /rate/<token>, /verify/<code>[/letter.pdf], and the value of
# a token or code query parameter (the verification page's code box), also in a bare query
# string (the %(q)s atom).
_SECRET_PATH = re.compile(r"(/(?:rate|verify)/)[^/?#\s\"]+")
_SECRET_QUERY = re.compile(r"((?:^|[?&;])(?:token|code)=)[^&;#\s\"]*", re.IGNORECASE)


def mask_secrets(text: str) -> str:
    """``text`` with the rating token or verification code in any address replaced by «…»."""
    return _SECRET_QUERY.sub(r"\g<1>" + MASK, _SECRET_PATH.sub(r"\g<1>" + MASK, text))


class MaskingLogger(Logger):
    """gunicorn's logger; every access-log atom (request line, path, query, referer, headers,
    environ) goes through mask_secrets, so no format can print a token."""

    def atoms(self, resp, req, environ, request_time):
        return {key: mask_secrets(value) if isinstance(value, str) else value
                for key, value in super().atoms(resp, req, environ, request_time).items()}


logger_class = MaskingLogger


def post_worker_init(worker):
    """Render one throw-away letter in the new worker (tracker.letters.warm): without it the
    first letter a worker renders takes about half a second longer than the others.

    post_worker_init rather than post_fork: the app is loaded in the worker only after
    post_fork (no preload_app), and the warm-up needs its configuration (the font folder and
    preferences)."""
    if os.environ.get("TRACKER_WARM_LETTERS", "1") == "0":
        return
    import time

    from tracker.letters.warm import warm_up

    app = worker.wsgi
    started = time.perf_counter()
    with app.app_context():
        seconds = warm_up()
    if seconds is None:
        worker.log.warning("worker %s: letter warm-up failed (see above)", worker.pid)
    else:
        worker.log.info("worker %s: letter fonts warmed in %.2f s", worker.pid,
                        time.perf_counter() - started)
