"""The 会办意见函: a co-handling unit's approved opinion as the short letter it sends to the
lead unit — 发文字号, title, the lead unit as addressee, the opinion in paragraphs, the unit's
name and the approval date with room for the seal, and the contact. A4 on the letters' grid,
set in their faces and rendered like the 督办函 (tracker.letters.documents), in the unit's
letter style (信函格式 or not) for the kind of item."""
from __future__ import annotations

from flask import render_template

from tracker.accounts.models import Unit, User
from tracker.core.states import AssignmentState
from tracker.core.time import to_local
from tracker.handling.models import Assignment, CoOpinion, UnitRole
from tracker.letters.documents import render_page
from tracker.letters.text import Paragraph
from tracker.letters.text import paragraphs as letter_paragraphs
from tracker.replies import punctuation
from tracker.replies.styles import style_for


def opinion_title(assignment: Assignment) -> str:
    """关于省十四届人大三次会议第212号代表建议的会办意见 (the item number as registered)."""
    proposal = assignment.proposal
    return f"关于{proposal.meeting.name}第{proposal.number}号{proposal.kind.label}的会办意见"


def lead_unit(assignment: Assignment) -> Unit | None:
    """The unit the opinion is for: the item's lead unit (not one that gave it back)."""
    return next((a.unit for a in assignment.proposal.assignments
                 if a.role == UnitRole.lead and a.state != AssignmentState.returned), None)


def contact(assignment: Assignment, opinion: CoOpinion) -> User:
    """Who answers questions about it: the drafter the item was passed to, else who
    submitted it (the unit's clerk)."""
    return assignment.drafter or opinion.submitted_by


def paragraphs(text: str) -> list[Paragraph]:
    """The opinion's paragraphs as the reply letter splits them (headings by their markers),
    in full-width punctuation where the text is Chinese (as typed, often half-width)."""
    return letter_paragraphs(punctuation.normalize(text)[0])


def letter_filename(assignment: Assignment, opinion: CoOpinion) -> str:
    return f"会办意见-{assignment.unit.name}-第{assignment.proposal.number}号.pdf"


def render_opinion_letter(assignment: Assignment, opinion: CoOpinion) -> bytes:
    """The approved opinion as PDF bytes; nothing outside the page is fetched."""
    title = opinion_title(assignment)
    style = style_for(assignment.unit, assignment.proposal.kind)
    approved_on = to_local(opinion.decided_at or opinion.submitted_at).date()
    page = render_template(
        "letters/opinion_letter.html", title=title, unit=assignment.unit,
        letterhead=style.letterhead, lead=lead_unit(assignment), opinion=opinion,
        paragraphs=paragraphs(opinion.text), approved_on=approved_on,
        contact=contact(assignment, opinion))
    return render_page(page, title, "opinion-letter.html")
