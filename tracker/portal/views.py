"""The public portal (no login): the published replies listed and searched, each version's
page and public PDF, the Atom feed, and the public statistics.

Every page here reads the publications (their header and public text) and nothing else of
an item: no author's detail, no internal note, no withheld reply can reach it.
"""
from __future__ import annotations

import io

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    render_template,
    request,
    send_file,
    url_for,
)
from sqlalchemy import select

from tracker.core.time import utcnow
from tracker.core.views import int_arg, load_or_404
from tracker.extensions import db
from tracker.portal import queries, stats
from tracker.proposals.models import Meeting
from tracker.publication import publish as publish_ops
from tracker.publication.models import Publication
from tracker.search.text import snippet
from tracker.supervision.tables import format_cell

bp = Blueprint("portal", __name__, url_prefix="/public")

PER_PAGE = 20
YEAR_MIN, YEAR_MAX = 1949, 2100  # the years a filter may name
# Public pages are the same for everyone: a shared cache may keep them a little while.
CACHE = "public, max-age=300"


@bp.before_request
def _public_cache() -> None:
    g.public_cache = CACHE  # the same for everyone (the app's headers apply it)


def _text_arg(name: str, limit: int) -> str:
    """A query-string text without control characters (PostgreSQL refuses NUL)."""
    raw = request.args.get(name, "")
    return "".join(c for c in raw if c.isprintable() or c == " ").strip()[:limit]


def _filters() -> queries.Filters:
    year = int_arg("year", YEAR_MAX)
    return queries.Filters(
        q=_text_arg("q", 100), meeting_id=int_arg("meeting"), unit_id=int_arg("unit"),
        year=year if year and year >= YEAR_MIN else None, category=_text_arg("category", 60))


@bp.get("/")
def index():
    """The published replies, newest first; filters by meeting, unit, year and 分类; search."""
    filters = _filters()
    page, terms = queries.search(filters, page=int_arg("page") or 1, per_page=PER_PAGE)
    snippets = {row.id: snippet(row.public_text, terms) for row in page.items} if terms else {}
    args = {k: v for k, v in (("q", filters.q), ("meeting", filters.meeting_id),
                              ("unit", filters.unit_id), ("year", filters.year),
                              ("category", filters.category)) if v}
    return render_template("portal/index.html", page=page, filters=filters,
                           facets=queries.facets(), snippets=snippets, args=args)


@bp.get("/<int:publication_id>")
def show(publication_id: int):
    """One version's page (never changed: a correction is a new version with its own page)."""
    row = load_or_404(Publication, publication_id)
    versions = queries.versions(row)
    return render_template("portal/show.html", row=row, versions=versions,
                           latest=versions[-1])


@bp.get("/<int:publication_id>.pdf")
def pdf(publication_id: int):
    """The public PDF of one version (rendered from the public text, no seal or code)."""
    row = load_or_404(Publication, publication_id)
    if not row.pdf_name:
        abort(404)
    return send_file(io.BytesIO(publish_ops.pdf_of(row)), mimetype="application/pdf",
                     download_name=f"{row.index_number.replace('/', '-')}-v{row.version}.pdf")


@bp.get("/feed.atom")
def feed():
    """Atom: the newest publications and corrections."""
    entries = queries.feed()
    body = render_template("portal/feed.xml", entries=entries,
                           updated=entries[0].published_at if entries else utcnow(),
                           base=current_app.config["PUBLIC_BASE_URL"].rstrip("/"),
                           feed_url=url_for("portal.feed"))
    return Response(body, mimetype="application/atom+xml")


@bp.get("/statistics")
def statistics():
    """Per meeting (or all) and unit: items, replies on time, 满意率, published, 办成率."""
    meeting_id = int_arg("meeting")
    meeting = db.session.get(Meeting, meeting_id) if meeting_id else None
    rows, total = stats.statistics(meeting.id if meeting else None)
    meetings = db.session.scalars(select(Meeting).order_by(Meeting.year.desc(), Meeting.name))
    return render_template("portal/statistics.html", rows=rows, total=total, meeting=meeting,
                           meetings=list(meetings), format_cell=format_cell)
