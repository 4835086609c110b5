"""The printed 征询意见表: one A4 page per author with the questions of the online form and
room for comments and a signature; the personal rating link (text and QR code) only when the
supervising office made one for it, else a note that the office sends the link."""
from __future__ import annotations

import hashlib
import html
import re
import threading

from flask import render_template
from sqlalchemy import select

from tracker.core.states import Satisfaction
from tracker.core.time import to_local
from tracker.extensions import db
from tracker.handling.models import ContactMethod
from tracker.letters import fonts as letter_fonts
from tracker.letters.fetcher import LetterFetcher
from tracker.letters.render import _fonts_css, qr_path
from tracker.proposals.models import Author
from tracker.ratings.models import RatingRequest
from tracker.ratings.operations import link_url
from tracker.replies.models import Reply

TITLE = "建议提案办理情况征询意见表"
NO_LINK_NOTE = "评价链接由督办单位另行发送"
QUESTIONS = (("handling", "对办理工作的评价"), ("result", "对办理结果的评价"))

_lock = threading.Lock()  # WeasyPrint and fontconfig are not used from two threads at once
_TAGS = re.compile(r"<[^>]+>")


def render_rating_form(reply: Reply, author: Author, token: str | None = None) -> bytes:
    """The form of one author as PDF bytes, with the link of this token if one is given;
    nothing outside the page itself is fetched."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    url = link_url(token) if token else None
    link = db.session.scalar(select(RatingRequest).where(
        RatingRequest.token_hash == hashlib.sha256(token.encode("utf-8")).hexdigest())
    ) if token else None
    assignment = reply.assignment
    page = render_template(
        "ratings/form_pdf.html", title=TITLE, reply=reply, author=author,
        proposal=assignment.proposal, unit=assignment.unit, url=url,
        qr=qr_path(url) if url else None, no_link_note=NO_LINK_NOTE,
        issued_on=to_local(reply.issued_at).date() if reply.issued_at else None,
        expires_on=to_local(link.expires_at).date() if link else None,
        questions=QUESTIONS, answers=list(Satisfaction), methods=list(ContactMethod))
    text = html.unescape(_TAGS.sub("", page.split("<body", 1)[-1]))
    with _lock:
        # Body text in the letters' 仿宋 face, the title in their 小标宋, labels in 黑体;
        # a face that lacks a character (…, ☐, digits) gets a fallback face for it.
        chosen, _warnings = letter_fonts.choose({
            "body": text, "title": TITLE, "heading1": text, "heading2": "", "digits": ""})
        fetcher = LetterFetcher()
        font_config = FontConfiguration()
        fonts = CSS(string=_fonts_css(chosen, fetcher), url_fetcher=fetcher,
                    font_config=font_config, base_url="tracker-asset:fonts.css")
        document = HTML(string=page, url_fetcher=fetcher,
                        base_url="tracker-asset:rating-form.html")
        return document.write_pdf(stylesheets=[fonts], font_config=font_config)
