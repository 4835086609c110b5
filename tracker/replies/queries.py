"""Read-side helpers for drafts, reviews and replies."""
from __future__ import annotations

import difflib
from collections import defaultdict

from markupsafe import Markup, escape
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased

from tracker.accounts.models import Unit
from tracker.core import batch
from tracker.core.batch import batched
from tracker.core.states import AssignmentState
from tracker.extensions import db
from tracker.handling.models import Assignment, UnitRole
from tracker.replies.choices import Decision
from tracker.replies.models import DraftVersion, Reply, ReviewDecision

# The batch loaders' statements are built once: a page asks them with its rows' ids.
_IDS = bindparam("ids", expanding=True)
_NEWEST = (select(DraftVersion.assignment_id, func.max(DraftVersion.number).label("number"))
           .where(DraftVersion.assignment_id.in_(_IDS))
           .group_by(DraftVersion.assignment_id).subquery())
_LATEST_DRAFTS = select(DraftVersion).join(
    _NEWEST, (DraftVersion.assignment_id == _NEWEST.c.assignment_id)
    & (DraftVersion.number == _NEWEST.c.number))


def _latest_drafts(ids: list[int]) -> dict[int, DraftVersion]:
    return {d.assignment_id: d for d in db.session.scalars(_LATEST_DRAFTS, {"ids": ids})}


@batched(_latest_drafts)
def latest_draft(assignment: Assignment) -> DraftVersion | None:
    return db.session.scalar(
        select(DraftVersion).where(DraftVersion.assignment_id == assignment.id)
        .order_by(DraftVersion.number.desc()).limit(1))


def drafts(assignment: Assignment) -> list[DraftVersion]:
    return list(db.session.scalars(
        select(DraftVersion).where(DraftVersion.assignment_id == assignment.id)
        .order_by(DraftVersion.number)))


def draft_by_number(assignment: Assignment, number: int) -> DraftVersion | None:
    return db.session.scalar(select(DraftVersion).where(
        DraftVersion.assignment_id == assignment.id, DraftVersion.number == number))


_LEAD, _CO = aliased(Assignment), aliased(Assignment)
_MISSING_CO = (select(_LEAD.id, Unit.name)
               .join(_CO, _CO.proposal_id == _LEAD.proposal_id).join(Unit, Unit.id == _CO.unit_id)
               .where(_LEAD.id.in_(_IDS), _CO.role == UnitRole.co,
                      _CO.state.not_in([AssignmentState.returned,
                                        AssignmentState.opinion_submitted]))
               .order_by(_CO.id))


