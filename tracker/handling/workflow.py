"""The one workflow module: the transition table, check() and transition() (the states and
actions they move between are named in tracker.core.states).

Nothing else writes a state column. Every move is looked up in TABLE (an unlisted move
raises InvalidTransition, HTTP 409), checked against the actor's permission
(PermissionDenied, 403), applied with a conditional UPDATE so that two people acting at
once produce exactly one effect (the loser gets Conflict, 409), and logged in the audit
chain within the same transaction.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import inspect, select, update

from tracker.accounts.models import Role, User
from tracker.audit import log as audit
from tracker.core.errors import Conflict, InvalidTransition, PermissionDenied

# The vocabulary lives in tracker.core.states; the labels are re-exported for the
# modules that import them from here.
from tracker.core.states import (  # noqa: F401
    ACTION_LABELS,
    ASSIGNMENT_STATE_LABELS,
    FINISHED_STATES,
    LEVEL_OF_STATE,
    PROPOSAL_STATE_LABELS,
    REVIEW_STATES,
    SYSTEM_ACTIONS,
    Action,
    AssignmentState,
    ExtensionStatus,
    ProposalState,
    ReviewLevel,
)
from tracker.core.time import today, utcnow
from tracker.extensions import db
from tracker.handling import events, permissions
from tracker.handling.models import Assignment, UnitRole
from tracker.proposals.models import Proposal

# The session.info keys under which transition() leaves the ids of the assignments it moved,
# and of those it moved into or out of 已退回 (returned).
MOVED_ASSIGNMENTS = "moved_assignments"
MOVED_RETURNED = "moved_returned"

# The state a proposal's next state is derived from its assignments.
DERIVED = "derived"

Who = Callable[[User, object], bool]


def _supervisor(user: User, _obj) -> bool:
    return permissions.is_supervisor(user)


def _unit_clerk(user: User, assignment: Assignment) -> bool:
    return permissions.is_unit_clerk_of(user, assignment)


def _handler(user: User, assignment: Assignment) -> bool:
    return permissions.is_handler_of(user, assignment)


def _opinion_approver(user: User, assignment: Assignment) -> bool:
    return permissions.is_opinion_approver_of(user, assignment)


def _system(_user, _obj) -> bool:
    """Moves the tracker makes itself (never offered to a person as a button)."""
    return True


@dataclass
class Facts:
    """What the guards ask of the packages above handling, answered by them at app wiring.

    replies provides the draft questions and ratings the rating ones (their `init_app`,
    called by the app factory), so the table stays here without importing either.
    """

    # replies: the latest draft version of the current round, or None
    latest_draft: Callable[[Assignment], object | None] | None = None
    # replies: the co-handling units whose opinion the lead still waits for (names)
    missing_co_opinions: Callable[[Assignment], list[str]] | None = None
    # replies: whether this user saved a version of the current round's draft
    wrote_this_round: Callable[[Assignment, int], bool] | None = None
    # replies: the review levels ("first", "second", "final") this user approved this round
    levels_approved_by: Callable[[Assignment, int], set[str]] | None = None
    # ratings: None until every author answered, then whether the outcome is 不满意
    rated_unsatisfied: Callable[[Assignment], bool | None] | None = None
    # ratings: whether the rating period of the item is over
    rating_period_over: Callable[[Proposal], bool] | None = None
    # instructions: whether a leader of the unit has instructed on the assignment (批示)
    unit_instructed: Callable[[Assignment], bool] | None = None


FACTS = Facts()


def provide(**answers: Callable) -> None:
    """Register answers to the guards' questions (see Facts); called from init_app()."""
    for name, answer in answers.items():
        if not hasattr(FACTS, name):
            raise TypeError(f"the workflow asks no question named {name}")
        setattr(FACTS, name, answer)


def _ask(name: str) -> Callable:
    answer = getattr(FACTS, name)
    if answer is None:
        raise RuntimeError(f"workflow fact {name!r} not provided: build the app with create_app()")
    return answer


def _rating_complete(assignment: Assignment, _actor=None) -> str | None:
    if _ask("rated_unsatisfied")(assignment) is None:
        return "提出人的评价尚未全部收到。"
    return None


