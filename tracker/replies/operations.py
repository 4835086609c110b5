"""Drafting, co-signing, review, sign-off and issue; they flush, never commit."""
from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from tracker.accounts.models import Unit, User
from tracker.accounts.operations import co_opinion_prefix
from tracker.core.errors import Conflict, InvalidTransition, ValidationFailed
from tracker.core.states import ReviewLevel
from tracker.core.time import today, utcnow
from tracker.extensions import db
from tracker.handling.models import Assignment, CoOpinion
from tracker.handling.workflow import (
    LEVEL_OF_STATE,
    Action,
    AssignmentState,
    check,
    open_member_assignment,
    transition,
)
from tracker.letters import fields
from tracker.proposals.models import Disclosure, ItemKind
from tracker.replies import disclosure as disclosure_rules
from tracker.replies import punctuation, queries
from tracker.replies.choices import Decision, PublicationMode
from tracker.replies.models import (
    DocSeries,
    DraftVersion,
    Reply,
    ReplyForm,
    ReviewDecision,
    SeriesKind,
)
from tracker.workdays.calendar import WorkCalendar


class DraftConflict(Conflict):
    """Someone saved the draft since this editor opened it; carries both versions."""

    def __init__(self, message: str, base: DraftVersion | None, latest: DraftVersion):
        super().__init__(message)
        self.base, self.latest = base, latest


def save_draft(assignment: Assignment, actor: User, *, body: str, result_class: str,
               reply_form: ReplyForm, disclosure: Disclosure, base_number: int | None,
               contact_name: str = "", contact_phone: str = "", cc: str = "",
               closing: str = "", salutation: str = "", opening: str = "", note: str = "",
               source: str = "form", publication: str | None = None,
               withhold_reason: str = "", public_summary: str = "") -> DraftVersion:
    """Save a new version of the reply; refuse when another save happened since base.

    The publication decision (publication, withhold_reason, public_summary) is the drafter's
    proposal; without one (an import, the API), the one the 公开属性 implies.
    """
    body = "\n".join(line.rstrip() for line in (body or "").strip().splitlines())
    errors: dict[str, list[str]] = {}
    if not body.strip():
        errors["body"] = ["答复正文不能为空。"]
    classes = current_app.config["RESULT_CLASS_MAP"]
    if result_class not in classes:
        errors["result_class"] = [f"请选择办理结果类别（{'、'.join(classes)}）。"]
    cc_error = fields.cc_problem(cc)
    if cc_error:
        errors["cc"] = [cc_error]
    if publication is None:
        published = disclosure_rules.default_for(disclosure)
    else:
        published, problems = disclosure_rules.checked(disclosure, publication,
                                                       withhold_reason, public_summary)
        errors.update(problems)
    if errors:
        raise ValidationFailed("答复稿有误，请按提示修改。", errors)
    check(assignment, Action.save_draft, actor)
    # Punctuation in Chinese context to full width (GB/T 15834), every change reported.
    texts, changes = {}, []
    for name, value in (("body", body), ("opening", opening.strip()),
                        ("closing", closing.strip()), ("salutation", salutation.strip())):
        texts[name], found = punctuation.normalize(value)
        changes += [(PART_LABELS[name], change) for change in found]
    values = dict(
        round=assignment.round, result_class=result_class, reply_form=reply_form,
        disclosure=disclosure.value, publication=published.mode.value,
        withhold_reason=published.reason, public_summary=published.summary,
        contact_name=contact_name.strip(),
        contact_phone=contact_phone.strip(),
        cc="\n".join(x.strip() for x in cc.splitlines() if x.strip()), **texts)
    # Whatever is saved must render: the letter's input is checked now, not after review.
    from tracker.replies.letter import check_letter

    check_letter(assignment, DraftVersion(**values))
    created: list[DraftVersion] = []

    def add() -> None:
        # Runs under the item's lock: the latest version cannot change meanwhile.
        latest = queries.latest_draft(assignment)
        current = latest.number if latest else 0
        if (base_number or 0) != current:
            if latest is None:
                raise Conflict("该答复还没有保存过稿件，页面已过期，请刷新编辑页面后重试。")
            base = queries.draft_by_number(assignment, base_number) if base_number else None
            raise DraftConflict(
                f"答复稿已被{latest.created_by.full_name}于其他窗口修改（第 {current} 稿），"
                "您的修改未保存。请对照对方的修改后重新编辑。", base, latest)
        version = DraftVersion(
            assignment_id=assignment.id, number=current + 1, source=source, note=note.strip(),
            created_by_id=actor.id, **values)
        db.session.add(version)
        db.session.flush()
        created.append(version)
        details["version"] = version.number

    details: dict = {"source": source}
    if note:
        details["note"] = note.strip()[:200]
    if changes:
        details["punctuation_changes"] = len(changes)
    transition(assignment, Action.save_draft, actor, effect=add, details=details)
    version = created[0]
    version.notices = punctuation_notices(changes)
    return version


