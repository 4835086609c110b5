"""The 督办函: the supervising office's letter to a unit it urged, listing the urged items
(number, title, deadline, days overdue on the day of the urge) and the message; A4, title in
the letters' 小标宋, body in their 仿宋 (3号), rendered with WeasyPrint like the letters."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import render_template

from tracker.letters.documents import render_page
from tracker.supervision.models import Urge
from tracker.supervision.operations import urged_on, urges_of_letter

TITLE = "督办函"


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
    urges = urges_of_letter(urge)
    first = urges[0]
    issuer = first.urged_by.unit.name if first.urged_by.unit else ""
    page = render_template(
        "supervision/urge_letter.html", title=TITLE, unit=first.unit, issuer=issuer,
        items=letter_items(urges), message=first.message, on=urged_on(first),
        urged_by=first.urged_by)
    return render_page(page, TITLE, "urge-letter.html")
