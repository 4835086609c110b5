"""The 督办函: the supervising office's letter to a unit it urged, listing the urged items
(number, title, deadline, days overdue on the day of the urge) and the message; A4, title in
the letters' 小标宋, body in their 仿宋 (3号), rendered with WeasyPrint like the letters."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date

from flask import render_template

from tracker.letters import fonts as letter_fonts
from tracker.letters.fetcher import LetterFetcher
from tracker.letters.render import _fonts_css
from tracker.letters.render import _lock as letters_lock
from tracker.supervision.models import Urge
from tracker.supervision.operations import urged_on, urges_of_letter

TITLE = "督办函"
_TAGS = re.compile(r"<[^>]+>")


@dataclass
class LetterItem:
    number: str
    title: str
    due_on: date
    days_overdue: int  # calendar days past the deadline on the day of the urge (0: not yet)


def letter_items(urges: list[Urge]) -> list[LetterItem]:
    on = urged_on(urges[0])
    return [LetterItem(f"{u.proposal.meeting.name}{u.proposal.display_number}",
                       u.proposal.title, u.assignment.due_on,
                       max(0, (on - u.assignment.due_on).days)) for u in urges]


def letter_filename(urge: Urge) -> str:
    return f"督办函-{urge.unit.name}-{urged_on(urge).isoformat()}.pdf"


def render_urge_letter(urge: Urge) -> bytes:
    """The 督办函 of the urge (of its whole batch) as PDF bytes; nothing outside is fetched."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    urges = urges_of_letter(urge)
    first = urges[0]
    issuer = first.urged_by.unit.name if first.urged_by.unit else ""
    page = render_template(
        "supervision/urge_letter.html", title=TITLE, unit=first.unit, issuer=issuer,
        items=letter_items(urges), message=first.message, on=urged_on(first),
        urged_by=first.urged_by)
    text = html.unescape(_TAGS.sub("", page.split("<body", 1)[-1]))
    with letters_lock:
        chosen, _warnings = letter_fonts.choose({
            "body": text, "title": TITLE, "heading1": text, "heading2": "", "digits": ""})
        fetcher = LetterFetcher()
        font_config = FontConfiguration()
        fonts = CSS(string=_fonts_css(chosen, fetcher), url_fetcher=fetcher,
                    font_config=font_config, base_url="tracker-asset:fonts.css")
        document = HTML(string=page, url_fetcher=fetcher,
                        base_url="tracker-asset:urge-letter.html")
        return document.write_pdf(stylesheets=[fonts], font_config=font_config)
