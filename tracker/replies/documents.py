"""The letter's files as the pages and the API serve them: a draft version's preview (PDF)
and Word file, the issued letter (the stored, signed PDF) and its Word file. Both .docx are
built from the same Letter as the PDF (tracker.letters.docx_export)."""
from __future__ import annotations

import io
import json
from dataclasses import dataclass

from flask import send_file

from tracker.core.errors import Hidden, NotFound, PermissionDenied
from tracker.core.time import to_local
from tracker.extensions import db
from tracker.handling import permissions
from tracker.handling.models import Assignment, CoOpinion
from tracker.replies import letter, queries
from tracker.replies.models import DraftVersion, Reply

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass
class LetterFile:
    content: bytes
    mimetype: str
    filename: str


def send(file: LetterFile):
    """The file as a response: PDFs shown in the browser, Word files downloaded."""
    return send_file(io.BytesIO(file.content), mimetype=file.mimetype,
                     as_attachment=file.mimetype != PDF, download_name=file.filename,
                     max_age=0)


def readable(actor, assignment: Assignment) -> Assignment:
    """The assignment when ``actor`` may read its drafts and letters; else Hidden/403."""
    if not permissions.can_view_assignment(actor, assignment):
        raise Hidden()
    if not permissions.can_read_draft(actor, assignment):
        raise PermissionDenied("分办单位的答复稿只有本单位和交办员可以查看。")
    return assignment


def opinion_letter(actor, assignment: Assignment, opinion_id: int) -> LetterFile:
    """The 会办意见函 of the assignment's approved opinion, for whoever may read the opinion;
    Hidden when the item is not theirs, NotFound for another or an unapproved opinion."""
    from tracker.replies import opinion_letter as letter_of_opinion

    if not permissions.can_view_assignment(actor, assignment):
        raise Hidden()
    opinion = db.session.get(CoOpinion, opinion_id)
    if opinion is None or opinion.assignment_id != assignment.id or not opinion.is_approved:
        raise NotFound("找不到该会办意见函（会办意见尚未批准或不存在）。")
    if not permissions.can_read_opinion(actor, opinion):
        raise Hidden()
    return LetterFile(letter_of_opinion.render_opinion_letter(assignment, opinion), PDF,
                      letter_of_opinion.letter_filename(assignment, opinion))


def draft_version(assignment: Assignment, number: int | None) -> DraftVersion:
    """The version numbered ``number`` (None: the latest), or NotFound."""
    draft = (queries.draft_by_number(assignment, number) if number is not None
             else queries.latest_draft(assignment))
    if draft is None:
        raise NotFound("找不到该稿件。")
    return draft


def issued_reply(assignment: Assignment, round_number: int | None) -> Reply:
    wanted = round_number or assignment.round
    reply = next((r for r in queries.replies_of(assignment) if r.round == wanted), None)
    if reply is None or reply.issued_at is None:
        raise NotFound("该轮答复尚未发文。")
    return reply


def draft_pdf(assignment: Assignment, draft: DraftVersion) -> LetterFile:
    return LetterFile(letter.preview(assignment, draft), PDF,
                      f"答复函草稿（第{draft.number}稿）.pdf")


def draft_docx(assignment: Assignment, draft: DraftVersion) -> LetterFile:
    data = letter.letter_data(assignment, draft, watermark="草稿")
    return LetterFile(letter.docx(data), DOCX, f"答复函草稿（第{draft.number}稿）.docx")


def issue_preview_pdf(assignment: Assignment, actor) -> LetterFile:
    return LetterFile(letter.issue_preview(assignment, actor), PDF,
                      f"发文预览稿（{letter.next_doc_number(assignment)}）.pdf")


def issued_pdf(reply: Reply) -> LetterFile:
    content = letter.stored_letter(reply)
    if content is None:
        raise NotFound("找不到该答复函文件。")
    return LetterFile(content, PDF, f"{reply.doc_number}.pdf")


def issued_docx(assignment: Assignment, reply: Reply) -> LetterFile:
    """The issued letter in Word: the same data it was rendered from at issue (number, date,
    reviewers, verification code), without the seal and the signature."""
    if reply.letter_data:
        data = json.loads(reply.letter_data)
    else:  # issued before the data was kept: rebuilt from the reply as it stands
        data = letter.letter_data(assignment, reply.draft_version, doc_number=reply.doc_number,
                                  reply=reply, verify_code=reply.verify_code,
                                  on=to_local(reply.issued_at).date())
    return LetterFile(letter.docx(data), DOCX, f"{reply.doc_number}.docx")