PART_LABELS = {"body": "正文", "opening": "开头语", "closing": "结束语", "salutation": "称谓"}


def punctuation_notices(changes: list) -> list[str]:
    """What the drafter is told about the punctuation changed at save (never silently)."""
    if not changes:
        return []
    lines = [f"已按标点符号用法（GB/T 15834）将 {len(changes)} 处半角标点改为全角："]
    shown = changes[:10]
    for part, change in shown:
        lines.append(f"{part}{punctuation.describe([change])[0]}")
    if len(changes) > len(shown):
        lines.append(f"另有 {len(changes) - len(shown)} 处，均为中文语境中的半角标点改为全角。")
    return lines


def override_cosign(assignment: Assignment, actor: User, *, reason: str) -> Assignment:
    """The supervising clerk lets the lead unit go to review before every opinion is in."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写会签例外的理由。", {"reason": ["请说明理由。"]})
    return transition(assignment, Action.override_cosign, actor,
                      changes={"cosign_override_reason": reason},
                      details={"reason": reason,
                               "missing": queries.missing_co_opinions(assignment)})


def submit_review(assignment: Assignment, actor: User, *, version: int | None = None,
                  note: str = "") -> Assignment:
    """送审: the latest version goes to the first level of the unit's review chain."""
    latest = queries.latest_draft(assignment)
    if latest is not None:
        # The item may have changed since the draft was saved: refuse now, not at 发文.
        from tracker.replies.letter import check_letter

        check_letter(assignment, latest)
    details = {"version": latest.number if latest else None}
    if note:
        details["note"] = note.strip()
    return transition(assignment, Action.submit_review, actor, expected_version=version,
                       changes={"review_cycle": Assignment.review_cycle + 1}, details=details)


def _decide(assignment: Assignment, actor: User, action: Action, decision: Decision,
            seen_version_id: int | None, comment: str, changes: dict | None = None,
            extra=None, version: int | None = None,
            publication: tuple | None = None, redact_words: str = "") -> Assignment:
    """Record a reviewer's or the signer's decision on the latest draft. publication, when
    given, is the publication decision as the form has it (mode, reason, summary): kept on
    the decision when it differs from the one standing, and always when signing off (the
    signer confirms it)."""
    if version is not None and version != assignment.version:
        raise Conflict("该稿件已被他人审核或处理，页面已过期，请刷新后查看。")
    # (who may decide is checked by transition() below, after the item's lock: the views
    # and the API check it before they call this)
    latest = queries.latest_draft(assignment)
    if latest is None or seen_version_id != latest.id:
        raise Conflict("送审稿在您打开之后已被修改，请重新查看最新的答复稿后再审核。")
    stands = disclosure_rules.current(latest, queries.current_cycle_decisions(assignment))
    chosen = stands
    problems: dict[str, list[str]] = {}
    if publication is not None:
        chosen, problems = disclosure_rules.checked(latest.disclosure, *publication)
    words, word_problems = disclosure_rules.marked_words(redact_words)
    problems.update(word_problems)
    if problems:
        raise ValidationFailed("办理结果公开有误，请按提示修改。", problems)
    kept = chosen if chosen != stands or action == Action.sign else None
    level = LEVEL_OF_STATE.get(AssignmentState(assignment.state), ReviewLevel.sign)
    details: dict = {"level": level, "version": latest.number}
    if comment:
        details["comment"] = comment
    if chosen != stands:
        details["publication"] = chosen.label
    if words:
        details["redact_words"] = len(words.splitlines())

    def record() -> None:
        db.session.add(ReviewDecision(
            assignment_id=assignment.id, round=assignment.round, cycle=assignment.review_cycle,
            level=level, decision=decision, comment=comment, draft_version_id=latest.id,
            reviewer_id=actor.id, reviewer_name=actor.full_name,
            publication=kept.mode.value if kept else None,
            withhold_reason=kept.reason if kept else "",
            public_summary=kept.summary if kept else "", redact_words=words))
        if extra is not None:
            extra(latest, chosen)

    return transition(assignment, action, actor, effect=record, changes=changes,
                      details=details, expected_version=version)


def approve_draft(assignment: Assignment, actor: User, *, seen_version_id: int | None,
                  comment: str = "", version: int | None = None,
                  publication: tuple | None = None, redact_words: str = "") -> Assignment:
    """A reviewer approves the draft at their level; it moves to the next level. The
    reviewer may change the publication decision (publication: mode, reason, summary) and
    mark words to remove from the public text (one a line)."""
    return _decide(assignment, actor, Action.approve, Decision.approve, seen_version_id,
                   (comment or "").strip(), version=version, publication=publication,
                   redact_words=redact_words)


