"""Operations on meetings and items; they flush, never commit."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tracker.accounts import permissions
from tracker.accounts.models import User
from tracker.audit import log as audit
from tracker.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from tracker.core.states import ProposalState
from tracker.core.time import today
from tracker.extensions import db
from tracker.proposals.models import (
    Author,
    Body,
    Disclosure,
    ItemKind,
    Level,
    Meeting,
    Proposal,
)

CN_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """Write 1-99 in Chinese numerals as used in meeting names (十四, 二十, 三)."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return (CN_DIGITS[tens] if tens > 1 else "") + "十" + (CN_DIGITS[ones] if ones else "")


def meeting_name(region: str, body: Body, term: int, session: int) -> str:
    """省 + 十四届人大三次会议; 政协 names put the body first: 省政协十三届三次会议."""
    t, s = chinese_number(term), chinese_number(session)
    if body == Body.npc:
        return f"{region}{t}届人大{s}次会议"
    return f"{region}政协{t}届{s}次会议"


def create_meeting(actor: User, *, level: Level, body: Body, region: str, term: int,
                   session: int, year: int, name: str = "", reply_period_months: int = 3,
                   co_period_months: int = 1) -> Meeting:
    if not permissions.is_supervisor(actor) and not permissions.is_admin(actor):
        raise PermissionDenied("只有交办员或系统管理员可以新建会议。")
    name = (name or "").strip() or meeting_name(region.strip(), body, term, session)
    if db.session.scalar(select(Meeting.id).where(Meeting.name == name)):
        raise ValidationFailed("会议名称重复。", {"name": [f"已有名为「{name}」的会议。"]})
    meeting = Meeting(
        level=level, body=body, region=region.strip(), term=term, session=session, year=year,
        name=name, reply_period_months=reply_period_months,
        co_period_months=co_period_months,
    )
    db.session.add(meeting)
    db.session.flush()
    audit.record("create_meeting", actor=actor, object_type="meeting", object_id=meeting.id,
                 details={"name": name})
    return meeting


def update_meeting(actor: User, meeting: Meeting, **fields) -> Meeting:
    if not permissions.is_supervisor(actor) and not permissions.is_admin(actor):
        raise PermissionDenied("只有交办员或系统管理员可以修改会议。")
    name = (fields.get("name") or "").strip()
    if name and name != meeting.name and db.session.scalar(
        select(Meeting.id).where(Meeting.name == name)
    ):
        raise ValidationFailed("会议名称重复。", {"name": [f"已有名为「{name}」的会议。"]})
    for key in ("reply_period_months", "co_period_months"):
        if fields.get(key) is not None:
            setattr(meeting, key, fields[key])
    if name:
        meeting.name = name
    db.session.flush()
    audit.record("update_meeting", actor=actor, object_type="meeting", object_id=meeting.id,
                 details={"name": meeting.name})
    return meeting


# -- the rules of registration, shared by the form, the API and the bulk import ------------

def kind_problem(meeting: Meeting, kind: ItemKind | None) -> str | None:
    """A meeting takes one kind of item: 人大 suggestions or 政协 proposals."""
    if kind is not None and kind != meeting.item_kind:
        return f"「{meeting.name}」只能登记{meeting.item_kind.label}。"
    return None


def number_taken(meeting: Meeting, number: str) -> str:
    """The message for a number already registered in the meeting."""
    return f"「{meeting.name}」已有第{number}号{meeting.item_kind.label}，编号不能重复。"


# How far from its meeting's year an item's received date may lie (items come in around the
# plenary, and a few are registered late in the next year).
RECEIVED_YEARS_AROUND_MEETING = 1


def received_on_problem(received_on: date, on: date, meeting: Meeting | None) -> str | None:
    """An item is received around its meeting's year and not after today."""
    if received_on > on:
        return "收到日期不能晚于今天。"
    if meeting is not None:
        first = meeting.year - RECEIVED_YEARS_AROUND_MEETING
        last = meeting.year + RECEIVED_YEARS_AROUND_MEETING
        if not first <= received_on.year <= last:
            return (f"收到日期应在{meeting.name}（{meeting.year}年）前后一年内，"
                    f"即 {first} 年至 {last} 年之间。")
    return None


def authors_problem(kind: ItemKind, count: int) -> str | None:
    if count == 0:
        return f"至少填写一位{kind.author_title}（领衔人）。"
    return None