def _rated_satisfied(assignment: Assignment, actor=None) -> str | None:
    message = _rating_complete(assignment, actor)
    if message is None and _ask("rated_unsatisfied")(assignment):
        return "评价结果为不满意，应重新办理。"
    return message


def _rated_unsatisfied(assignment: Assignment, actor=None) -> str | None:
    message = _rating_complete(assignment, actor)
    if message is None and not _ask("rated_unsatisfied")(assignment):
        return "评价结果不是不满意，无需重新办理。"
    return message


def _rating_lapsed(proposal: Proposal, _actor=None) -> str | None:
    if not _ask("rating_period_over")(proposal):
        return "提出人尚未全部评价，且评价期限未满，暂不能办结。"
    return None


def return_window() -> int:
    """Working days after 交办 within which a unit may ask to return an item."""
    return int(current_app.config["RETURN_WINDOW_WORKDAYS"])


def _may_request_return(assignment: Assignment, _actor=None) -> str | None:
    if assignment.return_reason:
        # The supervising clerk already refused a return: the decision stands.
        return "交办单位已不同意退回该事项，不能再次申请退回，请按要求办理。"
    if today() > assignment.return_due_on:
        return (
            f"申请退回须在交办后 {return_window()} 个工作日内提出（截止 {assignment.return_due_on.isoformat()}），"
            "已超过期限，请与交办单位联系。"
        )
    return None


def _instructed_if_required(assignment: Assignment, _actor=None) -> str | None:
    """A unit may require its leader's instruction before the item goes to a drafter."""
    if assignment.unit.instruction_before_dispatch and not _ask("unit_instructed")(assignment):
        return ("本单位规定：须经单位领导批示（主要领导或分管领导办理意见）后，"
                f"才能{Action.dispatch.label}。请等待领导批示，或据纸质批示录入。")
    return None


def _may_request_extension(assignment: Assignment, _actor=None) -> str | None:
    extension = assignment.extension
    if extension is None:
        return None
    outcome = {
        ExtensionStatus.requested: "正在等待交办员审批",
        ExtensionStatus.approved: f"已批准延期至 {extension.requested_due_on.isoformat()}",
        ExtensionStatus.rejected: "交办员未予批准",
    }.get(extension.status, extension.status)
    return f"每件交办只能申请一次延期，该交办已申请过延期（{outcome}），不能再次申请。"


def _extension_pending(assignment: Assignment, _actor=None) -> str | None:
    extension = assignment.extension
    if extension is None or extension.status != ExtensionStatus.requested:
        return "该交办没有待审批的延期申请。"
    if extension.original_due_on != assignment.due_on:
        return (f"该交办的期限已另行调整（现为 {assignment.due_on.isoformat()}），"
                "原延期申请不再适用。")
    return None


def _reviewer(level: ReviewLevel) -> Who:
    role = {ReviewLevel.first: Role.reviewer_first, ReviewLevel.second: Role.reviewer_second,
            ReviewLevel.final: Role.reviewer_final}[level]

    def who(user: User, assignment: Assignment) -> bool:
        return user.unit_id == assignment.unit_id and user.has_role(role)
    return who


def _signer(user: User, assignment: Assignment) -> bool:
    if user.unit_id != assignment.unit_id:
        return False
    if assignment.proposal.is_key:
        # A key item is signed by the unit's principal leader.
        return assignment.unit.principal_leader_id == user.id
    return user.has_role(Role.signer)


def _issuer(user: User, assignment: Assignment) -> bool:
    return user.unit_id == assignment.unit_id and user.has_role(Role.unit_clerk, Role.signer)


def _ready_for_review(assignment: Assignment, _actor=None) -> str | None:
    if _ask("latest_draft")(assignment) is None:
        return "尚未撰写答复稿，不能送审。"
    if not assignment.unit.chain:
        return "本单位尚未设置审核流程，请联系系统管理员。"
    if assignment.role == UnitRole.lead and not assignment.cosign_override_reason:
        missing = _ask("missing_co_opinions")(assignment)
        if missing:
            return ("会办单位意见尚未全部收到（" + "、".join(missing) +
                    "），不能送审；如确需先行送审，请交办员登记会签例外。")
    return None


