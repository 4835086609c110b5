"""The printed 征询意见表: one A4 page per author with the questions of the online form and
room for comments and a signature; the personal rating link (text and QR code) only when the
supervising office made one for it, else a note that the office sends the link."""
from __future__ import annotations

import hashlib

from flask import render_template
from sqlalchemy import select

from tracker.core.states import Satisfaction
from tracker.core.time import to_local
from tracker.extensions import db
from tracker.handling.models import ContactMethod
from tracker.letters.documents import render_page
from tracker.letters.render import qr_path
from tracker.proposals.models import Author
from tracker.ratings.models import RatingRequest
from tracker.ratings.operations import group_code, link_url, normalize_code
from tracker.replies.models import Reply

TITLE = "建议提案办理情况征询意见表"
NO_LINK_NOTE = "评价链接由督办单位另行发送"
QUESTIONS = (("handling", "对办理工作的评价"), ("result", "对办理结果的评价"))



def public_code_url() -> str:
    """The page where the code of a paper form is typed (the link without its token)."""
    return link_url("")[:-1]


def render_rating_form(reply: Reply, author: Author, token: str | None = None) -> bytes:
    """The form of one author as PDF bytes, with the link of this token if one is given;
    nothing outside the page itself is fetched."""
    return render_page(form_page(reply, author, token), TITLE, "rating-form.html")


def form_page(reply: Reply, author: Author, token: str | None = None) -> str:
    """The form of one author as an HTML page (with the link of this token if given)."""
    url = link_url(token) if token else None
    link = db.session.scalar(select(RatingRequest).where(
        RatingRequest.token_hash == hashlib.sha256(token.encode("utf-8")).hexdigest())
    ) if token else None
    assignment = reply.assignment
    page = render_template(
        "ratings/form_pdf.html", title=TITLE, reply=reply, author=author,
        proposal=assignment.proposal, unit=assignment.unit, url=url,
        code=group_code(normalize_code(token)) if token else None,
        code_page=public_code_url() if token else None,
        qr=qr_path(url) if url else None, no_link_note=NO_LINK_NOTE,
        issued_on=to_local(reply.issued_at).date() if reply.issued_at else None,
        expires_on=to_local(link.expires_at).date() if link else None,
        questions=QUESTIONS, answers=list(Satisfaction), methods=list(ContactMethod))
    return page
