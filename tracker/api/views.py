"""The JSON API under /api/v1, token-authenticated, calling the same operations as the pages.

Every request but the OpenAPI document carries `Authorization: Bearer <token>`; the cookie
session is never consulted (the blueprint is CSRF-exempt). Domain errors raised below are
rendered as JSON, and logged when they are refusals, by the application's error handlers.
"""
from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, render_template, request, url_for
from sqlalchemy import false, select

from tracker.accounts import operations as accounts
from tracker.accounts.models import TokenScope, Unit, User
from tracker.api import forms as api_forms
from tracker.api import inputs, openapi, schemas, serializers
from tracker.api.forms import UnitForm
from tracker.audit import log as audit
from tracker.core.errors import Conflict, Hidden, NotFound, PermissionDenied, ValidationFailed
from tracker.core.states import Satisfaction
from tracker.extensions import db
from tracker.handling import permissions, queries
from tracker.handling.actions import ACTIONS, build_form, run_action
from tracker.handling.models import Assignment
from tracker.handling.workflow import Action, ProposalState, check
from tracker.instructions import operations as instruction_ops
from tracker.instructions import permissions as instruction_permissions
from tracker.instructions.choices import InstructionKind
from tracker.instructions.models import Instruction
from tracker.proposals import operations as proposals
from tracker.proposals.forms import MeetingForm, ProposalForm
from tracker.proposals.models import Body, Disclosure, ItemKind, Level, Meeting, Proposal
from tracker.ratings import forms as rating_forms
from tracker.ratings import operations as rating_operations
from tracker.replies import documents, templates
from tracker.replies.models import DraftVersion, Reply
from tracker.replies.operations import DraftConflict
from tracker.search import query as search

bp = Blueprint("api", __name__)

UNAUTHORISED = "缺少或无效的访问令牌。"
READ_ONLY = "该令牌为只读令牌，只能查询，不能修改数据。"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_ENDPOINTS = frozenset({"api.openapi_document", "api.docs"})
FLAGS = {"true": True, "false": False}
Q_MAX = 100


# --- authentication ------------------------------------------------------------------------

def _bearer_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@bp.before_request
def authenticate():
    """Resolve the bearer token to g.api_user, or answer 401; a read token may only read."""
    g.api_user = None
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    token = _bearer_token()
    row = accounts.token_in_use(token) if token else None
    if row is None:
        response = _send(schemas.Error(error=UNAUTHORISED, status=401))
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="tracker"'
        return response
    scope, g.api_user = row.scope, row.user
    # The use is committed now, apart from the request's work, which may yet fail.
    db.session.commit()
    if scope is not TokenScope.act and request.method not in READ_METHODS:
        raise PermissionDenied(READ_ONLY)
    return None


@bp.errorhandler(DraftConflict)
def draft_conflict(exc: DraftConflict):
    """409 with the version that won, so the caller can compare and save on top of it."""
    latest_id = exc.latest.id
    db.session.rollback()
    try:  # logged like every other refusal (the app's handler is bypassed here)
        audit.record("transition_refused", outcome="rejected", actor=g.api_user,
                     details={"path": request.path, "method": request.method,
                              "message": exc.message})
        db.session.commit()
    except Exception:  # the refusal itself must still reach the caller
        db.session.rollback()
    latest = db.session.get(DraftVersion, latest_id)
    response = _send(serializers.conflict(exc.message, latest))
    response.status_code = 409
    return response


# --- loading -------------------------------------------------------------------------------

def _get(model, object_id: int, message: str):
    obj = db.session.get(model, object_id) if 0 < object_id <= openapi.MAX_ID else None
    if obj is None:
        raise NotFound(message)
    return obj


def _visible_proposal(proposal_id: int) -> Proposal:
    """The item, or 404 when it does not exist or belongs to other units alone."""
    proposal = _get(Proposal, proposal_id, "找不到该建议提案。")
    if not permissions.can_view_proposal(g.api_user, proposal):
        raise Hidden("找不到该建议提案。")  # the same answer, but logged as a denial
    return proposal


