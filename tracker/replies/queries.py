"""Read-side helpers for drafts, reviews and replies."""
from __future__ import annotations

import difflib

from markupsafe import Markup, escape
from sqlalchemy import select

from tracker.extensions import db
from tracker.handling.models import Assignment, UnitRole
from tracker.replies.models import DraftVersion, Reply, ReviewDecision


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


def missing_co_opinions(assignment: Assignment) -> list[str]:
    """Names of co-handling units of the item whose opinion has not arrived."""
    co = db.session.scalars(select(Assignment).where(
        Assignment.proposal_id == assignment.proposal_id,
        Assignment.role == UnitRole.co,
        Assignment.state != "returned",
    ))
    return [a.unit.name for a in co if a.state != "opinion_submitted"]


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
            if d.reviewer_id == user_id and d.decision == "approve"}


def last_seen_by(assignment: Assignment, user_id: int) -> DraftVersion | None:
    """The version this person last decided on (what they 'last saw' of the draft)."""
    mine = [d for d in decisions(assignment) if d.reviewer_id == user_id]
    return mine[-1].draft_version if mine else None


def current_reply(assignment: Assignment) -> Reply | None:
    return db.session.scalar(select(Reply).where(
        Reply.assignment_id == assignment.id, Reply.round == assignment.round))


def replies_of(assignment: Assignment) -> list[Reply]:
    return list(db.session.scalars(select(Reply).where(
        Reply.assignment_id == assignment.id).order_by(Reply.round)))


def side_by_side(old: str, new: str, old_title: str, new_title: str) -> Markup:
    """An HTML table comparing two texts line by line, changes marked (content escaped)."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    rows = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        left, right = old_lines[i1:i2], new_lines[j1:j2]
        for k in range(max(len(left), len(right))):
            a = left[k] if k < len(left) else None
            b = right[k] if k < len(right) else None
            if tag == "equal":
                rows.append(_row("same", escape(a), escape(b)))
            elif (tag == "replace" and a is not None and b is not None
                  and difflib.SequenceMatcher(a=a, b=b, autojunk=False).ratio() >= 0.5):
                # Similar lines: mark the changed characters within them.
                a_html, b_html = _inline(a, b)
                rows.append(_row("changed", a_html, b_html))
            else:
                rows.append(_row("changed", escape(a) if a is not None else "",
                                 escape(b) if b is not None else "",
                                 "removed" if a is not None else "", "added" if b is not None else ""))
    head = Markup("<thead><tr><th>{}</th><th>{}</th></tr></thead>").format(old_title, new_title)
    return Markup('<table class="table table-sm diff">') + head + Markup("<tbody>") + \
        Markup("").join(rows) + Markup("</tbody></table>")


def _row(kind: str, left, right, left_cls: str = "", right_cls: str = "") -> Markup:
    return Markup('<tr class="{}"><td class="{}">{}</td><td class="{}">{}</td></tr>').format(
        kind, left_cls, left, right_cls, right)


def _inline(a: str, b: str) -> tuple[Markup, Markup]:
    """Mark the changed characters within a changed line."""
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    left, right = [], []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            left.append(escape(a[i1:i2]))
            right.append(escape(b[j1:j2]))
        else:
            if i2 > i1:
                left.append(Markup("<del>{}</del>").format(a[i1:i2]))
            if j2 > j1:
                right.append(Markup("<ins>{}</ins>").format(b[j1:j2]))
    return Markup("").join(left), Markup("").join(right)


def review_context(assignment: Assignment, user) -> dict:
    """What the draft, review, sign and issue pages show."""
    versions = drafts(assignment)
    latest = versions[-1] if versions else None
    seen = last_seen_by(assignment, user.id) if user is not None else None
    diff = None
    if latest is not None and seen is not None and seen.id != latest.id:
        diff = side_by_side(seen.body, latest.body, f"您上次审核的第 {seen.number} 稿",
                            f"现在的第 {latest.number} 稿")
    opinions = [
        (a, o) for a in assignment.proposal.assignments if a.role == UnitRole.co
        for o in a.opinions
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
