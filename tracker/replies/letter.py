"""The reply letter in the app: the renderer's input built from a draft, previews, and the
PDF rendered once at issue, stored with its SHA-256 and served unchanged ever after."""
from __future__ import annotations

import hashlib
import json
import secrets
from datetime import date

from flask import current_app
from sqlalchemy import select

from tracker.core import transactions
from tracker.core.errors import DomainError, ValidationFailed
from tracker.core.states import AssignmentState
from tracker.core.time import today
from tracker.extensions import db
from tracker.files.storage import put_in_transaction
from tracker.files.store import MissingObject, StoreError, store
from tracker.handling.models import Assignment, UnitRole
from tracker.handling.workflow import Action, check
from tracker.replies import queries
from tracker.replies.models import DocSeries, DraftVersion, Reply, SeriesKind
from tracker.replies.styles import SignerLine, style_for
from tracker.replies.templates import fill_item, has_item_placeholders
from tracker.signing import codes
from tracker.signing.keys import SigningFailed, unit_key
from tracker.signing.pdf import sign_letter
from tracker.signing.service import verify_url


class LetterFailed(DomainError):
    """The letter could not be rendered: nothing was issued, the clerk may retry."""

    status = 503



def _cc(draft: DraftVersion, unit, handled, proposal) -> list[str]:
    """The draft's 抄送; for a 并案 member of the other kind (a 政协 proposal joined to a
    人大 suggestion), the draft's 抄送 when it is the lead kind's default is that kind's
    default instead (the 人大 office is not told of a 政协 proposal's reply)."""
    cc = draft.cc_list
    if proposal.kind == handled.kind:
        return cc
    lead_default = [line for line in style_for(unit, handled.kind).cc_default.splitlines() if line]
    if cc != lead_default:
        return cc
    return [line for line in style_for(unit, proposal.kind).cc_default.splitlines() if line]


def letter_data(assignment: Assignment, draft: DraftVersion, *, doc_number: str | None = None,
                reply: Reply | None = None, watermark: str | None = None,
                verify_code: str | None = None, on: date | None = None,
                item=None) -> dict:
    """The renderer's input (see tracker.letters.render_letter) for this assignment's draft.

    The letter is laid out for the signature's seal and carries the verification line: the
    code and QR code of ``verify_code`` (a placeholder in previews).

    ``item`` is a 并案 member the letter answers instead of the assignment's own item: the
    same reply body, with the member's title line, number and authors. A salutation or
    opening typed for the lead item would address the wrong people, so the member's are
    built from its own data (and so for a member's own assignment showing the lead's draft).
    """
    handled = assignment.proposal
    proposal = item if item is not None else handled
    own_words = item is None and draft.assignment_id in (None, assignment.id)
    unit = assignment.unit
    style = style_for(unit, proposal.kind)
    co_units = []
    if assignment.role == UnitRole.lead:
        co_units = [a.unit.display_name for a in handled.assignments
                    if a.role == UnitRole.co and a.state != AssignmentState.returned]
    reviewers = None
    if reply is not None and style.print_review_trail:
        reviewers = {"first": reply.first_reviewer or None,
                     "second": reply.second_reviewer or None,
                     "final": reply.final_reviewer or None}
    signed_by = None
    if style.signer_line != SignerLine.none:
        # Previews get no reply; after sign-off they name who signed off all the same.
        signed = reply or queries.current_reply(assignment)
        if signed is not None and signed.draft_version_id == draft.id:
            signed_by = signed.signer_name
    data = {
        "kind": proposal.kind.value,
        "meeting": proposal.meeting.name,
        "number": proposal.number,
        "title": proposal.title,
        "proposers": [a.name for a in proposal.authors],
        "lead_unit": unit.name,
        "co_units": co_units,
        # Unprinted, the number is still the reply's (Reply.doc_number, its series).
        "doc_number": doc_number if style.print_doc_number else None,
        "result_class": draft.result_class,
        "result_class_label": style.class_label(draft.result_class),
        "disclosure": draft.disclosure,
        "signer": style.signer(unit, signed_by),
        "salutation": (draft.salutation or None) if own_words else None,
        # An opening written with the item's placeholders (a template, 并案) fits every item.
        "opening": (fill_item(draft.opening, proposal) or None)
        if own_words or has_item_placeholders(draft.opening) else None,
        "body": fill_item(draft.body, proposal),
        "closing": fill_item(draft.closing, proposal) or unit.closing_default or "",
        "date": (on or today()).isoformat(),
        "contact": {"name": draft.contact_name, "phone": draft.contact_phone}
        if draft.contact_name or draft.contact_phone else None,
        "cc": _cc(draft, unit, handled, proposal) or None,
        "reviewers": reviewers,
        "style_name": style.name,  # for the pages; the renderer ignores it
    }
    data["signature"] = True
    if verify_code:
        data["verification"] = {"code": codes.grouped(verify_code), "url": verify_url(verify_code)}
    else:
        data["verification"] = {"code": None,
                                "url": f"{current_app.config['PUBLIC_BASE_URL']}/verify"}
    if style.letterhead:
        data["letterhead"] = unit.name
    if watermark:
        data["watermark"] = watermark
    return data