def return_draft(assignment: Assignment, actor: User, *, seen_version_id: int | None,
                 comment: str, version: int | None = None) -> Assignment:
    """A reviewer (or the signer) returns the draft to the drafter with a comment."""
    check(assignment, Action.return_draft, actor)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationFailed("请填写退回修改的意见。", {"comment": ["退回时必须写明修改意见。"]})
    unissued = None
    if assignment.state == AssignmentState.signed.value:
        # Sent back after sign-off: the signed, never issued reply of this round goes; the
        # corrected draft is reviewed and signed off again.
        unissued = queries.current_reply(assignment)

    def drop_unissued(_latest, _publication) -> None:
        if unissued is not None and unissued.issued_at is None:
            db.session.delete(unissued)
            db.session.flush()

    return _decide(assignment, actor, Action.return_draft, Decision.returned, seen_version_id, comment,
                   version=version, extra=drop_unissued)


def sign_reply(assignment: Assignment, actor: User, *, seen_version_id: int | None,
               comment: str = "", version: int | None = None,
               publication: tuple | None = None, redact_words: str = "") -> Assignment:
    """签发: the signer signs the approved draft off and confirms the publication decision
    (as it stands, or as changed here); the reviewers' names go on the reply."""
    approvals = {d.level: d.reviewer_name
                 for d in queries.current_cycle_decisions(assignment) if d.decision == Decision.approve}

    def create_reply(latest: DraftVersion, confirmed) -> None:
        db.session.add(Reply(
            assignment_id=assignment.id, round=assignment.round, draft_version_id=latest.id,
            first_reviewer=approvals.get("first", ""),
            second_reviewer=approvals.get("second", ""),
            final_reviewer=approvals.get("final", ""),
            signer_id=actor.id, signer_name=actor.full_name, signed_at=utcnow(),
            publication=confirmed.mode.value, withhold_reason=confirmed.reason,
            public_summary=confirmed.summary))

    return _decide(assignment, actor, Action.sign, Decision.approve, seen_version_id,
                   (comment or "").strip(), extra=create_reply, version=version,
                   publication=publication, redact_words=redact_words)


def format_doc_number(prefix: str, year: int, number: int) -> str:
    """吉卫复议字〔2026〕12号: the full year in 〔〕 (U+3014/U+3015), no leading zeros."""
    return f"{prefix}〔{year}〕{number}号"


def allocate_number(unit: Unit, kind: SeriesKind, year: int) -> tuple[DocSeries, int]:
    """Take the next number of the unit's series for the year, in the caller's transaction.

    The counter row is updated in place, so concurrent issuers queue on its lock and a
    rolled-back issue gives its number back: no gaps, no duplicates.
    """
    table = DocSeries.__table__
    where = (table.c.unit_id == unit.id) & (table.c.kind == kind.value) & (table.c.year == year)
    for _ in range(2):
        row = db.session.execute(
            update(table).where(where).values(last_number=table.c.last_number + 1)
            .returning(table.c.id, table.c.last_number)).first()
        if row is not None:
            return db.session.get(DocSeries, row.id), row.last_number
        try:
            with db.session.begin_nested():
                db.session.execute(insert(table).values(
                    unit_id=unit.id, kind=kind.value, year=year, last_number=0))
        except IntegrityError:
            pass  # another transaction created the series first; take a number from it
    raise RuntimeError("could not allocate a document number")


class NumberTaken(Exception):
    """The series moved on since the letter was rendered with its next number."""


def unit_prefix(unit: Unit, kind: SeriesKind) -> str:
    """The unit's prefix for the series ("" when it has none; 会办 has a default)."""
    return {SeriesKind.suggestion: unit.prefix_suggestion,
            SeriesKind.proposal: unit.prefix_proposal,
            SeriesKind.co_opinion: co_opinion_prefix(unit)}[kind]


def series_kind(assignment: Assignment) -> SeriesKind:
    return item_series_kind(assignment.proposal)


def item_series_kind(item) -> SeriesKind:
    """The series an item's reply is numbered in: 议 for a suggestion, 提 for a proposal."""
    return SeriesKind.suggestion if item.kind == ItemKind.suggestion else SeriesKind.proposal


def prefix_for(assignment: Assignment, kind: SeriesKind) -> str:
    """The unit's prefix for the series, or a refusal naming what is missing."""
    prefix = unit_prefix(assignment.unit, kind)
    if not prefix:
        raise InvalidTransition(
            f"本单位尚未设置{kind.label}的发文字号前缀，请联系系统管理员在单位设置中填写。")
    return prefix