def _visible_assignment(assignment_id: int) -> Assignment:
    assignment = _get(Assignment, assignment_id, "找不到该交办记录。")
    if not permissions.can_view_assignment(g.api_user, assignment):
        raise Hidden("找不到该交办记录。")
    return assignment


def _action(name: str, allowed: list[Action]) -> Action:
    try:
        action = Action(name)
    except ValueError:
        action = None
    if action not in allowed:
        raise NotFound("没有这个操作。")
    return action


def _send(resource):
    """The resource as JSON (tracker.api.schemas: the classes the document describes)."""
    return jsonify(serializers.as_json(resource))


def _created(resource, location: str):
    response = _send(resource)
    response.status_code = 201
    response.headers["Location"] = location
    return response


# --- the document --------------------------------------------------------------------------

@bp.get("/openapi.json")
def openapi_document():
    return jsonify(openapi.document())


@bp.get("/docs")
def docs():
    """The document in Swagger UI (vendored); public, like the document itself."""
    return render_template("api/docs.html")


# --- meetings ------------------------------------------------------------------------------

def _may_edit_meetings(user: User) -> bool:
    return permissions.is_supervisor(user) or permissions.is_admin(user)


@bp.get("/meetings")
def list_meetings():
    rows = db.session.scalars(select(Meeting).order_by(Meeting.year.desc(), Meeting.name))
    return _send(serializers.meeting_list(rows))


@bp.get("/meetings/<int:meeting_id>")
def get_meeting(meeting_id: int):
    return _send(serializers.meeting(_get(Meeting, meeting_id, "找不到该会议。")))


@bp.post("/meetings")
def create_meeting():
    actor = g.api_user
    if not _may_edit_meetings(actor):
        raise PermissionDenied("只有交办员或系统管理员可以新建会议。")
    form = inputs.validated_form(MeetingForm)
    meeting = proposals.create_meeting(
        actor, level=Level(form.level.data), body=Body(form.body.data),
        region=form.region.data, term=form.term.data, session=form.session.data,
        year=form.year.data, name=form.name.data or "",
        reply_period_months=form.reply_period_months.data,
        co_period_months=form.co_period_months.data,
    )
    db.session.commit()
    return _created(serializers.meeting(meeting),
                    url_for("api.get_meeting", meeting_id=meeting.id))


# --- units ---------------------------------------------------------------------------------

@bp.get("/units")
def list_units():
    actor = g.api_user
    rows = db.session.scalars(select(Unit).order_by(Unit.is_supervising.desc(), Unit.name))
    with_users = permissions.is_admin(actor)
    return _send(serializers.unit_list(rows, with_users=with_users))


@bp.get("/units/<int:unit_id>")
def get_unit(unit_id: int):
    actor = g.api_user
    unit = _get(Unit, unit_id, "找不到该单位。")
    with_users = permissions.is_admin(actor) or actor.unit_id == unit.id
    return _send(serializers.unit(unit, with_users=with_users))


@bp.get("/units/<int:unit_id>/reply-templates")
def list_reply_templates(unit_id: int):
    """The unit's reply templates (stopped ones too), then the active office-wide ones."""
    unit = _get(Unit, unit_id, "找不到该单位。")
    if unit.is_supervising or not templates.can_view_templates(g.api_user, unit):
        raise Hidden("找不到该单位。")
    rows = templates.templates_of(unit) + templates.templates_of(None, active_only=True)
    return _send(schemas.ReplyTemplateList(
        items=[serializers.reply_template(t) for t in rows]))


@bp.post("/units")
def create_unit():
    actor = g.api_user
    if not permissions.is_admin(actor):
        raise PermissionDenied("只有系统管理员可以新建单位。")
    form = inputs.validated_form(UnitForm)
    unit = accounts.create_unit(actor, name=form.name.data, short_name=form.short_name.data or "",
                                is_supervising=form.is_supervising.data,
                                sections=form.sections.data)
    db.session.commit()
    return _created(serializers.unit(unit, with_users=True),
                    url_for("api.get_unit", unit_id=unit.id))


# --- proposals -----------------------------------------------------------------------------

