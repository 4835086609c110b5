"""Joining items under a lead item and splitting them off again; they flush, never commit.

A member has no assignment of its own while joined: it follows its lead's handling (its
state is the lead's, see tracker.handling.workflow.sync_proposal_state), and at the lead's
发文 it gets its own assignment, letter, number and rating (tracker.replies.operations.
issue_reply). Joining asks for an item that is not assigned on its own, so splitting gives
back exactly what was there before: an item registered and not assigned.
"""
from __future__ import annotations

from sqlalchemy import exists, select, update

from tracker.accounts.models import User
from tracker.accounts.permissions import can_register
from tracker.audit import log as audit
from tracker.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from tracker.extensions import db
from tracker.handling.models import Assignment
from tracker.handling.workflow import lock_item, sync_proposal_state
from tracker.merging.permissions import active_units, is_issued
from tracker.proposals.models import Proposal
from tracker.replies.models import DraftVersion

REFUSED = "并案未完成：请按提示修改。"


def _name(item: Proposal) -> str:
    return f"{item.meeting.name}{item.display_number}"


def member_problem(lead: Proposal, member: Proposal) -> str | None:
    """Why this item cannot join the lead's group, in the clerk's words (None: it can)."""
    if member.id == lead.id:
        return "不能把事项并入它自己。"
    if member.merged_into_id == lead.id:
        return f"{_name(member)}已在本组并案中。"
    if member.merged_into_id is not None:
        return f"{_name(member)}已并入{_name(member.merged_into)}，请先拆分。"
    if member.members:
        return (f"{_name(member)}本身是并案主办事项（并入 {len(member.members)} 件），"
                "不能再并入其他事项。")
    if is_issued(member):
        return f"{_name(member)}已发文答复，不能再并案。"
    units = active_units(member)
    if units:
        return (f"{_name(member)}已单独交办给{'、'.join(units)}，不能并入；"
                "并案应在交办前进行，已交办的须先退回。")
    if member.meeting.year != lead.meeting.year:
        return (f"{_name(member)}属于{member.meeting.year}年的会议，"
                f"只能与同一年度（{lead.meeting.year}年）的人大、政协会议事项并案。")
    return None


def lead_problem(lead: Proposal) -> str | None:
    if lead.merged_into_id is not None:
        return f"本事项已并入{_name(lead.merged_into)}，不能作为并案主办事项。"
    if is_issued(lead):
        return "本事项已发文答复，不能再并入其他事项。"
    if _drafted(lead):
        # The draft was written to this item's authors (a template fills in their names,
        # the title and the number): the members would get letters naming them.
        return ("本事项已开始撰写答复稿，答复稿是按本事项的提出人、标题和编号写的，"
                "不能再并入其他事项；请在撰写答复前并案。")
    return None


def _drafted(lead: Proposal) -> bool:
    return bool(db.session.scalar(select(exists().where(
        DraftVersion.assignment_id == Assignment.id, Assignment.proposal_id == lead.id))))


def join_items(lead: Proposal, members: list[Proposal], actor: User) -> list[Proposal]:
    """Join the items under the lead: one assignment and handling, a letter for each."""
    if not can_register(actor):
        raise PermissionDenied("只有交办员可以并案。")
    if not members:
        raise ValidationFailed(REFUSED, {"numbers": ["请填写要并入的事项编号。"]})
    # Each item's row lock, in id order, as every move on an item takes it.
    for item_id in sorted({lead.id, *(m.id for m in members)}):
        lock_item(item_id)
    for item in (lead, *members):
        db.session.refresh(item)
    problem = lead_problem(lead)
    if problem:
        raise InvalidTransition(problem)
    unique = list({m.id: m for m in members}.values())
    problems = [p for p in (member_problem(lead, m) for m in unique) if p]
    if problems:
        raise ValidationFailed(REFUSED, {"numbers": problems})
    for member in unique:
        _move(member, lead, joined=True, actor=actor)
    audit.record("join_items", actor=actor, object_type="proposal", object_id=lead.id,
                 proposal_id=lead.id,
                 details={"members": [m.id for m in unique],
                          "numbers": [_name(m) for m in unique]})
    db.session.expire(lead, ["members"])
    return unique


def _move(member: Proposal, lead: Proposal, *, joined: bool, actor: User) -> None:
    """Join the member to the lead or take it out, its state following, audited on it."""
    before = member.state
    db.session.execute(update(Proposal).where(Proposal.id == member.id)
                       .values(merged_into_id=lead.id if joined else None)
                       .execution_options(synchronize_session=False))
    db.session.expire(member)
    sync_proposal_state(member)
    audit.record("join_items" if joined else "split_item", actor=actor, object_type="proposal",
                 object_id=member.id, proposal_id=member.id,
                 details={"lead_id": lead.id, "lead": _name(lead), "from": before,
                          "to": member.state})


def split_item(member: Proposal, actor: User) -> Proposal:
    """Take a member out of its group again, as it was before joining (registered)."""
    if not can_register(actor):
        raise PermissionDenied("只有交办员可以拆分并案。")
    lead = member.merged_into
    if lead is None:
        raise InvalidTransition("该事项没有并案，无需拆分。")
    for item_id in sorted({lead.id, member.id}):
        lock_item(item_id)
    db.session.refresh(member)
    if member.merged_into_id != lead.id:
        raise InvalidTransition("该事项的并案已被他人更改，请刷新后查看。")
    if is_issued(lead) or active_units(member):
        raise InvalidTransition("该并案已发文答复，不能再拆分。")
    _move(member, lead, joined=False, actor=actor)
    audit.record("split_item", actor=actor, object_type="proposal", object_id=lead.id,
                 proposal_id=lead.id, details={"member_id": member.id, "member": _name(member)})
    db.session.expire(lead, ["members"])
    return member