def _missing_co_opinions(ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    for lead_id, name in db.session.execute(_MISSING_CO, {"ids": ids}):
        found[lead_id].append(name)
    return found


@batched(_missing_co_opinions, default=list)
def missing_co_opinions(assignment: Assignment) -> list[str]:
    """Names of co-handling units of the item whose opinion has not arrived (approved by
    their leader: one pending approval has not)."""
    co = db.session.scalars(select(Assignment).where(
        Assignment.proposal_id == assignment.proposal_id,
        Assignment.role == UnitRole.co,
        Assignment.state != AssignmentState.returned,
    ))
    return [a.unit.name for a in co if a.state != AssignmentState.opinion_submitted]


_DECISIONS = (select(ReviewDecision).where(ReviewDecision.assignment_id.in_(_IDS))
              .order_by(ReviewDecision.decided_at, ReviewDecision.id))


def _decisions(ids: list[int]) -> dict[int, list[ReviewDecision]]:
    found: dict[int, list[ReviewDecision]] = defaultdict(list)
    for decision in db.session.scalars(_DECISIONS, {"ids": ids}):
        found[decision.assignment_id].append(decision)
    return found


@batched(_decisions, default=list)
def decisions(assignment: Assignment) -> list[ReviewDecision]:
    return list(db.session.scalars(
        select(ReviewDecision).where(ReviewDecision.assignment_id == assignment.id)
        .order_by(ReviewDecision.decided_at, ReviewDecision.id)))


def current_cycle_decisions(assignment: Assignment) -> list[ReviewDecision]:
    return [d for d in decisions(assignment)
            if d.round == assignment.round and d.cycle == assignment.review_cycle]


def levels_approved_by(assignment: Assignment, user_id: int) -> set[str]:
    """Levels this person approved in the current submission of the draft."""
    return {d.level for d in current_cycle_decisions(assignment)
            if d.reviewer_id == user_id and d.decision == Decision.approve}


_WROTE = (select(DraftVersion.assignment_id).distinct()
          .join(Assignment, Assignment.id == DraftVersion.assignment_id)
          .where(DraftVersion.assignment_id.in_(_IDS), DraftVersion.round == Assignment.round,
                 DraftVersion.created_by_id == bindparam("user_id")))


def _wrote_this_round(ids: list[int], user_id: int) -> dict[int, bool]:
    return dict.fromkeys(db.session.scalars(_WROTE, {"ids": ids, "user_id": user_id}), True)


@batched(_wrote_this_round, default=False)
def wrote_this_round(assignment: Assignment, user_id: int) -> bool:
    """Whether this person saved a version of the draft in the assignment's current round."""
    return db.session.scalar(select(DraftVersion.id).where(
        DraftVersion.assignment_id == assignment.id, DraftVersion.round == assignment.round,
        DraftVersion.created_by_id == user_id).limit(1)) is not None


def last_seen_by(assignment: Assignment, user_id: int) -> DraftVersion | None:
    """The version this person last decided on (what they 'last saw' of the draft)."""
    mine = [d for d in decisions(assignment) if d.reviewer_id == user_id]
    return mine[-1].draft_version if mine else None


def issued_by_hash(sha256: str) -> Reply | None:
    return db.session.scalar(select(Reply).where(Reply.pdf_sha256 == sha256,
                                                 Reply.issued_at.is_not(None)))


def issued_by_code(code: str) -> Reply | None:
    return db.session.scalar(select(Reply).where(Reply.verify_code == code,
                                                 Reply.issued_at.is_not(None)))


def current_reply(assignment: Assignment, *, issued: bool = False) -> Reply | None:
    """The reply of the assignment's current round (issued: only once it is issued)."""
    if batch.covers(assignment):  # a page: from the replies of all its assignments
        return next((r for r in replies_of(assignment) if r.round == assignment.round
                     and (not issued or r.issued_at is not None)), None)
    query = select(Reply).where(Reply.assignment_id == assignment.id,
                                Reply.round == assignment.round)
    if issued:
        query = query.where(Reply.issued_at.is_not(None))
    return db.session.scalar(query)


_REPLIES = select(Reply).where(Reply.assignment_id.in_(_IDS)).order_by(Reply.round)


def _replies(ids: list[int]) -> dict[int, list[Reply]]:
    found: dict[int, list[Reply]] = defaultdict(list)
    for reply in db.session.scalars(_REPLIES, {"ids": ids}):
        found[reply.assignment_id].append(reply)
    return found


@batched(_replies, default=list)
def replies_of(assignment: Assignment) -> list[Reply]:
    """Every reply of the assignment, round by round (issued or not)."""
    return list(db.session.scalars(select(Reply).where(
        Reply.assignment_id == assignment.id).order_by(Reply.round)))


# difflib compares every line of one text with every line of the other (and characters
# within a changed line): quadratic. Beyond these products the comparison is coarsened, with
# a note, so that any pair of drafts the form allows (60,000 characters) compares in well
# under a second.
MAX_LINE_PRODUCT = 250_000
MAX_CHAR_PRODUCT = 250_000
MAX_CHAR_WORK = 1_000_000   # all the character-level marking of one comparison
COARSE_NOTE = "两稿改动范围较大，中间部分按整段替换显示（未逐行比对）。"


def _line_opcodes(old: list[str], new: list[str]) -> tuple[list[tuple], bool]:
    """difflib's opcodes for two lists of lines, the common head and tail matched first in
    linear time; a middle too large to compare line by line is one replacement."""
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    a_end, b_end = len(old) - tail, len(new) - tail
    ops: list[tuple] = [("equal", 0, head, 0, head)] if head else []
    middle_a, middle_b = old[head:a_end], new[head:b_end]
    coarse = len(middle_a) * len(middle_b) > MAX_LINE_PRODUCT
    if coarse:
        ops.append(("replace", head, a_end, head, b_end))
    elif middle_a or middle_b:
        matcher = difflib.SequenceMatcher(a=middle_a, b=middle_b, autojunk=False)
        ops += [(tag, i1 + head, i2 + head, j1 + head, j2 + head)
                for tag, i1, i2, j1, j2 in matcher.get_opcodes()]
    if tail:
        ops.append(("equal", a_end, len(old), b_end, len(new)))
    return ops, coarse


def _marked(a: str, b: str, budget: list[int]) -> tuple[str, str] | None:
    """Two similar lines with their changed characters marked, or None (not similar, or
    too long for the comparison budget that is left)."""
    cost = len(a) * len(b)
    if cost > MAX_CHAR_PRODUCT or cost > budget[0]:
        return None
    budget[0] -= cost
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    if matcher.ratio() < 0.5:
        return None
    left, right = [], []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            left.append(str(escape(a[i1:i2])))
            right.append(str(escape(b[j1:j2])))
        else:
            if i2 > i1:
                left.append(f"<del>{escape(a[i1:i2])}</del>")
            if j2 > j1:
                right.append(f"<ins>{escape(b[j1:j2])}</ins>")
    return "".join(left), "".join(right)


def side_by_side(old: str, new: str, old_title: str, new_title: str) -> Markup:
    """An HTML table comparing two texts line by line, changes marked (content escaped)."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    rows: list[str] = []
    budget = [MAX_CHAR_WORK]
    opcodes, coarse = _line_opcodes(old_lines, new_lines)
    for tag, i1, i2, j1, j2 in opcodes:
        left, right = old_lines[i1:i2], new_lines[j1:j2]
        for k in range(max(len(left), len(right))):
            a = left[k] if k < len(left) else None
            b = right[k] if k < len(right) else None
            if tag == "equal":
                rows.append(_row("same", escape(a), escape(b)))
                continue
            marked = _marked(a, b, budget) if tag == "replace" and a is not None \
                and b is not None else None
            if marked is not None:  # similar lines: the changed characters marked
                rows.append(_row("changed", *marked))
            else:
                rows.append(_row("changed", escape(a) if a is not None else "",
                                 escape(b) if b is not None else "",
                                 "removed" if a is not None else "",
                                 "added" if b is not None else ""))
    head = Markup("<thead><tr><th>{}</th><th>{}</th></tr></thead>").format(old_title, new_title)
    note = Markup('<p class="small text-muted diff-coarse">{}</p>').format(COARSE_NOTE) \
        if coarse else Markup("")
    return note + Markup('<table class="table table-sm diff">') + head + Markup("<tbody>") + \
        Markup("".join(rows)) + Markup("</tbody></table>")


def _row(kind: str, left, right, left_cls: str = "", right_cls: str = "") -> str:
    """One row; ``left`` and ``right`` are already escaped HTML."""
    return (f'<tr class="{kind}"><td class="{left_cls}">{left}</td>'
            f'<td class="{right_cls}">{right}</td></tr>')


def review_context(assignment: Assignment, user) -> dict:
    """What the draft, review, sign and issue pages show."""
    versions = drafts(assignment)
    latest = versions[-1] if versions else None
    seen = last_seen_by(assignment, user.id) if user is not None else None
    diff = None
    if latest is not None and seen is not None and seen.id != latest.id:
        diff = side_by_side(seen.body, latest.body, f"您上次审核的第 {seen.number} 稿",
                            f"现在的第 {latest.number} 稿")
    # The lead reads the approved opinions only (a pending one is still the co unit's).
    opinions = [
        (a, o) for a in assignment.proposal.assignments if a.role == UnitRole.co
        for o in a.opinions if o.is_approved
    ]
    return {
        "versions": versions,
        "latest": latest,
        "last_seen": seen,
        "diff_since_seen": diff,
        "decisions": decisions(assignment),
        "reply": current_reply(assignment),
        "opinions": opinions,
        "missing_opinions": missing_co_opinions(assignment)
        if assignment.role == UnitRole.lead else [],
    }


def members_to_issue(assignment: Assignment) -> list:
    """The 并案 members that this assignment's 发文 answers too: the lead item's members
    without their own assignment at this unit yet (a 会办 unit writes no letter)."""
    from tracker.proposals.models import Proposal

    if assignment.role == UnitRole.co:
        return []
    own = select(Assignment.id).where(
        Assignment.proposal_id == Proposal.id, Assignment.unit_id == assignment.unit_id,
        Assignment.state != AssignmentState.returned)
    return list(db.session.scalars(
        select(Proposal).where(Proposal.merged_into_id == assignment.proposal_id, ~own.exists())
        .order_by(Proposal.id)))