def _list_filters() -> tuple[queries.ListFilters, int, int]:
    """Parse the list's query string; a value given that makes no sense is a 422."""
    args = request.args
    errors: dict[str, list[str]] = {}

    def integer(name: str, default: int | None, maximum: int = openapi.MAX_ID) -> int | None:
        if name not in args:
            return default
        raw = args[name].strip()
        value = int(raw) if raw.isascii() and raw.isdigit() else 0
        if not 1 <= value <= maximum:
            errors[name] = [f"应为 1 到 {maximum} 之间的整数。"]
            return default
        return value

    def choice(name: str, values: list[str]) -> str | None:
        if name in args and args[name] not in values:
            errors[name] = ["不是有效的选择，可选：" + "、".join(values) + "。"]
            return None
        return args.get(name)

    def flag(name: str) -> bool:
        if name in args and args[name] not in FLAGS:
            errors[name] = ["应为 true 或 false。"]
            return False
        return FLAGS.get(args.get(name, "false"), False)

    q = (args.get("q") or "").strip()
    if len(q) > Q_MAX:
        errors["q"] = [f"搜索内容最多 {Q_MAX} 个字符。"]
    filters = queries.ListFilters(
        meeting_id=integer("meeting", None),
        kind=choice("kind", [k.value for k in ItemKind]),
        unit_id=integer("unit", None),
        state=choice("state", [s.value for s in ProposalState]),
        overdue=flag("overdue"),
        key_only=flag("key"),
        q=q,
        year=integer("year", None, 9999),
        result_class=choice("class", list(current_app.config["RESULT_CLASS_MAP"])),
        rating=choice("rating", [r.value for r in Satisfaction]),
    )
    page = integer("page", 1)
    per_page = integer("per_page", current_app.config["ITEMS_PER_PAGE"], openapi.MAX_PER_PAGE)
    if errors:
        raise ValidationFailed("筛选条件有误。", errors)
    return filters, page, per_page


@bp.get("/proposals")
def list_proposals():
    filters, page_number, per_page = _list_filters()
    if inputs.unstorable(filters.q):
        # No stored title holds a NUL byte, and PostgreSQL would refuse the parameter.
        filters.q = ""
        page = db.paginate(search.item_query(g.api_user, filters).where(false()),
                           page=page_number, per_page=per_page, error_out=False)
    else:
        page = search.paginate(g.api_user, filters, page=page_number, per_page=per_page,
                               max_per_page=openapi.MAX_PER_PAGE)
    hits = search.hits(g.api_user, filters.q, [p.id for p in page.items]) if filters.q else None
    return _send(serializers.proposal_page(page.items, page=page_number, per_page=per_page,
                                           total=page.total or 0, pages=page.pages, hits=hits))


@bp.post("/proposals")
def register_proposal():
    actor = g.api_user
    if not permissions.can_register(actor):
        raise PermissionDenied("只有交办员可以登记建议提案。")
    meetings = db.session.scalars(select(Meeting).order_by(Meeting.id))
    form = inputs.validated_form(ProposalForm, meeting_id=[(m.id, m.name) for m in meetings])
    proposal = proposals.register_proposal(
        actor,
        meeting=db.session.get(Meeting, form.meeting_id.data),
        kind=ItemKind(form.kind.data) if form.kind.data else None,
        number=form.number.data,
        title=form.title.data,
        body=form.body.data or "",
        category=form.category.data or "",
        is_key=form.is_key.data,
        disclosure=Disclosure(form.disclosure.data),
        received_on=form.received_on.data,
        authors=[entry.data for entry in form.authors.entries],
    )
    db.session.commit()
    return _created(serializers.proposal_detail(proposal, actor),
                    url_for("api.get_proposal", proposal_id=proposal.id))


@bp.get("/proposals/<int:proposal_id>")
def get_proposal(proposal_id: int):
    return _send(serializers.proposal_detail(_visible_proposal(proposal_id), g.api_user))


# --- leaders' instructions ----------------------------------------------------------------

