"""The API's resources (tracker.api.schemas) built from meetings, units and items.

Each function returns a schema object; `as_json` gives the JSON the API sends. Dates are ISO
8601 (YYYY-MM-DD); times are UTC with a trailing Z. Co-handling opinions the
caller may not read are left out, from the timeline too (as on the pages). So are reply
drafts: the lead unit's draft is for the lead unit, the item's co-handling units and the
supervisors; a 分办 unit's draft for that unit and the supervisors alone.
"""
from __future__ import annotations

from flask import current_app

from tracker.accounts.models import Unit, User
from tracker.api import schemas
from tracker.audit.models import AuditEvent
from tracker.core.states import Grade, ReviewLevel
from tracker.desk import queries
from tracker.extensions import db
from tracker.files.models import Attachment
from tracker.handling import permissions
from tracker.handling.models import Assignment, Contact, ContactMethod, CoOpinion, UnitRole
from tracker.handling.templating import action_label
from tracker.handling.workflow import (
    MAIN_ROLES,
    AssignmentState,
    ProposalState,
    allowed_actions,
)
from tracker.instructions import operations as instruction_ops
from tracker.instructions.choices import InstructionKind, InstructionStatus
from tracker.proposals.models import Author, Disclosure, Meeting, Proposal
from tracker.ratings import queries as rating_queries
from tracker.ratings.permissions import can_view_ratings
from tracker.ratings.queries import reply_rounds
from tracker.replies import queries as replies
from tracker.replies.disclosure import PublicationDecision
from tracker.replies.models import DraftVersion, Reply, ReviewDecision
from tracker.replies.operations import waiting_days
from tracker.signing.service import verify_url

# Timeline details that quote a draft or a reviewer's words.

as_json = schemas.as_json



def meeting(m: Meeting) -> schemas.Meeting:
    return schemas.Meeting(
        id=m.id, name=m.name, level=m.level, level_label=m.level.label, body=m.body,
        body_label=m.body.label, region=m.region, term=m.term, session=m.session, year=m.year,
        item_kind=m.item_kind, reply_period_months=m.reply_period_months,
        co_period_months=m.co_period_months, created_at=m.created_at,
    )


def meeting_list(meetings) -> schemas.MeetingList:
    return schemas.MeetingList(items=[meeting(m) for m in meetings])


def unit_ref(u: Unit) -> schemas.UnitRef:
    return schemas.UnitRef.model_validate(u)


def unit(u: Unit, *, with_users: bool = False) -> schemas.Unit:
    users = {"users": [schemas.UnitUser(
        id=user.id, username=user.username, full_name=user.full_name,
        section_id=user.section_id, roles=sorted(user.roles, key=lambda r: r.value),
        is_enabled=user.is_enabled,
    ) for user in u.users]} if with_users else {}
    return schemas.Unit(
        id=u.id, name=u.name, short_name=u.short_name, is_supervising=u.is_supervising,
        is_active=u.is_active,
        sections=[schemas.Section.model_validate(s) for s in u.sections],
        **users,
    )


def reply_template(t) -> schemas.ReplyTemplate:
    return schemas.ReplyTemplate(
        id=t.id, unit_id=t.unit_id, kind=t.kind, kind_label=t.kind.label, name=t.name,
        text=t.text, is_active=t.is_active, created_by=user_ref(t.created_by),
        created_at=t.created_at)


def unit_list(units, *, with_users: bool) -> schemas.UnitList:
    return schemas.UnitList(items=[unit(u, with_users=with_users) for u in units])


def user_ref(user: User | None) -> schemas.UserRef | None:
    return schemas.UserRef.model_validate(user) if user is not None else None


def author(a: Author) -> schemas.Author:
    return schemas.Author.model_validate(a)


can_read_draft = permissions.can_read_draft


def draft(d: DraftVersion) -> schemas.Draft:
    return schemas.Draft(
        **_draft_version_fields(d),
        body=d.body,
        result_class=d.result_class,
        result_class_label=current_app.config["RESULT_CLASS_MAP"].get(
            d.result_class, d.result_class),
        reply_form=d.reply_form,
        reply_form_label=d.reply_form.label,
        disclosure=d.disclosure,
        disclosure_label=Disclosure.label_of(d.disclosure),
        **_publication_fields(d),
        contact_name=d.contact_name,
        contact_phone=d.contact_phone,
        cc=d.cc_list,
        closing=d.closing,
        salutation=d.salutation,
        opening=d.opening,
    )


