"""The public version of an issued reply and its confirmation (办理结果公开).

The public text is derived from the issued letter's input (never from the signed PDF): its
body, opening and closing with every match of the redaction rules, the authors' contact
details and the words the reviewers, the signer and the confirming clerk marked replaced by
［已删除］; or, for 摘要公开, the summary (redacted the same way). The public PDF is rendered
from it in the letter's layout, without seal, verification code, 附注 (contact), 抄送 or
review trail. A person confirms what will be published; each publication is a new row, a
correction a new version of the same 索引号 with a note.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import select

from tracker.accounts.models import Role, Unit, User
from tracker.audit.log import record as audit_record
from tracker.core.batch import batched
from tracker.core.errors import DomainError, PermissionDenied, ValidationFailed
from tracker.core.time import today
from tracker.core.touched import items_touched
from tracker.extensions import db
from tracker.files.storage import put_in_transaction
from tracker.handling.workflow import lock_item
from tracker.letters import inputs as letter_inputs
from tracker.letters.inputs import letter_title
from tracker.publication import queries
from tracker.publication.models import Publication
from tracker.publication.redaction import Redacted, redact, segments
from tracker.replies import letter
from tracker.replies.choices import PublicationMode, SeriesKind
from tracker.replies.disclosure import marked_words
from tracker.replies.models import Reply, ReviewDecision
from tracker.replies.operations import allocate_number

PUBLIC = "letters/public/"  # the public PDFs, beside the issued letters in the store
PARTS = (("salutation", "称谓"), ("opening", "开头语"), ("body", "正文"), ("closing", "结束语"))
NOTE_MAX = 500
NO_CREDIT_CODE = ("本单位尚未设置统一社会信用代码，无法生成公开页面的索引号。"
                  "请联系系统管理员在“系统管理 → 单位与处室”中填写后再确认公开。")


class NotPublishable(DomainError):
    status = 409


def can_publish(user: User, reply: Reply) -> bool:
    """The unit's clerk (who issued it) confirms its publication."""
    assignment = reply.assignment
    return (user.is_authenticated and user.unit_id == assignment.unit_id
            and user.has_role(Role.unit_clerk))


def _published_of(assignment_ids: list[int]) -> dict[int, list[Publication]]:
    found: dict[int, list[Publication]] = {}
    for assignment_id, row in db.session.execute(
            select(Reply.assignment_id, Publication)
            .join(Reply, Reply.id == Publication.reply_id)
            .where(Reply.assignment_id.in_(assignment_ids))
            .order_by(Publication.reply_id, Publication.version)):
        found.setdefault(assignment_id, []).append(row)
    return found


@batched(_published_of, default=list)
def _published(assignment) -> list[Publication]:
    return _published_of([assignment.id]).get(assignment.id, [])


def versions(reply: Reply) -> list[Publication]:
    """A reply's published versions, oldest first (the item page's units: one query)."""
    return [row for row in _published(reply.assignment) if row.reply_id == reply.id]


@dataclass
class PublicDraft:
    """What would be published now: per part, the redaction and the cuts to show."""

    mode: PublicationMode
    parts: list[tuple[str, str, Redacted, list]]  # (key, label, redacted, segments)
    data: dict  # the public PDF's input

    @property
    def text(self) -> str:
        return "\n".join(r.text for _, _, r, _ in self.parts if r.text)

    @property
    def removals(self) -> list:
        return [(label, r) for _, label, red, _ in self.parts for r in red.removals]

    @property
    def slow_rules(self) -> list[str]:
        return sorted({name for _, _, red, _ in self.parts for name in red.slow_rules})


def reviewers_words(reply: Reply) -> list[str]:
    """The words marked by the reviewers and the signer of the signed draft."""
    words: list[str] = []
    for text in db.session.scalars(select(ReviewDecision.redact_words).where(
            ReviewDecision.assignment_id == reply.assignment_id,
            ReviewDecision.draft_version_id == reply.draft_version_id)):
        words += [w for w in text.splitlines() if w and w not in words]
    return words


def author_contacts(reply: Reply) -> list[str]:
    contacts = []
    for author in reply.assignment.proposal.authors:
        contacts += [v.strip() for v in (author.phone, author.email, author.address)
                     if v and v.strip()]
    return contacts


