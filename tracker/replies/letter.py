"""The reply letter in the app: the renderer's input built from a draft, previews, and the
PDF rendered once at issue, stored with its SHA-256 and served unchanged ever after."""
from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from tracker.core.errors import DomainError
from tracker.core.time import today
from tracker.extensions import db
from tracker.files.storage import write_in_transaction
from tracker.handling.models import Assignment, UnitRole
from tracker.handling.workflow import Action, check
from tracker.replies import queries
from tracker.replies.models import DocSeries, DraftVersion, Reply, SeriesKind
from tracker.signing import codes
from tracker.signing.keys import SigningFailed, unit_key
from tracker.signing.pdf import sign_letter
from tracker.signing.service import verify_url


class LetterFailed(DomainError):
    """The letter could not be rendered: nothing was issued, the clerk may retry."""

    status = 503


def letter_data(assignment: Assignment, draft: DraftVersion, *, doc_number: str | None = None,
                reply: Reply | None = None, watermark: str | None = None,
                verify_code: str | None = None) -> dict:
    """The renderer's input (see tracker.letters.render_letter) for this assignment's draft.

    The letter is laid out for the signature's seal and carries the verification line: the
    code and QR code of ``verify_code`` (a placeholder in previews).
    """
    proposal = assignment.proposal
    unit = assignment.unit
    co_units = []
    if assignment.role == UnitRole.lead:
        co_units = [a.unit.display_name for a in proposal.assignments
                    if a.role == UnitRole.co and a.state != "returned"]
    reviewers = None
    if reply is not None:
        reviewers = {"first": reply.first_reviewer or None,
                     "second": reply.second_reviewer or None,
                     "final": reply.final_reviewer or None}
    data = {
        "kind": proposal.kind.value,
        "meeting": proposal.meeting.name,
        "number": proposal.number,
        "title": proposal.title,
        "proposers": [a.name for a in proposal.authors],
        "lead_unit": unit.name,
        "co_units": co_units,
        "doc_number": doc_number,
        "result_class": draft.result_class,
        "disclosure": draft.disclosure,
        "signer": None,
        "salutation": draft.salutation or None,
        "opening": draft.opening or None,
        "body": draft.body,
        "closing": draft.closing or unit.closing_default or "",
        "date": today().isoformat(),
        "contact": {"name": draft.contact_name, "phone": draft.contact_phone}
        if draft.contact_name or draft.contact_phone else None,
        "cc": draft.cc_list or None,
        "reviewers": reviewers,
    }
    data["signature"] = True
    if verify_code:
        data["verification"] = {"code": codes.grouped(verify_code), "url": verify_url(verify_code)}
    else:
        data["verification"] = {"code": None,
                                "url": f"{current_app.config['PUBLIC_BASE_URL']}/verify"}
    if unit.letterhead:
        data["letterhead"] = unit.name
    if watermark:
        data["watermark"] = watermark
    return data


def render(data: dict) -> tuple[bytes, dict]:
    """Render through the letters module, turning any failure into a LetterFailed."""
    from tracker.letters import render_letter_report

    try:
        return render_letter_report(data)
    except Exception as exc:  # the renderer's own errors name the cause; keep it for the user
        current_app.logger.exception("letter rendering failed")
        raise LetterFailed(f"答复函生成失败（{exc}），事项未发文，请稍后重试或联系系统管理员。") \
            from exc


def preview(assignment: Assignment, draft: DraftVersion) -> bytes:
    """A draft's letter, watermarked 草稿, without a number."""
    return render(letter_data(assignment, draft, watermark="草稿"))[0]


def sign(pdf: bytes, report: dict, key) -> bytes:
    """The rendered letter signed with the unit's key, its seal over the unit and date."""
    if not report.get("seal_box"):
        raise SigningFailed("答复函中找不到盖章位置，无法签名，未发文。")
    try:
        return sign_letter(pdf, key, report["seal_box"])
    except Exception as exc:  # pyHanko's and the key's errors; the clerk may retry
        current_app.logger.exception("letter signing failed")
        raise SigningFailed(f"答复函签名失败（{exc}），事项未发文，请联系系统管理员。") from exc


def letters_dir() -> Path:
    path = Path(current_app.config["LETTER_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def stored_letter(reply: Reply) -> Path | None:
    if not reply.pdf_name:
        return None
    return letters_dir() / reply.pdf_name


def _next_number(assignment: Assignment, kind: SeriesKind) -> int:
    """The number the next issue of this series will take (read only; checked at issue)."""
    last = db.session.scalar(select(DocSeries.last_number).where(
        DocSeries.unit_id == assignment.unit_id, DocSeries.kind == kind,
        DocSeries.year == today().year))
    return (last or 0) + 1


def issue_with_letter(assignment: Assignment, actor, *, version: int | None = None,
                      attempts: int = 5, release_locks: bool = True) -> Reply:
    """发文 with the letter: render and sign it outside any transaction under the number the
    series will give, then issue; if another letter took that number meanwhile, do it again.
    Without a usable key (none, wrong password, expired) nothing is rendered or issued.

    release_locks=False keeps the caller's transaction open (the demo loader, which builds
    everything in one transaction and has no concurrent issuers).
    """
    from tracker.replies import operations

    check(assignment, Action.issue, actor)
    key = unit_key(assignment.unit)
    code = codes.new_code()
    assignment_id = assignment.id
    for _ in range(attempts):
        assignment = db.session.get(Assignment, assignment_id)
        kind = operations.series_kind(assignment)
        prefix = operations.prefix_for(assignment, kind)
        number = _next_number(assignment, kind)
        reply = queries.current_reply(assignment)
        draft = reply.draft_version
        doc_number = operations.format_doc_number(prefix, today().year, number)
        data = letter_data(assignment, draft, doc_number=doc_number, reply=reply,
                           verify_code=code)
        if release_locks:
            db.session.rollback()  # hold no lock while the letter renders
        pdf = sign(*render(data), key)
        name = f"{secrets.token_hex(16)}.pdf"
        path = letters_dir() / name
        # Removed again unless the issue commits: a letter whose number was never given
        # must not stay on disk (the retry's letter carries that number too).
        write_in_transaction(path, pdf)
        try:
            assignment = db.session.get(Assignment, assignment_id)
            return operations.issue_reply(
                assignment, actor, version=version, expected_number=number,
                letter={"pdf_name": name, "pdf_sha256": hashlib.sha256(pdf).hexdigest(),
                        "pdf_size": len(pdf), "verify_code": code,
                        "signed_by_cert": key.subject})
        except operations.NumberTaken:
            path.unlink(missing_ok=True)
            if not release_locks:
                raise
            db.session.rollback()
        except Exception:
            path.unlink(missing_ok=True)
            raise
    raise LetterFailed("发文字号被频繁占用，请稍后重试。")