def _not_the_author(assignment: Assignment, actor) -> str | None:
    """Separation of duties: who wrote a version of the draft does not approve or sign it."""
    if actor is None or assignment.unit.allow_author_approval:
        return None
    if _ask("wrote_this_round")(assignment, actor.id):
        return "您撰写（保存）过本轮的答复稿，不能再审核或签发它：撰写与审核应由不同的人担任。"
    return None


def _not_the_opinion_author(assignment: Assignment, actor) -> str | None:
    """Separation of duties for a 会办意见 too: who submitted it does not approve it."""
    if actor is None or assignment.unit.allow_author_approval:
        return None
    pending = assignment.pending_opinion
    if pending is not None and pending.submitted_by_id == actor.id:
        return "这份会办意见是您提交的，不能再由您批准：提交与审批应由不同的人担任。"
    return None


def _reviewer_guard(assignment: Assignment, actor) -> str | None:
    return _not_the_author(assignment, actor) or _not_second_level(assignment, actor)


def _not_second_level(assignment: Assignment, actor) -> str | None:
    if actor is None or assignment.unit.allow_multi_level:
        return None
    level = LEVEL_OF_STATE.get(AssignmentState(assignment.state))
    taken = _ask("levels_approved_by")(assignment, actor.id)
    if level is not None and taken - {level}:
        done = "、".join(ReviewLevel(x).label for x in sorted(taken, key=LEVEL_ORDER.index))
        return f"您已对本稿作出{done}，本单位不允许同一人审核两个层级。"
    return None


def _next_review_state(assignment: Assignment) -> AssignmentState:
    """The next level of the unit's chain after the current one, or 待签发."""
    current = LEVEL_OF_STATE.get(AssignmentState(assignment.state))
    chain = assignment.unit.chain
    after = LEVEL_ORDER[LEVEL_ORDER.index(current) + 1:] if current else LEVEL_ORDER
    for level in after:
        if level in chain:
            return REVIEW_STATES[level]
    return AssignmentState.awaiting_signature


LEVEL_ORDER = list(ReviewLevel.chain())


@dataclass(frozen=True)
class Rule:
    # A state, or a function of the object giving it (the review chain is per unit).
    next_state: object
    who: Who
    who_label: str
    # Assignment roles the action applies to (None: every role).
    unit_roles: frozenset[UnitRole] | None = None
    # Returns a Chinese message when a precondition fails (HTTP 409).
    guard: Callable[[object, object], str | None] | None = None
    tags: frozenset[str] = field(default_factory=frozenset)


def _opinion_returned_to(assignment: Assignment) -> AssignmentState:
    """A returned 会办意见 goes back to whoever revises it: the drafter, or the clerk when the
    unit never passed the item on."""
    return AssignmentState.drafting if assignment.drafter_id else AssignmentState.accepted


OPINION_APPROVERS = "会办单位签发人、主要负责人或领导"

A, P, S, L = AssignmentState, ProposalState, Action, ReviewLevel
MAIN_ROLES = frozenset({UnitRole.lead, UnitRole.separate})
CO_ROLE = frozenset({UnitRole.co})