@bp.post("/proposals/<int:proposal_id>/instructions")
def enter_instruction(proposal_id: int):
    """A leader's instruction given: typed by the leader, or entered by a clerk from paper."""
    proposal = _visible_proposal(proposal_id)
    form = inputs.validated_form(api_forms.InstructionInput)
    assignment = next((a for a in proposal.assignments if a.id == form.assignment_id.data), None)
    instruction_ops.record_instruction(
        proposal, g.api_user, kind=InstructionKind(form.kind.data), assignment=assignment,
        text=form.text.data, given_on=form.given_on.data, leader_id=form.leader_id.data,
        leader_name=form.leader_name.data or "", source=form.source.data or None)
    db.session.commit()
    return _created(serializers.proposal_detail(proposal, g.api_user),
                    url_for("api.get_proposal", proposal_id=proposal.id))


@bp.post("/instructions/<int:instruction_id>/give")
def give_instruction(instruction_id: int):
    """An asked-for instruction answered by its leader (or by a clerk from the paper)."""
    instruction = _get(Instruction, instruction_id, "找不到该批示。")
    if not instruction_permissions.can_view(g.api_user, instruction):
        raise Hidden("找不到该批示。")
    form = inputs.validated_form(api_forms.InstructionGiveInput)
    instruction_ops.give_instruction(
        instruction, g.api_user, text=form.text.data, given_on=form.given_on.data,
        source=form.source.data or None, leader_name=form.leader_name.data or "")
    db.session.commit()
    return _send(serializers.proposal_detail(instruction.proposal, g.api_user))


# --- workflow actions ----------------------------------------------------------------------

