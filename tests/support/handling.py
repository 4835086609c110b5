"""Helpers that bring an assignment into any state of the workflow through real operations."""
from __future__ import annotations

import io
from types import SimpleNamespace

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from tests import factories
from tracker.accounts.models import Unit, User
from tracker.extensions import db
from tracker.handling import operations
from tracker.handling.models import Assignment, ContactMethod, ContactStage
from tracker.replies import operations as replies

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf_upload(name="会办意见.pdf") -> FileStorage:
    return FileStorage(stream=io.BytesIO(PDF), filename=name, content_type="application/pdf")


def _model_for(key: str):
    from tracker.accounts.models import Section
    from tracker.proposals.models import Meeting

    if key in {"office", "health", "hr", "edu"}:
        return Unit
    if key.endswith("_section"):
        return Section
    if key in {"meeting", "cppcc"}:
        return Meeting
    return User


def world_rows(world: SimpleNamespace) -> SimpleNamespace:
    """The world's rows loaded in the current session: one query a table, not one a row."""
    by_model: dict[type, set[int]] = {}
    for key, row_id in vars(world).items():
        by_model.setdefault(_model_for(key), set()).add(row_id)
    loaded = {(model, row.id): row for model, ids in by_model.items()
              for row in db.session.scalars(select(model).where(model.id.in_(ids)))}
    return SimpleNamespace(**{k: loaded[_model_for(k), v] for k, v in vars(world).items()})


def bring_to(w, state: str, role: str = "lead") -> Assignment:
    """A fresh item whose assignment (to health, or hr as co) is in the given state."""
    proposal = factories.make_proposal(w.clerk, w.meeting)
    if role == "co":
        lead, target = factories.assign(proposal, w.clerk, lead=w.health, co=[w.hr])
        clerk, drafter, section = w.hr_clerk, w.hr_drafter, w.hr_section
    else:
        (target,) = factories.assign(proposal, w.clerk, lead=w.health)
        clerk, drafter, section = w.health_clerk, w.health_drafter, w.health_section
    if state == "assigned":
        return target
    if state in {"return_requested", "returned"}:
        operations.request_return(target, clerk, reason="不属于本单位职责")
        if state == "returned":
            operations.approve_return(target, w.clerk)
        return target
    operations.accept_assignment(target, clerk)
    if state == "accepted":
        return target
    if state == "drafting":
        operations.dispatch_assignment(target, clerk, section_id=section.id,
                                       drafter_id=drafter.id)
        return target
    if state in {"opinion_pending", "opinion_submitted"}:
        operations.submit_opinion(target, clerk, text="同意主办单位意见。")
        if state == "opinion_submitted":
            operations.approve_opinion(target, w.hr_leader)
        return target
    operations.dispatch_assignment(target, clerk, section_id=section.id, drafter_id=drafter.id)
    write_draft(target, drafter)
    replies.submit_review(target, drafter)
    steps = ["first_review", "second_review", "final_review", "awaiting_signature", "signed",
             "replied", "rated"]
    if state not in steps:
        raise AssertionError(f"no recipe for {state}")
    reviewers = [w.health_first, w.health_second, w.health_final]
    for step, reviewer in zip(steps, reviewers):
        if state == step:
            return target
        replies.approve_draft(target, reviewer, seen_version_id=latest_id(target))
    if state == "awaiting_signature":
        return target
    replies.sign_reply(target, w.health_signer, seen_version_id=latest_id(target))
    if state == "signed":
        return target
    replies.issue_reply(target, clerk)
    if state == "replied":
        return target
    rate_all(w, target, "satisfied")
    return target


def replied_without_co_opinion(w):
    """An item whose lead (health) replied after the clerk let it go without the opinion of
    its co-handling unit (hr), whose assignment stays "accepted": (item, lead, co)."""
    proposal = factories.make_proposal(w.clerk, w.meeting)
    lead, co = factories.assign(proposal, w.clerk, lead=w.health, co=[w.hr])
    operations.accept_assignment(lead, w.health_clerk)
    operations.accept_assignment(co, w.hr_clerk)
    operations.dispatch_assignment(lead, w.health_clerk, section_id=w.health_section.id,
                                   drafter_id=w.health_drafter.id)
    write_draft(lead, w.health_drafter)
    replies.override_cosign(lead, w.clerk, reason="会办单位逾期未复")
    replies.submit_review(lead, w.health_drafter)
    for reviewer in (w.health_first, w.health_second, w.health_final):
        replies.approve_draft(lead, reviewer, seen_version_id=latest_id(lead))
    replies.sign_reply(lead, w.health_signer, seen_version_id=latest_id(lead))
    replies.issue_reply(lead, w.health_clerk)
    return proposal, lead, co