def issue_reply(assignment: Assignment, actor: User, *, version: int | None = None,
                expected_number: int | None = None, letter: dict | None = None,
                member_letters: dict[int, tuple[int, dict]] | None = None) -> Reply:
    """发文: the signed reply gets the next number of the unit's series and is issued.

    With expected_number (the number the stored letter was rendered with), a different
    allocation raises NumberTaken and the caller renders again.

    A 并案 lead's 发文 issues a letter for every member too, in the same transaction: each
    member gets its own assignment (the lead unit's handling), its own reply with the same
    body, numbered next in its own series, and so its own rating links and statistics.
    member_letters gives, per member id, the number its letter was rendered with and the
    letter; without letters (tests, tools) the members are numbered all the same.
    """
    check(assignment, Action.issue, actor)
    reply = queries.current_reply(assignment)
    members = queries.members_to_issue(assignment)
    if letter is not None and any(m.id not in (member_letters or {}) for m in members):
        raise NumberTaken(None)  # a member joined after the letters were rendered
    prefixes = [prefix_for(assignment, item_series_kind(item))
                for item in (assignment.proposal, *members)]
    own = [open_member_assignment(assignment, member) for member in members]
    for member_assignment in own:
        db.session.add(Reply(
            assignment_id=member_assignment.id, round=reply.round,
            draft_version_id=reply.draft_version_id, first_reviewer=reply.first_reviewer,
            second_reviewer=reply.second_reviewer, final_reviewer=reply.final_reviewer,
            signer_id=reply.signer_id, signer_name=reply.signer_name,
            signed_at=reply.signed_at,
            # The signer's publication decision holds for every member's letter too.
            publication=reply.publication, withhold_reason=reply.withhold_reason,
            public_summary=reply.public_summary))
    db.session.flush()
    _issue_one(assignment, reply, actor, prefixes[0], version=version,
               expected_number=expected_number, letter=letter,
               extra={"members": [m.id for m in members]} if members else None)
    for member, member_assignment, prefix in zip(members, own, prefixes[1:]):
        expected, member_letter = (member_letters or {}).get(member.id, (None, None))
        _issue_one(member_assignment, queries.current_reply(member_assignment), actor, prefix,
                   expected_number=expected, letter=member_letter,
                   extra={"joined_to": assignment.proposal_id, "lead_assignment": assignment.id})
    return reply


def _issue_one(assignment: Assignment, reply: Reply, actor: User, prefix: str, *,
               version: int | None = None, expected_number: int | None = None,
               letter: dict | None = None, extra: dict | None = None) -> None:
    kind = series_kind(assignment)
    details: dict = dict(extra or {})

    def number() -> None:
        year = today().year
        series, n = allocate_number(assignment.unit, kind, year)
        if expected_number is not None and n != expected_number:
            raise NumberTaken(n)
        reply.series_id, reply.series_number = series.id, n
        reply.doc_number = format_doc_number(prefix, year, n)
        reply.issued_at, reply.issued_by_id = utcnow(), actor.id
        for key, value in (letter or {}).items():
            setattr(reply, key, value)
        reply.publish_due_on = publication_due_on(reply, today())
        db.session.flush()
        details["doc_number"] = reply.doc_number
        if letter:
            details["pdf_sha256"] = letter["pdf_sha256"]
        # The authors' rating e-mails are queued by ratings, subscribed to the issue.

    transition(assignment, Action.issue, actor, expected_version=version, effect=number,
               details=details)


def publication_due_on(reply: Reply, issued_on: date) -> date | None:
    """The day its public version is due: PUBLICATION_WORKDAYS working days after the issue
    (办理结果公开, 国办发〔2014〕46号 as the provinces apply it); None when it is withheld."""
    if reply.publication == PublicationMode.withheld:
        return None
    return WorkCalendar.load().add_working_days(
        issued_on, int(current_app.config["PUBLICATION_WORKDAYS"]))


def number_approved_opinion(event) -> None:
    """An approved 会办意见 takes the next number of its unit's series (subscribed to the
    approval), dated with the approval."""
    opinion = db.session.get(CoOpinion, event.details["opinion_id"])
    opinion.doc_number = number_opinion(event.obj.unit)
    db.session.flush()
    event.details["doc_number"] = opinion.doc_number


def number_opinion(unit: Unit) -> str:
    """The next 会办意见 number of the unit, in its series (the default prefix when none is
    typed: tracker.accounts.operations.co_opinion_prefix)."""
    prefix = co_opinion_prefix(unit)
    year = today().year
    _, n = allocate_number(unit, SeriesKind.co_opinion, year)
    return format_doc_number(prefix, year, n)


def waiting_days(assignment: Assignment) -> int:
    """Whole days the assignment has been in its current state."""
    return max(0, (utcnow() - assignment.state_since).days)