def public_draft(reply: Reply, extra_words: list[str] = ()) -> PublicDraft:
    if reply.issued_at is None or not reply.letter_data:
        raise NotPublishable("答复尚未发文，不能公开。")
    mode = PublicationMode(reply.publication)
    if mode == PublicationMode.withheld:
        raise NotPublishable("该答复签发时确认不予公开。")
    data = json.loads(reply.letter_data)
    # The salutation and opening as the letter printed them (generated unless written).
    printed = letter_inputs.parse(data)
    data["salutation"], data["opening"] = printed.salutation, printed.opening
    rules = queries.compiled_rules()
    contacts, marked = author_contacts(reply), [*reviewers_words(reply), *extra_words]
    summary = mode == PublicationMode.summary
    sources = [(key, label, data.get(key) or "") for key, label in PARTS
               if not (summary and key == "closing")]
    if summary:  # the letter's greeting, then the summary in place of the body
        sources[2] = ("body", "摘要", reply.public_summary)
        data["closing"] = ""
    parts = []
    for key, label, text in sources:
        done = redact(text, rules, contacts, marked)
        parts.append((key, label, done, segments(text, done.removals)))
        data[key] = done.text
    # The public letter: no seal, no verification, no contact, 抄送 or review trail.
    data.update(signature=False, verification=None, contact=None, cc=None, reviewers=None)
    data.pop("watermark", None)
    return PublicDraft(mode, parts, data)


def index_number(unit: Unit, year: int, serial: int) -> str:
    fmt = unit.index_format or current_app.config["PUBLIC_INDEX_FORMAT"]
    return fmt.format(code=unit.credit_code or "（未设置信用代码）", year=year, serial=serial)


def publish(reply: Reply, actor: User, *, extra_words: str = "", note: str = "") -> Publication:
    """Confirm the public version as shown and publish it: a new row (the first, or a
    correction with its note), the public PDF in the store, the audit log."""
    if not can_publish(actor, reply):
        raise PermissionDenied("只有本单位联络员可以确认公开。")
    words, errors = marked_words(extra_words)
    if not reply.assignment.unit.credit_code:
        raise ValidationFailed(NO_CREDIT_CODE, {"credit_code": [NO_CREDIT_CODE]})
    # Two confirmations at once: the second waits here, then counts as a correction.
    lock_item(reply.assignment.proposal_id)
    earlier = versions(reply)
    note = (note or "").strip()
    if earlier and not note:
        errors["note"] = ["已公开的答复只能更正：请说明更正的内容和原因。"]
    elif len(note) > NOTE_MAX:
        errors["note"] = [f"说明不能超过 {NOTE_MAX} 字。"]
    if errors:
        raise ValidationFailed("公开内容有误，请按提示修改。", {
            ("extra_words" if k == "redact_words" else k): v for k, v in errors.items()})
    draft = public_draft(reply, words.splitlines())
    assignment, on = reply.assignment, today()
    proposal = assignment.proposal
    # Rendered before the 索引号 is taken (the PDF does not carry it): the series' row is
    # locked only for the rest of the transaction, not while the letter renders.
    pdf, _report = letter.render(draft.data)
    if earlier:
        number, version = earlier[0].index_number, earlier[-1].version + 1
    else:
        _, serial = allocate_number(assignment.unit, SeriesKind.publication, on.year)
        number, version = index_number(assignment.unit, on.year, serial), 1
    name = f"{secrets.token_hex(16)}.pdf"
    put_in_transaction(PUBLIC + name, pdf)
    data = draft.data  # the issued letter's input, its texts made public
    row = Publication(
        reply_id=reply.id, proposal_id=proposal.id, unit_id=assignment.unit_id,
        version=version, mode=draft.mode.value, index_number=number,
        category=proposal.category or "建议提案办理", issuer=assignment.unit.name,
        written_on=date.fromisoformat(data["date"]) if data.get("date")
        else reply.issued_at.date(),
        title=letter_title(data["meeting"], data["number"], data["kind"]),
        doc_number=reply.doc_number or "",
        published_on=on, public_text=draft.text,
        letter_data=json.dumps(draft.data, ensure_ascii=False, sort_keys=True),
        removals=json.dumps([{"part": label, "text": r.text, "why": r.why}
                             for label, r in draft.removals], ensure_ascii=False),
        marked_words=words, note=note, pdf_name=name,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(), pdf_size=len(pdf),
        confirmed_by_id=actor.id, confirmed_by_name=actor.full_name)
    db.session.add(row)
    db.session.flush()
    items_touched(db.session, [proposal.id])  # its public row in the portal's search
    audit_record("publish_reply", actor=actor, unit_id=assignment.unit_id,
                 object_type="reply", object_id=reply.id, proposal_id=proposal.id,
                 details={"version": version, "index_number": number, "mode": draft.mode.value,
                          "removals": len(draft.removals), **({"note": note} if note else {})})
    return row


def pdf_of(row: Publication) -> bytes:
    from tracker.files.store import store

    return store().get(PUBLIC + row.pdf_name)

