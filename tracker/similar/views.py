"""Similar items as the clerk types (an HTML fragment or JSON), and the template helpers that
put similar items on the item page and past replies beside the draft editor."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request, url_for
from flask_login import current_user, login_required

from tracker.core.forms import strip_control
from tracker.core.views import int_arg
from tracker.similar import queries
from tracker.similar.text import BODY_CHARS

bp = Blueprint("similar", __name__)

TITLE_CHARS = 200


def _text_arg(name: str, limit: int) -> str:
    return strip_control(request.args.get(name, ""))[:limit]


@bp.get("/similar/items")
@login_required
def items():
    """The items most like ?title= (and ?body=), those of ?meeting= flagged when they may be
    the same item; ?format=json for JSON, else the panel's HTML."""
    rows = queries.similar_items(
        _text_arg("title", TITLE_CHARS), current_user, body=_text_arg("body", BODY_CHARS),
        meeting_id=int_arg("meeting"), exclude_id=int_arg("exclude"))
    if request.args.get("format") == "json":
        return jsonify({"items": [_as_json(item) for item in rows]})
    return render_template("similar/_items.html", items=rows, typed=True)


def _as_json(item: queries.SimilarItem) -> dict:
    p = item.proposal
    return {
        "id": p.id, "meeting": p.meeting.name, "year": p.meeting.year, "number": p.number,
        "title": p.title, "state": p.state.value, "state_label": p.state.label,
        "url": url_for("proposals.detail", proposal_id=p.id),
        "score": round(item.score, 3), "duplicate": item.is_duplicate,
        "units": [{"unit": a.unit.name, "role": a.role.label, "state": a.state.label}
                  for a in item.assignments],
        "replies": [{
            "unit": r.assignment.unit.name, "doc_number": r.doc_number,
            "issued_at": r.issued_at.isoformat(), "round": r.round,
            "rating": r.rating.value if r.rating else None,
            "rating_label": r.rating.label if r.rating else "",
            "letter_url": url_for("replies.issued_letter", assignment_id=r.assignment_id,
                                  round=r.round),
        } for r in item.replies],
    }


@bp.app_template_global()
def similar_to_item(proposal):
    return queries.similar_to(proposal, current_user)


@bp.app_template_global()
def past_replies_for(assignment):
    return queries.past_replies(assignment, current_user)