# Fields of the draft form that the letter's input names; other fields are the item's.
DRAFT_FIELDS = frozenset({"body", "salutation", "opening", "closing", "contact_name",
                          "contact_phone", "cc", "result_class", "disclosure"})


def _result_classes() -> tuple[str, ...]:
    return tuple(current_app.config["RESULT_CLASS_MAP"])


def check_letter(assignment: Assignment, draft: DraftVersion) -> None:
    """Refuse a draft whose letter cannot be built, naming the field and the reason.

    The same check as the renderer's (tracker.letters.inputs.parse), without rendering, so
    that nothing a form accepts can fail later at preview or 发文.
    """
    from tracker.letters.inputs import LetterInputError, parse

    # A 并案 lead's reply is also every member's letter: each must be buildable.
    items = [None, *(queries.members_to_issue(assignment) if assignment.id else [])]
    try:
        for item in items:
            parse(letter_data(assignment, draft, item=item), _result_classes())
    except LetterInputError as exc:
        if exc.field in DRAFT_FIELDS:
            raise ValidationFailed(f"答复函无法生成：{exc.reason}。",
                                   {exc.field: [f"{exc.message}。"]}) from None
        raise ValidationFailed(
            f"事项的登记信息无法印入答复函：{exc.reason}。请交办员更正事项登记信息后再试。",
            {"body": [f"事项信息有误：{exc.reason}。"]}) from None


class LetterInputInvalid(LetterFailed):
    """The letter's input is the cause: retrying will not help; the draft must change."""

    status = 422


def render(data: dict) -> tuple[bytes, dict]:
    """Render through the letters module, turning any failure into a LetterFailed whose
    message says whether the input is at fault (fix the draft) or not (retry)."""
    from tracker.letters import LetterInputError, LetterRenderTimeout, render_letter_report

    try:
        return render_letter_report(data)
    except LetterInputError as exc:
        raise LetterInputInvalid(
            f"答复函内容有误，无法生成：{exc.reason}。事项未发文；请将稿件退回修改后重新签发。") \
            from exc
    except LetterRenderTimeout as exc:
        current_app.logger.exception("letter rendering timed out")
        raise LetterFailed(f"答复函生成失败（{exc}），不是稿件内容的问题，事项未发文，请稍后重试。") \
            from exc
    except Exception as exc:  # fonts, the worker process: not the input's fault
        current_app.logger.exception("letter rendering failed")
        raise LetterFailed(f"答复函生成失败（{exc}），不是稿件内容的问题，事项未发文，"
                           "请稍后重试或联系系统管理员。") from exc


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


LETTERS = "letters/"


def letter_key(reply: Reply) -> str | None:
    """The store key of the reply's issued letter (None before issue)."""
    return LETTERS + reply.pdf_name if reply.pdf_name else None


def stored_letter(reply: Reply) -> bytes | None:
    """The issued letter exactly as stored at issue, or None (not issued, or not found)."""
    key = letter_key(reply)
    if key is None:
        return None
    try:
        return store().get(key)
    except MissingObject:
        current_app.logger.error("the letter of reply %s is missing from the store (%s)",
                                 reply.id, key)
        return None


def _next_number(assignment: Assignment, kind: SeriesKind) -> int:
    """The number the next issue of this series will take (read only; checked at issue)."""
    last = db.session.scalar(select(DocSeries.last_number).where(
        DocSeries.unit_id == assignment.unit_id, DocSeries.kind == kind,
        DocSeries.year == today().year))
    return (last or 0) + 1


PREVIEW_WATERMARK = "预览稿，非正式文件"


def next_doc_number(assignment: Assignment) -> str | None:
    """The 发文字号 the letter would get if issued now (None: the unit has no prefix)."""
    from tracker.replies import operations

    kind = operations.series_kind(assignment)
    prefix = operations.unit_prefix(assignment.unit, kind)
    if not prefix:
        return None
    return operations.format_doc_number(prefix, today().year, _next_number(assignment, kind))