ASSIGNMENT_TABLE: dict[tuple[AssignmentState, Action], Rule] = {
    (A.assigned, S.accept): Rule(A.accepted, _unit_clerk, "本单位联络员"),
    (A.assigned, S.request_return): Rule(
        A.return_requested, _unit_clerk, "本单位联络员", guard=_may_request_return
    ),
    (A.return_requested, S.approve_return): Rule(A.returned, _supervisor, "交办员"),
    (A.return_requested, S.reject_return): Rule(A.assigned, _supervisor, "交办员"),
    (A.accepted, S.dispatch): Rule(A.drafting, _unit_clerk, "本单位联络员",
                                   guard=_instructed_if_required),
    (A.drafting, S.dispatch): Rule(A.drafting, _unit_clerk, "本单位联络员"),
    (A.accepted, S.record_contact): Rule(A.accepted, _handler, "本单位联络员或承办人"),
    (A.drafting, S.record_contact): Rule(A.drafting, _handler, "本单位联络员或承办人"),
    # 会办意见: the co-handling unit submits it to its leader, who approves it (it goes to the
    # lead unit, numbered, and the unit's deadline stops) or returns it for revision.
    (A.accepted, S.submit_opinion): Rule(
        A.opinion_pending, _handler, "会办单位联络员或承办人", unit_roles=CO_ROLE
    ),
    (A.drafting, S.submit_opinion): Rule(
        A.opinion_pending, _handler, "会办单位联络员或承办人", unit_roles=CO_ROLE
    ),
    (A.opinion_pending, S.approve_opinion): Rule(
        A.opinion_submitted, _opinion_approver, OPINION_APPROVERS, unit_roles=CO_ROLE,
        guard=_not_the_opinion_author,
    ),
    (A.opinion_pending, S.return_opinion): Rule(
        _opinion_returned_to, _opinion_approver, OPINION_APPROVERS, unit_roles=CO_ROLE
    ),
    # Drafting, co-signing, three-level review, sign-off and issue (lead and 分办 units).
    (A.drafting, S.save_draft): Rule(
        A.drafting, _handler, "本单位承办人或联络员", unit_roles=MAIN_ROLES),
    (A.drafting, S.override_cosign): Rule(
        A.drafting, _supervisor, "交办员", unit_roles=frozenset({UnitRole.lead})),
    (A.drafting, S.submit_review): Rule(
        _next_review_state, _handler, "本单位承办人或联络员", unit_roles=MAIN_ROLES,
        guard=_ready_for_review),
    (A.first_review, S.approve): Rule(
        _next_review_state, _reviewer(L.first), "本单位初审人", guard=_reviewer_guard),
    (A.second_review, S.approve): Rule(
        _next_review_state, _reviewer(L.second), "本单位复审人", guard=_reviewer_guard),
    (A.final_review, S.approve): Rule(
        _next_review_state, _reviewer(L.final), "本单位终审人", guard=_reviewer_guard),
    (A.first_review, S.return_draft): Rule(A.drafting, _reviewer(L.first), "本单位初审人"),
    (A.second_review, S.return_draft): Rule(A.drafting, _reviewer(L.second), "本单位复审人"),
    (A.final_review, S.return_draft): Rule(A.drafting, _reviewer(L.final), "本单位终审人"),
    (A.awaiting_signature, S.return_draft): Rule(
        A.drafting, _signer, "本单位签发人（重点建议提案为主要负责人）"),
    (A.awaiting_signature, S.sign): Rule(
        A.signed, _signer, "本单位签发人（重点建议提案为主要负责人）", guard=_not_the_author),
    (A.signed, S.issue): Rule(A.replied, _issuer, "本单位联络员或签发人"),
    # A signed letter that cannot be issued as it stands goes back for correction.
    (A.signed, S.return_draft): Rule(A.drafting, _issuer, "本单位联络员或签发人"),
    # Satisfaction: the rating that completes the authors' answers moves the assignment.
    (A.replied, S.rate): Rule(A.rated, _system, "系统", guard=_rated_satisfied,
                              tags=frozenset({"system"})),
    (A.replied, S.rehandle): Rule(A.drafting, _system, "系统", unit_roles=MAIN_ROLES,
                                  guard=_rated_unsatisfied, tags=frozenset({"system"})),
}

# 延期: once acknowledged and until sign-off the unit may ask once for a later deadline (at
# most one month more); the supervising clerk approves or refuses. The state stays the same.
# A 会办意见 waiting for its leader's approval still runs against its deadline.
EXTENSION_STATES = (A.accepted, A.drafting, A.opinion_pending, A.first_review, A.second_review,
                    A.final_review, A.awaiting_signature)
for _state in EXTENSION_STATES:
    ASSIGNMENT_TABLE[(_state, S.request_extension)] = Rule(
        _state, _unit_clerk, "本单位联络员", guard=_may_request_extension)
    ASSIGNMENT_TABLE[(_state, S.approve_extension)] = Rule(
        _state, _supervisor, "交办员", guard=_extension_pending)
    ASSIGNMENT_TABLE[(_state, S.reject_extension)] = Rule(
        _state, _supervisor, "交办员", guard=_extension_pending)