def _problems(**checks: str | None) -> dict[str, list[str]]:
    return {name: [message] for name, message in checks.items() if message}


def register_proposal(actor: User, *, meeting: Meeting, number: str, title: str,
                      received_on: date, authors: list[dict], kind: ItemKind | None = None,
                      body: str = "", category: str = "", is_key: bool = False,
                      disclosure: Disclosure = Disclosure.public) -> Proposal:
    """Register one item with its authors (the first is the lead author)."""
    if not permissions.can_register(actor):
        raise PermissionDenied("只有交办员可以登记建议提案。")
    number = (number or "").strip()
    expected_kind = meeting.item_kind
    real_authors = [a for a in authors if (a.get("name") or "").strip()]
    taken = number and db.session.scalar(
        select(Proposal.id).where(Proposal.meeting_id == meeting.id, Proposal.number == number))
    errors = _problems(
        kind=kind_problem(meeting, kind),
        number=number_taken(meeting, number) if taken else None,
        received_on=received_on_problem(received_on, today(), meeting),
        authors=authors_problem(expected_kind, len(real_authors)),
    )
    if errors:
        raise ValidationFailed("登记信息有误，请按提示修改。", errors)

    proposal = Proposal(
        meeting=meeting, kind=expected_kind, number=number, title=title.strip(),
        body=body or "", category=category or "", is_key=bool(is_key), disclosure=disclosure,
        received_on=received_on, created_by_id=actor.id,
    )
    for position, data in enumerate(real_authors):
        proposal.authors.append(Author(
            position=position,
            name=data["name"].strip(),
            organisation=(data.get("organisation") or "").strip(),
            phone=(data.get("phone") or "").strip(),
            email=(data.get("email") or "").strip(),
            address=(data.get("address") or "").strip(),
        ))
    try:
        # The savepoint must start before the row is added: begin_nested() flushes first.
        with db.session.begin_nested():
            db.session.add(proposal)
            db.session.flush()
    except IntegrityError:
        # Someone registered the same number a moment ago.
        raise ValidationFailed("编号重复。", {"number": [number_taken(meeting, number)]}) from None
    audit.record("register", actor=actor, object_type="proposal", object_id=proposal.id,
                 proposal_id=proposal.id,
                 details={"number": number, "title": proposal.title,
                          "to": ProposalState.registered.value})
    return proposal


EDITABLE = ("number", "title", "body", "category", "is_key", "disclosure", "received_on")


def update_proposal(actor: User, proposal: Proposal, *, authors: list[dict], **fields) -> list[str]:
    """Correct a registration (the supervising clerk); return the names of changed fields."""
    if not permissions.can_register(actor):
        raise PermissionDenied("只有交办员可以修改登记信息。")
    if proposal.closed_at is not None:
        raise InvalidTransition("该事项已办结，登记信息不能再修改。")
    number = (fields.get("number") or "").strip()
    taken = number != proposal.number and db.session.scalar(select(Proposal.id).where(
        Proposal.meeting_id == proposal.meeting_id, Proposal.number == number))
    real_authors = [a for a in authors if (a.get("name") or "").strip()]
    errors = _problems(
        number=number_taken(proposal.meeting, number) if taken else None,
        received_on=received_on_problem(fields["received_on"], today(), proposal.meeting),
        authors=authors_problem(proposal.kind, len(real_authors)),
    )
    if errors:
        raise ValidationFailed("修改内容有误，请按提示修改。", errors)
    fields["number"], fields["title"] = number, fields["title"].strip()
    changed = [name for name in EDITABLE if getattr(proposal, name) != fields[name]]
    for name in changed:
        setattr(proposal, name, fields[name])
    old_authors = [(a.name, a.organisation, a.phone, a.email, a.address) for a in proposal.authors]
    new_authors = [tuple((a.get(k) or "").strip() for k in
                         ("name", "organisation", "phone", "email", "address"))
                   for a in real_authors]
    if old_authors != new_authors:
        changed.append("authors")
        proposal.authors.clear()
        db.session.flush()
        for position, values in enumerate(new_authors):
            proposal.authors.append(Author(position=position, **dict(zip(
                ("name", "organisation", "phone", "email", "address"), values))))
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise ValidationFailed(
            "编号重复。", {"number": [number_taken(proposal.meeting, number)]}) from None
    if changed:
        audit.record("update_proposal", actor=actor, object_type="proposal",
                     object_id=proposal.id, proposal_id=proposal.id,
                     details={"fields": changed})
    return changed