def issue_preview(assignment: Assignment, actor) -> bytes:
    """The signed letter as 发文 will make it, with the number it will get, watermarked as a
    preview; unsigned, and nothing is stored or allocated (the number is only read)."""
    from tracker.replies import operations

    check(assignment, Action.issue, actor)
    kind = operations.series_kind(assignment)
    prefix = operations.prefix_for(assignment, kind)
    reply = queries.current_reply(assignment)
    doc_number = operations.format_doc_number(prefix, today().year,
                                              _next_number(assignment, kind))
    data = letter_data(assignment, reply.draft_version, doc_number=doc_number, reply=reply,
                       watermark=PREVIEW_WATERMARK)
    return render(data)[0]


def issue_with_letter(assignment: Assignment, actor, *, version: int | None = None,
                      attempts: int = 5, release_locks: bool = True) -> Reply:
    """发文 with the letter: render and sign it outside any transaction under the number the
    series will give, then issue; if another letter took that number meanwhile, do it again.
    Without a usable key (none, wrong password, expired) nothing is rendered or issued.

    The transaction is the caller's: in a web request it is ended before each rendering (see
    tracker.core.transactions); release_locks=False, or a caller that does not allow it (the
    demo loader, which builds everything in one transaction and has no concurrent issuers),
    keeps it open, and a number taken meanwhile is raised as NumberTaken.
    """
    from tracker.replies import operations

    check(assignment, Action.issue, actor)
    key = unit_key(assignment.unit)
    assignment_id = assignment.id
    for _ in range(attempts):
        assignment = db.session.get(Assignment, assignment_id)
        reply = queries.current_reply(assignment)
        draft = reply.draft_version
        # The lead's letter, then one per 并案 member, numbered in the order issue_reply takes
        # the numbers: each letter its own number in its item's series.
        items = [None, *queries.members_to_issue(assignment)]
        taken: dict[SeriesKind, int] = {}
        planned = []
        for item in items:
            kind = operations.item_series_kind(item or assignment.proposal)
            prefix = operations.prefix_for(assignment, kind)
            taken.setdefault(kind, _next_number(assignment, kind))
            number, taken[kind] = taken[kind], taken[kind] + 1
            code = codes.new_code()
            data = letter_data(assignment, draft,
                               doc_number=operations.format_doc_number(prefix, today().year, number),
                               reply=reply, verify_code=code, item=item)
            planned.append((item, number, code, data))
        if release_locks:
            transactions.release()  # hold no lock while the letter renders (in a request)
        letters, stored = [], []
        try:
            for item, number, code, data in planned:
                pdf = sign(*render(data), key)
                name = f"{secrets.token_hex(16)}.pdf"
                # Deleted again unless the issue commits: a letter whose number was never
                # given must not stay in the store (the retry's letter carries that number).
                stored.append(LETTERS + name)
                try:
                    put_in_transaction(LETTERS + name, pdf)
                except StoreError as exc:
                    current_app.logger.exception("the letter could not be stored")
                    raise LetterFailed("答复函无法存档（文件存储暂时不可用），事项未发文，"
                                       "请稍后重试或联系系统管理员。") from exc
                letters.append((item, number, {
                    "pdf_name": name, "pdf_sha256": hashlib.sha256(pdf).hexdigest(),
                    "pdf_size": len(pdf), "verify_code": code, "signed_by_cert": key.subject,
                    "letter_data": json.dumps(data, ensure_ascii=False, sort_keys=True)}))
            assignment = db.session.get(Assignment, assignment_id)
            (_, number, letter), members = letters[0], letters[1:]
            return operations.issue_reply(
                assignment, actor, version=version, expected_number=number, letter=letter,
                member_letters={item.id: (n, data) for item, n, data in members})
        except operations.NumberTaken:
            _delete(stored)
            # Another try needs a new transaction: only the request that owns it may end it.
            if not (release_locks and transactions.release()):
                raise
        except Exception:
            _delete(stored)
            raise
    raise LetterFailed("发文字号被频繁占用，请稍后重试。")


def _delete(keys: list[str]) -> None:
    """Delete letters that were not issued (their transaction would too, on rollback)."""
    for each in keys:
        try:
            store().delete(each)
        except StoreError:
            current_app.logger.exception("could not delete the unissued letter %s", each)


def docx(data: dict) -> bytes:
    """The letter as a Word document, from the same Letter the PDF is rendered from."""
    from tracker.letters.docx_export import letter_docx
    from tracker.letters.inputs import LetterInputError, parse

    try:
        return letter_docx(parse(data, _result_classes()))
    except LetterInputError as exc:
        raise LetterInputInvalid(f"答复函内容有误，无法生成：{exc.reason}。") from exc
    except ValueError as exc:  # lxml refusing a character: the input's, but say it plainly
        current_app.logger.exception("letter .docx export failed")
        raise LetterInputInvalid("答复函含有 Word 文件无法保存的字符，请检查稿件后重试。") from exc