del _state

def _not_joined(proposal: Proposal, _actor=None) -> str | None:
    """A 并案 member is assigned and handled with its lead item, never on its own."""
    lead = proposal.merged_into
    if lead is not None:
        return (f"该事项已并案到{lead.meeting.name}{lead.display_number}，随该事项交办和办理；"
                "如需单独交办，请先拆分。")
    return None


PROPOSAL_TABLE: dict[tuple[ProposalState, Action], Rule] = {
    (state, S.assign): Rule(DERIVED, _supervisor, "交办员", guard=_not_joined)
    for state in (P.registered, P.assigned, P.return_requested, P.accepted, P.drafting,
                  P.first_review, P.second_review, P.final_review, P.awaiting_signature)
}
# 办结: once every reply is rated, or once the rating period is over without all answers.
PROPOSAL_TABLE[(P.rated, S.close)] = Rule(P.closed, _supervisor, "交办员")
PROPOSAL_TABLE[(P.replied, S.close)] = Rule(P.closed, _supervisor, "交办员",
                                            guard=_rating_lapsed)


def _table_for(obj) -> dict:
    return ASSIGNMENT_TABLE if isinstance(obj, Assignment) else PROPOSAL_TABLE


def _state_enum(obj):
    return AssignmentState if isinstance(obj, Assignment) else ProposalState


def state_of(obj):
    return _state_enum(obj)(obj.state)


def _closed(obj) -> bool:
    proposal = obj.proposal if isinstance(obj, Assignment) else obj
    return proposal.state == P.closed.value


def rule_for(obj, action: Action) -> Rule | None:
    if isinstance(obj, Assignment) and _closed(obj):
        return None  # a closed item is read-only, whatever state its units are in
    rule = _table_for(obj).get((state_of(obj), action))
    if rule is None:
        return None
    if rule.unit_roles is not None and obj.role not in rule.unit_roles:
        return None
    return rule


# The rules of each state in the order of Action, rebuilt when a table grows (the packages
# above add their actions when the app is built).
_BY_STATE: dict[int, tuple[int, dict]] = {}


def _rules_of_state(obj) -> list[tuple[Action, Rule]]:
    table = _table_for(obj)
    size, by_state = _BY_STATE.get(id(table), (-1, {}))
    if size != len(table):
        order = {action: i for i, action in enumerate(Action)}
        by_state = {}
        for (state, action), rule in sorted(table.items(), key=lambda kv: order[kv[0][1]]):
            by_state.setdefault(state, []).append((action, rule))
        _BY_STATE[id(table)] = (len(table), by_state)
    return by_state.get(state_of(obj), [])


def allowed_actions(obj, user: User) -> list[Action]:
    """The actions this user may take on obj now (for pages, the API and the to-do list)."""
    if user is None or not user.is_authenticated:
        return []
    if isinstance(obj, Assignment) and _closed(obj):
        return []  # a closed item is read-only, whatever state its units are in
    result = []
    for action, rule in _rules_of_state(obj):
        if rule.unit_roles is not None and obj.role not in rule.unit_roles:
            continue
        if "system" in rule.tags or not rule.who(user, obj):
            continue
        if rule.guard is not None and rule.guard(obj, user):
            continue  # a precondition fails: no button that can only be refused
        result.append(action)
    return result


def derive_proposal_state(assignments: list[Assignment]) -> ProposalState:
    """The item's overall state, from its lead or 分办 units' assignments.

    A co-handling unit still to acknowledge, or asking to return the item, does not hold
    the item back: the page shows that on the unit's own row.
    """
    active = [a for a in assignments if a.state != A.returned]
    if not active:
        return P.registered
    main = [a for a in active if a.role in MAIN_ROLES] or active
    states = {AssignmentState(a.state) for a in main}
    if A.return_requested in states:
        return P.return_requested
    if A.assigned in states:
        return P.assigned
    state = min((PROGRESS[AssignmentState(a.state)] for a in main), key=PROGRESS_ORDER.index)
    if any(a.round > 1 and PROGRESS_ORDER.index(PROGRESS[AssignmentState(a.state)])
           < PROGRESS_ORDER.index(P.replied) for a in main):
        return P.rehandling  # an unsatisfied item back with its unit for a second reply
    return state