def _draft_version_fields(d: DraftVersion) -> dict:
    return {"id": d.id, "number": d.number, "round": d.round, "source": d.source,
            "note": d.note, "created_by": user_ref(d.created_by), "created_at": d.created_at}


def draft_version(d: DraftVersion) -> schemas.DraftVersionRef:
    return schemas.DraftVersionRef(**_draft_version_fields(d))


def review(r: ReviewDecision) -> schemas.ReviewDecision:
    return schemas.ReviewDecision(
        id=r.id,
        round=r.round,
        cycle=r.cycle,
        level=r.level,
        level_label=ReviewLevel.label_of(r.level),
        decision=r.decision,
        decision_label=r.decision.label,
        comment=r.comment,
        reviewer_name=r.reviewer_name,
        decided_at=r.decided_at,
        version=r.draft_version.number,
    )


def reply(r: Reply) -> schemas.Reply:
    return schemas.Reply(
        id=r.id,
        round=r.round,
        version=r.draft_version.number,
        doc_number=r.doc_number,
        first_reviewer=r.first_reviewer,
        second_reviewer=r.second_reviewer,
        final_reviewer=r.final_reviewer,
        signer_name=r.signer_name,
        signed_at=r.signed_at,
        issued_at=r.issued_at,
        pdf_sha256=r.pdf_sha256,
        verify_code=r.verify_code,
        verify_url=verify_url(r.verify_code) if r.verify_code else None,
        signed_by_cert=r.signed_by_cert or None,
        **_publication_fields(r),
    )


def _publication_fields(row) -> dict:
    """A draft's or reply's publication decision (办理结果公开)."""
    return {"publication": row.publication,
            "publication_label": PublicationDecision.of(row).label,
            "withhold_reason": row.withhold_reason, "public_summary": row.public_summary}


def _reply_handling(a: Assignment, viewer: User) -> dict:
    """Drafts, decisions and the reply of one assignment, as far as the viewer may read them."""
    data: dict = {
        "waiting_days": waiting_days(a),
        "state_since": a.state_since,
        "cosign_override_reason": a.cosign_override_reason or "",
        "missing_co_opinions": (replies.missing_co_opinions(a)
                                if a.role == UnitRole.lead else []),
        "draft": None,
        "versions": [],
        "reviews": [],
        "reply": None,
    }
    if a.role == UnitRole.co or not can_read_draft(viewer, a):
        return data
    versions = replies.drafts(a)
    current = replies.current_reply(a)
    data.update({
        "draft": draft(versions[-1]) if versions else None,
        "versions": [draft_version(v) for v in versions],
        "reviews": [review(r) for r in replies.decisions(a)],
        "reply": reply(current) if current is not None else None,
    })
    return data


def rating_answer(r) -> schemas.RatingAnswer:
    """One author's answer (online, or entered by a clerk from the paper form)."""
    method_label = ContactMethod.label_of(r.contact_method)
    return schemas.RatingAnswer(
        handling=r.handling,
        handling_label=r.handling.label,
        handling_score=r.handling_score,
        result=r.result,
        result_label=r.result.label,
        result_score=r.result_score,
        verdict=r.verdict,
        verdict_label=r.verdict.label,
        contacted=r.contacted,
        contact_method=r.contact_method or "",
        contact_method_label=method_label,
        comments=r.comments,
        channel=r.channel,
        channel_label=r.channel.label,
        entered_by=user_ref(r.entered_by),
        scan=attachment(r.scan),
        created_at=r.created_at,
    )


def reply_ratings(a: Assignment, viewer: User) -> list[schemas.ReplyRatings]:
    """The ratings of every issued reply of a lead/分办 unit (all rounds), for the supervising
    office and the unit itself; links are counted, never shown."""
    if a.role not in MAIN_ROLES or not can_view_ratings(viewer, a):
        return []
    return [schemas.ReplyRatings(
        reply_id=r["reply"].id,
        round=r["reply"].round,
        round_label=r["label"],
        doc_number=r["reply"].doc_number,
        issued_at=r["reply"].issued_at,
        collecting=r["collecting"],
        rating=r["rating"] or None,
        rating_label=r["rating"].label if r["rating"] else None,
        rated_at=r["reply"].rated_at,
        answered=r["answered"],
        authors=[schemas.AuthorRating(
            author_id=row["author"].id,
            name=row["author"].name,
            is_lead=row["author"].is_lead,
            answer=rating_answer(row["rating"]) if row["rating"] else None,
            links_made=row["link_count"],
        ) for row in r["authors"]],
    ) for r in reply_rounds(a)]


