"""The 提案办理单 / 建议办理单: one page per item, laid out as the paper form offices keep, filled
from the record — the leaders' instructions with names and dates, the section and person
responsible, the reply's date and form, the authors' satisfaction with its score band, the
result class and the office's grade — blank where a signature goes. Rendered with WeasyPrint
like the letters (tracker.letters.documents), fetching nothing outside the page."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.accounts.models import User
from tracker.core.states import AssignmentState, Grade, Satisfaction
from tracker.core.time import to_local
from tracker.extensions import db
from tracker.handling.models import Assignment, UnitRole
from tracker.handling.permissions import can_view_proposal, oversees, visible_opinions
from tracker.instructions.choices import InstructionKind, InstructionStatus
from tracker.instructions.models import Instruction
from tracker.instructions.permissions import can_view
from tracker.letters.documents import render_pages
from tracker.proposals.models import Proposal
from tracker.ratings.models import Rating
from tracker.replies import punctuation
from tracker.replies.choices import ReplyForm
from tracker.replies.models import Reply

# A selection printed at once, in the request (about 0.1 s of CPU a page: `make bench`); more
# is printed in parts.
MAX_SHEETS = 50


@dataclass
class Said:
    """An instruction as the form prints it: the text, then the leader and the date."""

    text: str
    leader: str
    given_on: date | None
    unit: str = ""


@dataclass
class AuthorAnswer:
    name: str
    verdict: Satisfaction
    score: int | None
    comments: str


@dataclass
class Sheet:
    title: str
    word: str                     # 提案 / 建议
    author_word: str              # 提案者 / 代表 (who signs the satisfaction cell)
    author_label: str             # 提案人 / 代表 (the first row: every author)
    number: str
    item_title: str
    authors: str
    office: str
    units: str
    said: dict[str, list[Said]] = field(default_factory=dict)
    responsible: str = ""
    replied_on: date | None = None
    reply_form: str | None = None
    satisfaction: Satisfaction | None = None
    answers: list[AuthorAnswer] = field(default_factory=list)
    result_class: str | None = None
    grade: str = ""

    @property
    def forms(self):
        return list(ReplyForm)

    @property
    def bands(self):
        return list(Satisfaction)

    @property
    def grades(self):
        return list(Grade)


def _printed(text: str) -> str:
    """Typed text as the form prints it: full-width punctuation where the text is Chinese
    (instructions typed from paper often come with half-width commas and brackets)."""
    return punctuation.normalize(text or "")[0]


def can_print(user: User, proposal: Proposal) -> bool:
    """The 办理单 is the supervising office's and the answering units' record of the item."""
    if not can_view_proposal(user, proposal):
        return False
    return oversees(user) or any(
        a.unit_id == user.unit_id and a.role != UnitRole.co
        and a.state != AssignmentState.returned for a in proposal.assignments)


def _main(proposal: Proposal) -> list[Assignment]:
    active = [a for a in proposal.assignments if a.state != AssignmentState.returned]
    return [a for a in active if a.role != UnitRole.co] or active


def _office(proposal: Proposal) -> str:
    """The supervising office that assigned the item (its short name when it has one)."""
    for assignment in proposal.assignments:
        if assignment.assigned_by_id is not None:
            assigner = db.session.get(User, assignment.assigned_by_id)
            if assigner is not None and assigner.unit is not None:
                return assigner.unit.display_name
    return ""


def _unit_line(assignment: Assignment, user: User) -> str:
    """A unit and its role; a co-handling unit's approved 会办意见 with its number."""
    line = f"{assignment.unit.name}（{assignment.role.label}"
    if assignment.role == UnitRole.co:
        approved = [o for o in visible_opinions(user, assignment) if o.is_approved]
        if approved and approved[-1].doc_number:
            line += f"，会办意见{approved[-1].doc_number}"
        elif approved:
            line += "，已提出会办意见"
    return line + "）"


def build_sheet(proposal: Proposal, user: User) -> Sheet:
    """What the 办理单 of this item shows to this user (a unit's leaders' instructions only
    where the user may read them)."""
    kind = proposal.meeting.item_kind
    word = "建议" if kind.value == "suggestion" else "提案"
    main = _main(proposal)
    sheet = Sheet(
        title=f"{proposal.meeting.name}{word}办理单", word=word,
        author_word="提案者" if word == "提案" else "代表",
        author_label="提案人" if word == "提案" else "代表",
        number=proposal.number, item_title=proposal.title,
        authors="、".join(a.name for a in proposal.authors), office=_office(proposal),
        units="；".join(_unit_line(a, user) for a in proposal.assignments
                       if a.state != AssignmentState.returned))
    instructions = db.session.scalars(
        select(Instruction).where(Instruction.proposal_id == proposal.id,
                                  Instruction.status == InstructionStatus.given)
        .options(selectinload(Instruction.assignment))
        .order_by(Instruction.given_on, Instruction.id))
    for kind_ in InstructionKind:
        sheet.said[kind_.value] = []
    for instruction in instructions:
        if not can_view(user, instruction):
            continue
        # A unit's leader is named with the unit unless it is the item's one answering unit
        # (a co-handling unit's leader never reads as the lead unit's).
        part = instruction.assignment
        named = part is not None and (len(main) > 1 or part not in main)
        sheet.said[InstructionKind(instruction.kind).value].append(Said(
            _printed(instruction.text), instruction.leader_name, instruction.given_on,
            part.unit.display_name if named else ""))
    sheet.responsible = "；".join(
        "　".join(x for x in (a.unit.display_name if len(main) > 1 else "",
                              a.section.name if a.section else "",
                              a.drafter.full_name if a.drafter else "") if x)
        for a in main if a.section or a.drafter)
    _reply_facts(sheet, proposal, main)
    sheet.grade = proposal.handling_grade or ""
    return sheet


def _reply_facts(sheet: Sheet, proposal: Proposal, main: list[Assignment]) -> None:
    """The latest issued reply of the first main unit: date, form, class, and its ratings."""
    if not main:
        return
    lead = main[0]
    reply = db.session.scalar(
        select(Reply).where(Reply.assignment_id == lead.id, Reply.issued_at.is_not(None))
        .order_by(Reply.round.desc()).limit(1))
    if reply is None:
        return
    issued = to_local(reply.issued_at)
    sheet.replied_on = issued.date() if issued else None
    sheet.reply_form = reply.draft_version.reply_form.value
    sheet.result_class = reply.draft_version.result_class or None
    answers = {r.author_id: r for r in db.session.scalars(
        select(Rating).where(Rating.reply_id == reply.id))}
    for author in proposal.authors:
        rating = answers.get(author.id)
        if rating is None:
            continue
        sheet.answers.append(AuthorAnswer(author.name, rating.result, rating.result_score,
                                          _printed(rating.comments)))
    if reply.rating is not None:
        sheet.satisfaction = Satisfaction(reply.rating)
    elif sheet.answers:
        sheet.satisfaction = max((a.verdict for a in sheet.answers), key=lambda s: s.rank)


def render_sheets(proposals: list[Proposal], user: User) -> bytes:
    """The 办理单 of each item, one page each, in one PDF."""
    sheets = [build_sheet(p, user) for p in proposals]
    pages = [render_template("instructions/sheet.html", sheet=sheet) for sheet in sheets]
    return render_pages(pages, sheets[0].title if len(sheets) == 1 else "办理单", "sheet.html")


def sheet_filename(proposals: list[Proposal]) -> str:
    if len(proposals) == 1:
        p = proposals[0]
        return f"办理单-{p.meeting.name}第{p.number}号.pdf"
    return f"办理单-{len(proposals)}件.pdf"
