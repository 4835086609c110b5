"""The formal reply letter (GB/T 9704-2012 layout) rendered to PDF, without app or database.

``render_letter(data)`` returns the PDF bytes; ``render_letter_report(data)`` also returns a
report (font choices, fallbacks for missing characters, refused URLs, pages, seconds).
"""
from __future__ import annotations

import ctypes.util
import logging
import warnings

from tracker.letters.inputs import LetterInputError
from tracker.letters.render import LetterRenderTimeout

log = logging.getLogger(__name__)

__all__ = ["LetterInputError", "LetterRenderTimeout", "check_harfbuzz_subset",
           "render_letter", "render_letter_report"]


def render_letter(data: dict, timeout: float | None = None) -> bytes:
    """Render the reply letter described by ``data`` to PDF bytes."""
    return render_letter_report(data, timeout)[0]


def render_letter_report(data: dict, timeout: float | None = None) -> tuple[bytes, dict]:
    """Render the letter; return the PDF and a report whose ``warnings`` list fallbacks."""
    from tracker.letters.render import render_with_limit

    pdf, report = render_with_limit(data, timeout)
    for warning in report["warnings"]:
        log.warning("letter: %s", warning)
    return pdf, report


def check_harfbuzz_subset(warn: bool = True) -> bool:
    """Whether HarfBuzz's subsetter is loadable; log a loud warning when it is not.

    Without it WeasyPrint subsets CJK fonts with fontTools: seconds per letter instead of
    about 0.15 s (LETTER.md, "Rendering speed").
    """
    found = False
    for name in ("harfbuzz-subset", "libharfbuzz-subset.so.0"):
        path = ctypes.util.find_library(name) if "/" not in name and ".so" not in name else name
        if not path:
            continue
        try:
            ctypes.CDLL(path)
        except OSError:
            continue
        found = True
        break
    if not found and warn:
        message = ("libharfbuzz-subset0 (HarfBuzz's font subsetter) is MISSING: every reply "
                   "letter will take several seconds to render. Install it: "
                   "apt-get install libharfbuzz-subset0")
        log.warning("%s\n%s\n%s", "!" * 72, message, "!" * 72)
        # Also as a warning: logging setups (alembic's fileConfig) may silence our logger.
        warnings.warn(message, RuntimeWarning, stacklevel=2)
    return found


def init_app(app) -> None:
    """The reply body's paragraphs for the templates."""
    from tracker.letters.text import paragraphs

    # Paragraphs of a draft with heading levels (p.level 0-4, p.text).
    app.add_template_filter(paragraphs, "reply_paragraphs")