def assignment(a: Assignment, viewer: User) -> schemas.Assignment:
    return schemas.Assignment(
        id=a.id,
        unit=unit_ref(a.unit),
        role=a.role,
        role_label=a.role.label,
        state=a.state,
        state_label=AssignmentState.label_of(a.state),
        assigned_on=a.assigned_on,
        due_on=a.due_on,
        due_basis=a.due_basis,
        return_due_on=a.return_due_on,
        return_reason=a.return_reason or "",
        section=schemas.Section.model_validate(a.section) if a.section else None,
        drafter=user_ref(a.drafter),
        version=a.version,
        round=a.round,
        is_overdue=a.is_overdue(),
        extension=extension(a.extension),
        allowed_actions=allowed_actions(a, viewer),
        **_reply_handling(a, viewer),
        ratings=reply_ratings(a, viewer),
    )


def extension(e) -> schemas.Extension | None:
    """The deadline extension (申请延期) of an assignment, if one was asked for."""
    if e is None:
        return None
    return schemas.Extension(
        status=e.status,
        status_label=e.status_label,
        reason=e.reason,
        original_due_on=e.original_due_on,
        requested_due_on=e.requested_due_on,
        requested_by=user_ref(e.requested_by),
        requested_at=e.requested_at,
        decided_by=user_ref(e.decided_by),
        decided_at=e.decided_at,
        decision_note=e.decision_note or "",
    )


def assignment_brief(a: Assignment) -> schemas.AssignmentBrief:
    return schemas.AssignmentBrief(
        id=a.id,
        unit=unit_ref(a.unit),
        role=a.role,
        state=a.state,
        state_label=AssignmentState.label_of(a.state),
        due_on=a.due_on,
        is_overdue=a.is_overdue(),
    )


def contact(c: Contact, a: Assignment) -> schemas.Contact:
    return schemas.Contact(
        id=c.id,
        assignment_id=a.id,
        unit=unit_ref(a.unit),
        stage=c.stage,
        stage_label=c.stage.label,
        method=c.method,
        method_label=c.method.label,
        contacted_on=c.contacted_on,
        summary=c.summary,
        created_by=user_ref(c.created_by),
        created_at=c.created_at,
    )


def attachment(f: Attachment | None) -> schemas.Attachment | None:
    if f is None:
        return None
    return schemas.Attachment(id=f.id, name=f.original_name, content_type=f.content_type,
                              size=f.size)


def opinion(o: CoOpinion, a: Assignment) -> schemas.Opinion:
    return schemas.Opinion(
        id=o.id,
        assignment_id=a.id,
        unit=unit_ref(a.unit),
        text=o.text,
        attachment=attachment(o.attachment),
        submitted_by=user_ref(o.submitted_by),
        submitted_at=o.submitted_at,
        status=o.status,
        status_label=o.status_label,
        decided_by=user_ref(o.decided_by),
        decided_at=o.decided_at,
        doc_number=o.doc_number,
    )


def event(e: AuditEvent, details: dict) -> schemas.Event:
    return schemas.Event(
        seq=e.seq,
        occurred_at=e.occurred_at,
        actor_name=e.actor_name,
        action=e.action,
        action_label=action_label(e.action),
        object_type=e.object_type,
        object_id=e.object_id,
        details=details,
    )


def _common(p: Proposal) -> dict:
    return {
        "id": p.id,
        "meeting": schemas.MeetingRef.model_validate(p.meeting),
        "kind": p.kind,
        "kind_label": p.kind.label,
        "number": p.number,
        "title": p.title,
        "category": p.category,
        "is_key": p.is_key,
        "received_on": p.received_on,
        "state": p.state,
        "state_label": ProposalState.label_of(p.state),
        "is_overdue": any(a.is_overdue() for a in p.assignments),
    }


def proposal_summary(p: Proposal, hits=()) -> schemas.ProposalSummary:
    return schemas.ProposalSummary(
        **_common(p),
        lead_author=p.lead_author.name if p.lead_author else None,
        author_count=len(p.authors),
        assignments=[assignment_brief(a) for a in p.assignments],
        matches=[schemas.SearchHit(source=h.source, source_label=h.source_label, label=h.label,
                                   snippet=str(h.snippet)) for h in hits],
    )