def rate_all(w, assignment, verdict: str = "satisfied", *, actor=None):
    """Every author's answer, entered from the paper form by the supervising clerk."""
    from tracker.ratings import operations as ratings
    from tracker.ratings.models import RatingChannel
    from tracker.ratings.queries import issued_reply

    reply = issued_reply(assignment)
    rating = None
    for author in assignment.proposal.authors:
        rating = ratings.submit_rating(
            reply, author, {"handling": verdict, "result": verdict, "contacted": "yes",
                            "contact_method": "face", "comments": "测评意见"},
            channel=RatingChannel.paper, actor=actor or w.clerk)
    return rating


def latest_id(assignment) -> int:
    from tracker.replies.queries import latest_draft

    return latest_draft(assignment).id


def write_draft(assignment, drafter, body="一、基本情况\n（一）人才队伍现状\n我委高度重视。", **kw):
    from tracker.proposals.models import Disclosure
    from tracker.replies.models import ReplyForm
    from tracker.replies.queries import latest_draft

    latest = latest_draft(assignment)
    fields = dict(body=body, result_class="A", reply_form=ReplyForm.written,
                  disclosure=Disclosure.public, base_number=latest.number if latest else None,
                  contact_name="刘洋", contact_phone="0431-88900000")
    fields.update(kw)
    return replies.save_draft(assignment, drafter, **fields)


# For each action: the user (by world key, per assignment role) allowed to take it, and
# the keyword arguments that make the call valid.
def perform(w, assignment: Assignment, action: str, actor: User | None = None):
    from tracker.handling.workflow import Action, transition

    co = assignment.role.value == "co"
    clerk = w.hr_clerk if co else w.health_clerk
    drafter = w.hr_drafter if co else w.health_drafter
    section = w.hr_section if co else w.health_section
    action = Action(action)
    if action == Action.accept:
        return operations.accept_assignment(assignment, actor or clerk)
    if action == Action.request_return:
        return operations.request_return(assignment, actor or clerk, reason="职责不符")
    if action == Action.approve_return:
        return operations.approve_return(assignment, actor or w.clerk)
    if action == Action.reject_return:
        return operations.reject_return(assignment, actor or w.clerk, reason="属于你单位职责")
    if action == Action.dispatch:
        return operations.dispatch_assignment(assignment, actor or clerk, section_id=section.id,
                                              drafter_id=drafter.id)
    if action == Action.record_contact:
        from tracker.core.time import today

        return operations.record_contact(assignment, actor or clerk, stage=ContactStage.before,
                                         method=ContactMethod.face, contacted_on=today(),
                                         summary="当面听取意见")
    if action == Action.submit_opinion:
        return operations.submit_opinion(assignment, actor or clerk, text="会办意见")
    if action == Action.approve_opinion:
        return operations.approve_opinion(assignment, actor or w.hr_leader)
    if action == Action.return_opinion:
        return operations.return_opinion(assignment, actor or w.hr_leader, comment="请补充政策依据")
    if action == Action.save_draft:
        return write_draft(assignment, actor or drafter, body="修改后的答复稿。")
    if action == Action.override_cosign:
        return replies.override_cosign(assignment, actor or w.clerk, reason="会办单位逾期未复")
    if action == Action.submit_review:
        return replies.submit_review(assignment, actor or drafter)
    level_user = {"first_review": w.health_first, "second_review": w.health_second,
                  "final_review": w.health_final, "awaiting_signature": w.health_signer}
    if action == Action.approve:
        return replies.approve_draft(assignment, actor or level_user.get(assignment.state, clerk),
                                     seen_version_id=_latest_or_none(assignment))
    if action == Action.return_draft:
        return replies.return_draft(assignment, actor or level_user.get(assignment.state, clerk),
                                    seen_version_id=_latest_or_none(assignment), comment="请补充数据")
    if action == Action.sign:
        return replies.sign_reply(assignment, actor or w.health_signer,
                                  seen_version_id=_latest_or_none(assignment))
    if action == Action.issue:
        return replies.issue_reply(assignment, actor or clerk)
    if action == Action.request_extension:
        return operations.request_extension(assignment, actor or clerk, reason="需补充调研",
                                            one_month=True)
    if action in (Action.approve_extension, Action.reject_extension):
        from tracker.handling.workflow import rule_for

        if assignment.extension is None and rule_for(assignment,
                                                     Action.request_extension) is not None:
            operations.request_extension(assignment, clerk, reason="需补充调研", one_month=True)
        if action == Action.approve_extension:
            return operations.approve_extension(assignment, actor or w.clerk)
        return operations.reject_extension(assignment, actor or w.clerk, reason="期限充足")
    if action in (Action.rate, Action.rehandle) and assignment.state == "replied":
        # System moves: made by the rating that completes the authors' answers.
        return rate_all(w, assignment, "satisfied" if action == Action.rate else "unsatisfied")
    return transition(assignment, action, actor or clerk)


def _latest_or_none(assignment):
    from tracker.replies.queries import latest_draft

    latest = latest_draft(assignment)
    return latest.id if latest else None