# How far an assignment has come, as the item's state; the item is as far as its slowest
# lead or 分办 unit (a co-handling unit that sent its opinion counts as drafting).
PROGRESS = {
    A.accepted: P.accepted,
    A.drafting: P.drafting,
    A.opinion_pending: P.drafting,
    A.opinion_submitted: P.drafting,
    A.first_review: P.first_review,
    A.second_review: P.second_review,
    A.final_review: P.final_review,
    A.awaiting_signature: P.awaiting_signature,
    A.signed: P.signed,
    A.replied: P.replied,
    A.rated: P.rated,
}
PROGRESS_ORDER = [P.accepted, P.drafting, P.first_review, P.second_review, P.final_review,
                  P.awaiting_signature, P.signed, P.replied, P.rated]


def lock_item(proposal_id: int) -> None:
    """Take the item's row lock for moves that start outside transition() (ratings)."""
    if not _lock_proposal(proposal_id):
        raise Conflict("该事项已不存在。")


def lock_items(proposal_ids: list[int], batch: int = 1000) -> None:
    """Take many items' row locks at once, as transition() does for each move (bulk import)."""
    for first in range(0, len(proposal_ids), batch):
        db.session.execute(
            update(Proposal).where(Proposal.id.in_(proposal_ids[first:first + batch]))
            .values(lock_version=Proposal.lock_version + 1)
            .execution_options(synchronize_session=False))


def _lock_proposal(proposal_id: int, expected_state: str | None = None) -> bool:
    """Take the item's row lock (held to commit) so moves on one item run one at a time."""
    stmt = update(Proposal).where(Proposal.id == proposal_id)
    if expected_state is not None:
        stmt = stmt.where(Proposal.state == expected_state)
    result = db.session.execute(
        stmt.values(lock_version=Proposal.lock_version + 1).execution_options(
            synchronize_session=False
        )
    )
    return result.rowcount == 1


def sync_proposal_state(proposal: Proposal) -> ProposalState:
    """Recompute and store the item's derived state.

    A 并案 member without assignments of its own (not issued yet) is where its lead is; the
    lead's change is passed on to such members here.
    """
    assignments = db.session.execute(
        select(Assignment).where(Assignment.proposal_id == proposal.id)
    ).scalars().all()
    closed, lead_id = db.session.execute(
        select(Proposal.closed_at, Proposal.merged_into_id).where(Proposal.id == proposal.id)
    ).one()
    active = [a for a in assignments if a.state != A.returned]
    if closed is not None:
        new_state = P.closed
    elif lead_id is not None and not active:
        lead_state = db.session.scalar(select(Proposal.state).where(Proposal.id == lead_id))
        new_state = ProposalState(lead_state)
    else:
        new_state = derive_proposal_state(assignments)
    db.session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id)
        .values(state=new_state.value)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(proposal, ["state", "lock_version", "assignments"])
    followers = select(Assignment.id).where(Assignment.proposal_id == Proposal.id,
                                            Assignment.state != A.returned)
    db.session.execute(
        update(Proposal)
        .where(Proposal.merged_into_id == proposal.id, Proposal.closed_at.is_(None),
               ~followers.exists())
        .values(state=new_state.value)
        .execution_options(synchronize_session=False)
    )
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Proposal) and inspect(obj).dict.get("merged_into_id") == proposal.id:
            db.session.expire(obj, ["state"])
    return new_state


def open_member_assignment(lead: Assignment, member: Proposal) -> Assignment:
    """At 发文, a 并案 member's own assignment: the lead unit's handling, copied in the state
    it has reached (signed), so the member's letter is issued, rated and counted as itself."""
    if AssignmentState(lead.state) != A.signed:
        raise InvalidTransition("并案事项只能在主办事项签发后随之发文。")
    assignment = Assignment(
        proposal_id=member.id, unit_id=lead.unit_id, role=lead.role, state=lead.state,
        assigned_at=lead.assigned_at, assigned_on=lead.assigned_on, due_on=lead.due_on,
        due_basis=lead.due_basis, return_due_on=lead.return_due_on,
        assigned_by_id=lead.assigned_by_id, accepted_at=lead.accepted_at,
        section_id=lead.section_id, drafter_id=lead.drafter_id, round=lead.round,
        review_cycle=lead.review_cycle, cosign_override_reason=lead.cosign_override_reason)
    db.session.add(assignment)
    db.session.flush()
    return assignment