def proposal_page(proposals, *, page: int, per_page: int, total: int,
                  pages: int, hits=None) -> schemas.ProposalPage:
    return schemas.ProposalPage(
        items=[proposal_summary(p, hits(p.id) if hits else ()) for p in proposals], page=page,
        per_page=per_page, total=total, pages=pages)


def instruction(i) -> schemas.Instruction:
    a = i.assignment
    return schemas.Instruction(
        id=i.id, kind=i.kind, kind_label=InstructionKind(i.kind).label, status=i.status,
        status_label=InstructionStatus(i.status).label, assignment_id=i.assignment_id,
        unit=unit_ref(a.unit) if a is not None else None, leader_id=i.leader_id,
        leader_name=i.leader_name, text=i.text, given_on=i.given_on, source=i.source or None,
        source_label=i.source_label, scan=attachment(i.scan),
        requested_by=user_ref(i.requested_by) if i.requested_by else None,
        request_note=i.request_note, requested_at=i.requested_at,
        entered_by=user_ref(i.entered_by) if i.entered_by else None, given_at=i.given_at)


def proposal_detail(p: Proposal, viewer: User,
                    notices: list[str] | None = None) -> schemas.Proposal:
    """The item as the viewer may see it: handling, contacts, opinions and the timeline;
    notices: what an action changed on the way (e.g. the punctuation of a saved draft)."""
    contacts = [(c, a) for a in p.assignments for c in a.contacts]
    contacts.sort(key=lambda pair: (pair[0].contacted_on, pair[0].id))
    readable = {a.id for a in p.assignments if a.role == UnitRole.co
                and permissions.can_view_opinion(viewer, a)}
    return schemas.Proposal(
        **_common(p),
        body=p.body,
        disclosure=p.disclosure,
        disclosure_label=p.disclosure.label,
        created_at=p.created_at,
        authors=[author(a) for a in p.authors],
        assignments=[assignment(a, viewer) for a in p.assignments],
        allowed_actions=allowed_actions(p, viewer),
        closing=closing(p),
        rating_rule=rating_rule(),
        merged_into=joined_item(p.merged_into) if p.merged_into else None,
        members=[joined_item(m) for m in p.members],
        contacts=[contact(c, a) for c, a in contacts],
        opinions=[opinion(o, a) for a in p.assignments if a.id in readable
                  for o in permissions.visible_opinions(viewer, a)],
        instructions=[instruction(i) for i in instruction_ops.visible_instructions(p, viewer)],
        # The same filtering as the page (opinions and drafts the viewer may not read).
        timeline=[event(e, details) for e, details in queries.visible_timeline(p, viewer)],
        **({"notices": notices} if notices else {}),
    )


def joined_item(p: Proposal) -> schemas.JoinedItem:
    return schemas.JoinedItem(id=p.id, meeting=schemas.MeetingRef(id=p.meeting.id,
                              name=p.meeting.name), number=p.number, title=p.title,
                              state=p.state)


def closing(p: Proposal) -> schemas.Closing | None:
    """办结 and the supervising office's grade of the handling; None while open."""
    if p.closed_at is None:
        return None
    label = Grade.label_of(p.handling_grade)
    return schemas.Closing(
        closed_at=p.closed_at,
        closed_by=user_ref(db.session.get(User, p.closed_by_id) if p.closed_by_id else None),
        grade=p.handling_grade,
        grade_label=label,
        comment=p.grade_comment,
    )


def rating_rule() -> schemas.RatingRule:
    rule = rating_queries.rating_rule()
    return schemas.RatingRule(value=rule, label=rule.label)


def conflict(message: str, latest: DraftVersion) -> schemas.ConflictError:
    """409 for a draft saved on top of an older version: the version that won."""
    return schemas.ConflictError(error=message, status=409, latest_version=latest.number,
                                 latest_draft=draft(latest))


def notification(n) -> schemas.Notification:
    base = current_app.config["PUBLIC_BASE_URL"]
    return schemas.Notification(
        id=n.id, kind=n.kind, kind_label=n.kind_label, text=n.text, proposal_id=n.proposal_id,
        assignment_id=n.assignment_id, created_at=n.created_at, read_at=n.read_at,
        url=f"{base}/proposals/{n.proposal_id}" if n.proposal_id else None)


def notification_page(rows, *, unread: int, page: int, per_page: int, total: int,
                      pages: int) -> schemas.NotificationPage:
    return schemas.NotificationPage(items=[notification(n) for n in rows], unread=unread,
                                    page=page, per_page=per_page, total=total, pages=pages)
