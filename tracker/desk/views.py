"""The to-do list, the item list and its exports, registration, item detail and meetings."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload, selectinload

from tracker.accounts.models import Unit, User
from tracker.core import batch
from tracker.core.errors import Hidden, PermissionDenied
from tracker.core.forms import strip_control
from tracker.core.states import Satisfaction
from tracker.core.templating import url_pattern
from tracker.core.time import today
from tracker.core.views import FAILED, attempt, int_arg, load_or_404, me
from tracker.desk import queries
from tracker.extensions import db
from tracker.handling import permissions
from tracker.handling.models import (
    Assignment,
    Contact,
    CoOpinion,
    Deadline,
    DeadlineExtension,
)
from tracker.handling.queries import ListFilters
from tracker.handling.workflow import ProposalState, allowed_actions
from tracker.instructions import operations as instruction_ops
from tracker.instructions import sheet
from tracker.proposals import operations
from tracker.proposals.forms import MeetingEditForm, MeetingForm, ProposalEditForm, ProposalForm
from tracker.proposals.models import Body, Disclosure, ItemKind, Level, Meeting, Proposal
from tracker.replies.views import draft_waiting_days
from tracker.search import query as search
from tracker.supervision import exports
from tracker.supervision.forms import UrgeForm
from tracker.supervision.models import URGE_MESSAGE_MAX
from tracker.supervision.permissions import can_urge

bp = Blueprint("proposals", __name__)


def load_visible_proposal(proposal_id: int, *options) -> Proposal:
    """The item, or 404 when it does not exist or belongs to other units."""
    proposal = (db.session.scalar(select(Proposal).where(Proposal.id == proposal_id)
                                  .options(*options)) if options
                else load_or_404(Proposal, proposal_id))
    if proposal is None:
        abort(404)
    if not permissions.can_view_proposal(current_user, proposal):
        raise Hidden()
    return proposal


def _int_arg(name: str) -> int | None:
    return int_arg(name)


@bp.get("/")
@login_required
def todo():
    per_page = _todo_page_size()
    page = queries.todo_page(me(), _int_arg("page") or 1, per_page)
    return render_template("proposals/todo.html", page=page, rows=_todo_rows(page.items),
                           sizes=current_app.config["TODO_PAGE_SIZES"], per_page=per_page)


def _todo_page_size() -> int:
    """Rows per to-do page: the one chosen (?per=, remembered for the session), or the
    default."""
    sizes = current_app.config["TODO_PAGE_SIZES"]
    chosen = _int_arg("per")
    if chosen in sizes:
        if session.get("todo_per") != chosen:
            session["todo_per"] = chosen
        return chosen
    remembered = session.get("todo_per")
    return remembered if remembered in sizes else sizes[0]


@dataclass(slots=True)
class _TodoRow:
    """What a to-do row shows, worked out once (a page of rows costs a row at a time)."""

    entry: queries.TodoEntry
    deadline: Deadline | None = None  # (Assignment.deadline)
    return_due: str = ""  # a return request's own deadline, shown instead
    waited: int | None = None
    unit: str = ""
    links: list = field(default_factory=list)  # (address, label) of the row's actions
    more: list = field(default_factory=list)   # and of its secondary actions

    @property
    def overdue(self) -> bool:
        return self.deadline is not None and self.deadline.late is not None


def _todo_rows(entries: list[queries.TodoEntry]) -> list[_TodoRow]:
    on = today()
    of_assignment = url_pattern("handling.assignment_action", "assignment_id", "name")
    of_proposal = url_pattern("handling.proposal_action", "proposal_id", "name")
    rows = []
    for e in entries:
        row, a = _TodoRow(e), e.assignment
        if a is None:
            row.links = [(of_proposal(e.proposal.id, x.value), x.label) for x in e.actions]
            rows.append(row)
            continue
        row.deadline = a.deadline(on)
        if e.what.endswith("申请退回"):
            row.return_due = e.due_on.isoformat()
        row.waited = draft_waiting_days(a)
        row.unit = f"{a.unit.display_name}（{a.role.label}）"
        row.links = [(of_assignment(a.id, x.value), x.label) for x in e.actions]
        row.more = [(of_assignment(a.id, x.value), x.label) for x in e.secondary]
        rows.append(row)
    return rows


def _list_filters() -> ListFilters:
    """The item list's filters from the query string (the list and its exports)."""
    return ListFilters(
        meeting_id=_int_arg("meeting"),
        kind=request.args.get("kind") if request.args.get("kind") in {k.value for k in ItemKind}
        else None,
        unit_id=_int_arg("unit"),
        state=request.args.get("state")
        if request.args.get("state") in {s.value for s in ProposalState} else None,
        overdue=request.args.get("overdue") == "1",
        key_only=request.args.get("key") == "1",
        # No stored text holds control characters, and PostgreSQL refuses a NUL parameter.
        q=strip_control(request.args.get("q") or "").strip()[:100],
        year=_int_arg("year"),
        result_class=request.args.get("class")
        if request.args.get("class") in current_app.config["RESULT_CLASS_MAP"] else None,
        rating=request.args.get("rating")
        if request.args.get("rating") in {r.value for r in Satisfaction} else None,
    )