def check(obj, action: Action, actor: User) -> Rule:
    """Look the move up and check the actor; raise the matching error."""
    rule = rule_for(obj, action)
    kind = "事项" if isinstance(obj, Proposal) else "交办"
    if rule is None and _closed(obj):
        raise InvalidTransition(f"该事项已办结，不能再执行「{action.label}」。")
    if rule is None:
        raise InvalidTransition(
            f"该{kind}当前状态为「{state_of(obj).label}」，不能执行「{action.label}」。"
        )
    if not rule.who(actor, obj):
        raise PermissionDenied(f"只有{rule.who_label}可以执行「{action.label}」。")
    if rule.guard is not None:
        message = rule.guard(obj, actor)
        if message:
            raise InvalidTransition(message)
    return rule


def transition(
    obj,
    action: Action,
    actor: User,
    *,
    expected_version: int | None = None,
    changes: dict | None = None,
    effect: Callable[[], None] | None = None,
    details: dict | None = None,
):
    """Apply one move of the table to an assignment or an item, atomically, and log it.

    changes are columns written in the same conditional UPDATE; effect runs after the
    state change and before the item's state is derived again (e.g. creating assignments).
    """
    action = Action(action)
    proposal = obj if isinstance(obj, Proposal) else obj.proposal
    seen_state = obj.state

    if not _lock_proposal(proposal.id):
        raise Conflict("该事项已不存在。")
    db.session.refresh(obj)
    if isinstance(obj, Assignment):
        if obj.state != seen_state:
            # Someone else moved it since the caller read it: report it as what it is,
            # not as a refusal of whatever the new state would ask of this person.
            raise Conflict(
                f"该交办已被他人处理，当前状态为「{state_of(obj).label}」，请刷新后查看。"
            )
        if expected_version is not None and obj.version != expected_version:
            raise Conflict("该交办已被他人更新，页面内容已过期，请刷新后重试。")
    rule = check(obj, action, actor)

    if isinstance(obj, Assignment):
        next_state = rule.next_state(obj) if callable(rule.next_state) else rule.next_state
        values = dict(changes or {})
        values.update(state=AssignmentState(next_state).value, version=Assignment.version + 1)
        if next_state != obj.state:
            values["state_since"] = utcnow()
        result = db.session.execute(
            update(Assignment)
            .where(
                Assignment.id == obj.id,
                Assignment.state == obj.state,
                Assignment.version == obj.version,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise Conflict("该交办已被他人处理，请刷新后查看。")
        db.session.expire(obj)
        # For whatever derives from the assignment's row (tracker.supervision.facts).
        db.session.info.setdefault(MOVED_ASSIGNMENTS, set()).add(obj.id)
        if AssignmentState.returned.value in (seen_state, values["state"]):
            db.session.info.setdefault(MOVED_RETURNED, set()).add(obj.id)
    elif changes:
        raise ValueError("an item's own columns are not changed by transitions")

    if effect is not None:
        effect()
    db.session.flush()
    new_proposal_state = sync_proposal_state(proposal)

    event_details = dict(details or {})
    event_details.setdefault("from", seen_state)
    event_details.setdefault(
        "to", obj.state if isinstance(obj, Assignment) else new_proposal_state.value
    )
    # What follows from the move (notices, e-mail, numbering…) is subscribed to the event,
    # in this transaction; what the subscribers add to the details is logged with the move.
    events.emit(events.Transition(
        obj=obj, action=action, actor=actor, old_state=event_details["from"],
        new_state=event_details["to"], details=event_details))
    audit.record(
        action.value,
        actor=actor,
        object_type="assignment" if isinstance(obj, Assignment) else "proposal",
        object_id=obj.id,
        proposal_id=proposal.id,
        details=event_details,
    )
    return obj
