"""gunicorn settings for `make serve-prod`: files private to the service's user, and an access
log without the secrets some addresses carry (rating tokens, verification codes).

WORKERS, BIND and TIMEOUT in the environment override the defaults, as before.
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
