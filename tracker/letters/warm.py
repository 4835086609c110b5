"""Prepare, at a process's start, what its first reply letter would otherwise prepare.

The first letter a process renders finds the fonts (one ``fc-list`` per preferred family),
reads their character maps and widths, loads them into WeasyPrint's font configuration,
parses the letter's stylesheets and compiles its template: about half a second more than any
later letter. A gunicorn worker calls warm_up() once before it takes requests
(gunicorn.conf.py), so the first 发文 or preview after a start or a worker restart costs what
the others do.
"""
from __future__ import annotations

import logging
import time

log = logging.getLogger(__name__)


def warm_up() -> float | None:
    """Render one sample letter laid out as an issued one (signature block, verification
    line) and throw it away; the seconds it took, or None when it failed (logged: the first
    real letter then reports the problem to its user as usual)."""
    from tracker.letters.render import render_with_limit
    from tracker.letters.samples import sample_letter

    data = sample_letter(2)
    data["signature"] = True
    data["verification"] = {"code": "ABCD-EFGH-JKLM-NPQR",
                            "url": "https://example.invalid/verify/ABCDEFGHJKLMNPQR"}
    started = time.perf_counter()
    try:
        render_with_limit(data)
    except Exception:  # noqa: BLE001 - a warm-up never stops a worker from serving
        log.exception("letter warm-up failed")
        return None
    return time.perf_counter() - started