def _filter_choices() -> dict:
    """What the list's and the search page's filters offer this user."""
    meetings = list(db.session.scalars(
        select(Meeting).order_by(Meeting.year.desc(), Meeting.name)))
    units = db.session.scalars(
        select(Unit).where(Unit.is_supervising.is_(False)).order_by(Unit.name))
    if not permissions.oversees(current_user):
        units = [u for u in units if u.id == current_user.unit_id]
    return dict(meetings=meetings, units=list(units), kinds=list(ItemKind),
                states=list(ProposalState), years=sorted({m.year for m in meetings}, reverse=True),
                classes=current_app.config["RESULT_CLASS_MAP"], ratings=list(Satisfaction))


def _list_page(template: str, per_page: int):
    filters = _list_filters()
    user = me()
    page = search.paginate(user, filters, page=_int_arg("page") or 1, per_page=per_page)
    hits = search.hits(user, filters.q, [p.id for p in page.items])
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(template, page=page, filters=filters, hits=hits, args=args,
                           **_filter_choices())


@bp.get("/proposals")
@login_required
def index():
    return _list_page("proposals/index.html", current_app.config["ITEMS_PER_PAGE"])


@bp.get("/search")
@login_required
def search_page():
    """全文检索: the items matching the text, each with its best matching passages (item,
    authors, replies, opinions, contacts, instructions), as the user may read them."""
    return _list_page("proposals/search.html", 20)