def _posted_version(action: Action) -> int | None:
    """The assignment version the caller saw, when the action's form carries one."""
    if not hasattr(ACTIONS[action].form, "version"):
        return None
    if request.mimetype in inputs.FORM_MIMETYPES:
        raw = request.form.get("version", "")
        return int(raw) if raw.isascii() and raw.isdigit() else None
    try:
        data = request.get_json(force=True, silent=True) if request.get_data(cache=True) else None
    except RecursionError:  # absurdly deep nesting: left to the body check (400)
        data = None
    value = data.get("version") if isinstance(data, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _act(obj, action: Action, proposal: Proposal):
    """Check the move (409/403), validate the input (422), run it, commit once."""
    actor = g.api_user
    seen = _posted_version(action) if isinstance(obj, Assignment) else None
    if seen is not None and seen != obj.version:
        # As on the pages: a caller acting on what they saw before someone else moved the
        # assignment is told so (409), not that the next step is not theirs (403).
        raise Conflict("该交办已被他人更新，页面内容已过期，请刷新后重试。")
    check(obj, action, actor)
    formdata = inputs.formdata(ACTIONS[action].form, files=True)
    form = build_form(action, obj, formdata=formdata, csrf=False)
    result = run_action(action, obj, actor, form)
    db.session.commit()
    # notices: e.g. the punctuation changed in a saved draft
    return _send(serializers.proposal_detail(proposal, actor,
                                             notices=getattr(result, "notices", None)))


@bp.post("/proposals/<int:proposal_id>/actions/<action>")
def proposal_action(proposal_id: int, action: str):
    proposal = _visible_proposal(proposal_id)
    return _act(proposal, _action(action, openapi.PROPOSAL_ACTIONS), proposal)


@bp.post("/assignments/<int:assignment_id>/actions/<action>")
def assignment_action(assignment_id: int, action: str):
    assignment = _visible_assignment(assignment_id)
    return _act(assignment, _action(action, openapi.ASSIGNMENT_ACTIONS), assignment.proposal)


# --- the letter's files ---------------------------------------------------------------------

def _letter_assignment(assignment_id: int) -> Assignment:
    return documents.readable(g.api_user, _visible_assignment(assignment_id))


def _round_arg() -> int | None:
    raw = request.args.get("round", "")
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 1000:
        raise ValidationFailed("round 应为正整数。", {"round": ["应为正整数。"]})
    return int(raw)


@bp.get("/assignments/<int:assignment_id>/letter.pdf")
def issued_letter_pdf(assignment_id: int):
    """The issued letter exactly as stored and signed at issue (?round=N)."""
    assignment = _letter_assignment(assignment_id)
    return documents.send(documents.issued_pdf(documents.issued_reply(assignment, _round_arg())))


@bp.get("/assignments/<int:assignment_id>/letter.docx")
def issued_letter_docx(assignment_id: int):
    """The issued letter as a Word document in the PDF's layout (?round=N)."""
    assignment = _letter_assignment(assignment_id)
    reply = documents.issued_reply(assignment, _round_arg())
    return documents.send(documents.issued_docx(assignment, reply))


@bp.get("/assignments/<int:assignment_id>/opinions/<int:opinion_id>/letter.pdf")
def opinion_letter_pdf(assignment_id: int, opinion_id: int):
    """The 会办意见函 of an approved co-handling opinion."""
    assignment = _visible_assignment(assignment_id)
    return documents.send(documents.opinion_letter(g.api_user, assignment, opinion_id))


@bp.get("/assignments/<int:assignment_id>/drafts/<int:number>/letter.pdf")
def draft_letter_pdf(assignment_id: int, number: int):
    """A draft version's letter, watermarked 草稿, as the preview page shows it."""
    assignment = _letter_assignment(assignment_id)
    return documents.send(documents.draft_pdf(assignment,
                                            documents.draft_version(assignment, number)))


@bp.get("/assignments/<int:assignment_id>/drafts/<int:number>/letter.docx")
def draft_letter_docx(assignment_id: int, number: int):
    """A draft version's letter as a Word document in the PDF's layout."""
    assignment = _letter_assignment(assignment_id)
    return documents.send(documents.draft_docx(assignment,
                                             documents.draft_version(assignment, number)))


# --- ratings -------------------------------------------------------------------------------

# --- notifications -------------------------------------------------------------------------

@bp.get("/notifications")
def list_notifications():
    from tracker.notifications import operations as notices

    errors: dict[str, list[str]] = {}
    page_number = _page_arg("page", 1, 2**31 - 1, errors)
    per_page = _page_arg("per_page", current_app.config["ITEMS_PER_PAGE"], openapi.MAX_PER_PAGE,
                         errors)
    unread_only = request.args.get("unread", "false")
    if unread_only not in ("true", "false"):
        errors["unread"] = ["应为 true 或 false。"]
    if errors:
        raise ValidationFailed("筛选条件有误。", errors)
    query = notices.for_user(g.api_user, unread_only=unread_only == "true")
    page = db.paginate(query, page=page_number, per_page=per_page,
                       max_per_page=openapi.MAX_PER_PAGE, error_out=False)
    return _send(serializers.notification_page(
        page.items, unread=notices.unread_count(g.api_user), page=page_number,
        per_page=per_page, total=page.total or 0, pages=page.pages))


@bp.post("/notifications/<int:notification_id>/read")
def read_notification(notification_id: int):
    from tracker.notifications import operations as notices

    found = notices.own_notification(g.api_user, notification_id)
    if found is None:
        raise NotFound("找不到该通知。")
    notices.mark_read(found)
    db.session.commit()
    return _send(serializers.notification(found))


def _page_arg(name: str, default: int, maximum: int, errors: dict) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    value = int(raw) if raw.isascii() and raw.isdigit() else 0
    if not 1 <= value <= maximum:
        errors[name] = [f"应为 1 到 {maximum} 之间的整数。"]
        return default
    return value


@bp.post("/replies/<int:reply_id>/ratings")
def enter_paper_rating(reply_id: int):
    """A clerk enters an author's paper 征询意见表 on their behalf (recorded as such)."""
    actor = g.api_user
    reply = _get(Reply, reply_id, "找不到该答复。")
    if not permissions.can_view_assignment(actor, reply.assignment):
        raise Hidden("找不到该答复。")
    if not permissions.is_supervisor(actor):
        raise PermissionDenied("只有交办员可以代提出人录入纸质征询意见表。")
    form = inputs.validated_form(rating_forms.PaperRatingInput)
    rating_operations.enter_paper_rating(reply, form.author_id.data, form.answers(), actor)
    db.session.commit()
    proposal = reply.assignment.proposal
    return _created(serializers.proposal_detail(proposal, actor),
                    url_for("api.get_proposal", proposal_id=proposal.id))