@bp.get("/proposals/export.xlsx")
@login_required
def export_xlsx():
    """办理台账: the list with the same filters, item by item, as a workbook."""
    filters = _list_filters()
    data = exports.ledger_xlsx(exports.ledger_rows(current_user, filters),
                               exports.ledger_subtitle(filters))
    return send_file(data, as_attachment=True, download_name=exports.ledger_name(".xlsx"),
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.get("/proposals/export.csv")
@login_required
def export_csv():
    """办理台账 as CSV (UTF-8 with a byte order mark, for Excel)."""
    data = exports.ledger_csv(exports.ledger_rows(current_user, _list_filters()))
    return send_file(data, as_attachment=True, download_name=exports.ledger_name(".csv"),
                     mimetype="text/csv; charset=utf-8")


def _meeting_choices() -> list[tuple[int, str]]:
    meetings = db.session.scalars(select(Meeting).order_by(Meeting.year.desc(), Meeting.name))
    return [(m.id, m.name) for m in meetings]


@bp.route("/proposals/new", methods=["GET", "POST"])
@login_required
def register():
    if not permissions.can_register(current_user):
        raise PermissionDenied("只有交办员可以登记建议提案。")
    form = ProposalForm()
    form.meeting_id.choices = _meeting_choices()
    if not form.meeting_id.choices:
        flash("请先新建会议，再登记建议提案。", "warning")
        return redirect(url_for("proposals.new_meeting"))
    if form.validate_on_submit():
        meeting = db.session.get(Meeting, form.meeting_id.data)
        proposal = attempt(form, lambda: operations.register_proposal(
            current_user,
            meeting=meeting,
            kind=ItemKind(form.kind.data) if form.kind.data else None,
            number=form.number.data,
            title=form.title.data,
            body=form.body.data or "",
            category=form.category.data or "",
            is_key=form.is_key.data,
            disclosure=Disclosure(form.disclosure.data),
            received_on=form.received_on.data,
            authors=[entry.data for entry in form.authors.entries]))
        if proposal is not FAILED:
            flash(f"已登记{proposal.meeting.name}第{proposal.number}号。", "success")
            return redirect(url_for("proposals.detail", proposal_id=proposal.id))
    elif form.errors:
        flash("登记信息有误，请按提示修改。", "danger")
    return render_template("proposals/new.html", form=form), 422 if form.errors else 200


# Everything the item page shows, loaded with the item (a fixed number of queries, however
# many units, contacts and opinions it has).
# The people named on the page are shown by name: their roles (a query of their own) are not
# loaded with them.
_NAMED = lazyload(User.role_rows)
_ASSIGNMENT_LOADS = (
    joinedload(Assignment.unit), joinedload(Assignment.section),
    joinedload(Assignment.drafter).options(_NAMED),
    joinedload(Assignment.extension).options(
        joinedload(DeadlineExtension.requested_by).options(_NAMED),
        joinedload(DeadlineExtension.decided_by).options(_NAMED)),
    # (joined: an assignment has a few contacts and opinion versions; a query less each)
    joinedload(Assignment.contacts).joinedload(Contact.created_by).options(_NAMED),
    joinedload(Assignment.opinions).options(
        joinedload(CoOpinion.attachment), joinedload(CoOpinion.submitted_by).options(_NAMED),
        joinedload(CoOpinion.decided_by).options(_NAMED)),
)
DETAIL_LOADS = (
    joinedload(Proposal.meeting), joinedload(Proposal.authors),
    selectinload(Proposal.members).joinedload(Proposal.meeting),
    joinedload(Proposal.merged_into).joinedload(Proposal.meeting),
    selectinload(Proposal.assignments).options(*_ASSIGNMENT_LOADS),
)


@bp.get("/proposals/<int:proposal_id>")
@login_required
def detail(proposal_id: int):
    proposal = load_visible_proposal(proposal_id, *DETAIL_LOADS)
    user = me()
    urging = any(can_urge(user, a) for a in proposal.assignments)
    # The page only reads: the questions its sections ask of each unit's assignment (the
    # latest draft, the replies, the decisions) are answered once for all of them.
    with batch.rows(proposal.assignments):
        return render_template(
            "proposals/detail.html",
            proposal=proposal,
            proposal_actions=allowed_actions(proposal, user),
            events=queries.visible_timeline(proposal, user),
            urge_form=UrgeForm(formdata=None) if urging else None, can_urge=can_urge,
            urge_max=URGE_MESSAGE_MAX,
            own_assignments={a.id for a in proposal.assignments if a.unit_id == user.unit_id},
            instructions=instruction_ops.visible_instructions(proposal, user),
            may_print_sheet=sheet.can_print(user, proposal),
        )


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@login_required
def edit(proposal_id: int):
    proposal = load_visible_proposal(proposal_id)
    if not permissions.can_register(current_user):
        raise PermissionDenied("只有交办员可以修改登记信息。")
    form = ProposalEditForm(obj=proposal)
    if request.method == "GET":
        form.disclosure.data = proposal.disclosure.value
        while len(form.authors.entries) < max(4, len(proposal.authors) + 1):
            form.authors.append_entry()
    if form.validate_on_submit():
        changed = attempt(form, lambda: operations.update_proposal(
            current_user, proposal, number=form.number.data, title=form.title.data,
            body=form.body.data or "", category=form.category.data or "",
            is_key=form.is_key.data, disclosure=Disclosure(form.disclosure.data),
            received_on=form.received_on.data,
            authors=[entry.data for entry in form.authors.entries]))
        if changed is not FAILED:
            flash("登记信息已修改。" if changed else "没有改动。", "success")
            return redirect(url_for("proposals.detail", proposal_id=proposal.id))
    elif form.errors:
        flash("修改内容有误，请按提示修改。", "danger")
    return render_template("proposals/new.html", form=form, proposal=proposal), (
        422 if form.errors else 200)


@bp.get("/meetings")
@login_required
def meetings():
    rows = db.session.scalars(select(Meeting).order_by(Meeting.year.desc(), Meeting.name))
    can_edit = permissions.is_supervisor(current_user) or permissions.is_admin(current_user)
    return render_template("proposals/meetings.html", meetings=list(rows), can_edit=can_edit)


@bp.route("/meetings/new", methods=["GET", "POST"])
@login_required
def new_meeting():
    if not (permissions.is_supervisor(current_user) or permissions.is_admin(current_user)):
        raise PermissionDenied("只有交办员或系统管理员可以新建会议。")
    form = MeetingForm()
    if form.validate_on_submit():
        meeting = attempt(form, lambda: operations.create_meeting(
            current_user, level=Level(form.level.data), body=Body(form.body.data),
            region=form.region.data, term=form.term.data, session=form.session.data,
            year=form.year.data, name=form.name.data or "",
            reply_period_months=form.reply_period_months.data,
            co_period_months=form.co_period_months.data))
        if meeting is not FAILED:
            flash(f"已新建会议「{meeting.name}」。", "success")
            return redirect(url_for("proposals.meetings"))
    return render_template("proposals/meeting_form.html", form=form, meeting=None), (
        422 if form.errors else 200)


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@login_required
def edit_meeting(meeting_id: int):
    if not (permissions.is_supervisor(current_user) or permissions.is_admin(current_user)):
        raise PermissionDenied("只有交办员或系统管理员可以修改会议。")
    meeting = load_or_404(Meeting, meeting_id)
    form = MeetingEditForm(obj=meeting)
    if form.validate_on_submit():
        outcome = attempt(form, lambda: operations.update_meeting(
            current_user, meeting, name=form.name.data,
            reply_period_months=form.reply_period_months.data,
            co_period_months=form.co_period_months.data))
        if outcome is not FAILED:
            flash("会议信息已保存。已交办事项的期限不变，新交办的按新期限计算。", "success")
            return redirect(url_for("proposals.meetings"))
    return render_template("proposals/meeting_form.html", form=form, meeting=meeting), (
        422 if form.errors else 200)
