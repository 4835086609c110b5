"""Reply templates (答复模板): a unit's standard openings, closings, 下一步工作 paragraphs and
whole model replies, kept by the unit and applied to a draft by its drafters.

A template's text may hold placeholders ({代表姓名}, {建议标题}, {编号}, …) that are filled
from the item when the template is applied, so one opening serves every item. Template text
goes through the drafts' punctuation normaliser when saved, and again with the draft, so it
prints as the letter prints a typed draft. Operations flush, never commit.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from types import SimpleNamespace

from sqlalchemy import or_, select

from tracker.accounts.models import Role, Unit, User
from tracker.accounts.permissions import is_admin
from tracker.audit import log as audit
from tracker.core.errors import Hidden, PermissionDenied, ValidationFailed
from tracker.core.states import AssignmentState
from tracker.core.time import utcnow
from tracker.extensions import db
from tracker.handling.models import Assignment, UnitRole
from tracker.letters import fields
from tracker.proposals.models import ItemKind, Proposal
from tracker.replies import punctuation
from tracker.replies.choices import ReplyForm, TemplateKind
from tracker.replies.models import DraftVersion, ReplyTemplate

NAME_MAX = 60
# Where each kind goes in the draft, and how long its text may be there.
TEXT_MAX = {TemplateKind.opening: fields.OPENING_MAX, TemplateKind.closing: fields.CLOSING_MAX,
            TemplateKind.next_steps: fields.BODY_MAX, TemplateKind.model: fields.BODY_MAX}
PLACES = {TemplateKind.opening: "填入“开头语”（称谓之后的第一段）",
          TemplateKind.closing: "填入“结束语”（正文之后、落款之前）",
          TemplateKind.next_steps: "插入正文光标处（无光标时接在正文末尾）",
          TemplateKind.model: "作为整篇正文（正文已有内容时先确认替换）"}


# -- placeholders ------------------------------------------------------------------------

def _proposers(p: Proposal) -> str:
    """李华, or 陈明等 when co-signers joined (as the salutation names them)."""
    if not p.authors:
        return ""
    return p.authors[0].name + ("等" if len(p.authors) > 1 else "")


def _you(p: Proposal) -> str:
    return "您们" if p.kind == ItemKind.proposal and len(p.authors) > 1 else "您"


def _consulted(a: Assignment) -> str:
    if a.role != UnitRole.lead:
        return ""
    co = [o.unit.display_name for o in a.proposal.assignments
          if o.role == UnitRole.co and o.state != AssignmentState.returned]
    return f"经商{'、'.join(co)}，" if co else ""


@dataclass(frozen=True)
class Placeholder:
    name: str
    help: str
    value: object  # (assignment) -> str


PLACEHOLDERS = [
    Placeholder("代表姓名", "领衔代表或提案人姓名，多人联名时加“等”，如“李华”“陈明等”",
                lambda a: _proposers(a.proposal)),
    Placeholder("委员姓名", "同{代表姓名}（政协提案用）", lambda a: _proposers(a.proposal)),
    Placeholder("您", "“您”，多位委员联名的提案为“您们”", lambda a: _you(a.proposal)),
    Placeholder("建议标题", "建议或提案的标题（案由），不带书名号", lambda a: a.proposal.title.strip("《》")),
    Placeholder("提案标题", "同{建议标题}", lambda a: a.proposal.title.strip("《》")),
    Placeholder("编号", "建议或提案的编号，如“0040”（写作“第{编号}号”）", lambda a: a.proposal.number),
    Placeholder("会议名称", "如“省十四届人大三次会议”", lambda a: a.proposal.meeting.name),
    Placeholder("单位名称", "本单位（承办单位）名称", lambda a: a.unit.name),
    Placeholder("经商", "有会办单位时为“经商××，”，没有时为空", _consulted),
]
BY_NAME = {p.name: p for p in PLACEHOLDERS}
# Half- or full-width braces: offices type either with a Chinese input method.
PLACEHOLDER_RE = re.compile(r"[{｛]([^{}｛｝\n]{1,12})[}｝]")
BRACES = re.compile(r"[{}｛｝]")


def placeholder_problems(text: str) -> list[str]:
    """What is wrong with the placeholders of a template's text (empty when nothing)."""
    problems = []
    unknown = sorted({m.group(1) for m in PLACEHOLDER_RE.finditer(text)
                      if m.group(1).strip() not in BY_NAME})
    if unknown:
        known = "、".join(f"{{{p.name}}}" for p in PLACEHOLDERS)
        problems.append(f"没有这样的占位符：{'、'.join(f'{{{u}}}' for u in unknown)}。"
                        f"可用的占位符：{known}。")
    elif BRACES.search(PLACEHOLDER_RE.sub("", text)):
        problems.append("花括号只用于占位符，如 {代表姓名}；请检查是否少写了“{”或“}”。")
    return problems


# The placeholders that name the item (its authors, title, number, meeting): in a 并案 group
# they stay in the shared draft and each letter fills them with its own item's data.
ITEM_PLACEHOLDERS = frozenset({"代表姓名", "委员姓名", "您", "建议标题", "提案标题", "编号",
                               "会议名称"})


def fill(text: str, assignment: Assignment, *, keep_item: bool = False) -> str:
    """The template's text with every placeholder replaced by the item's own data (the
    item's own placeholders kept when keep_item: a 并案 group's shared draft)."""
    def value(match: re.Match) -> str:
        name = match.group(1).strip()
        placeholder = BY_NAME.get(name)
        if placeholder is None or (keep_item and name in ITEM_PLACEHOLDERS):
            return match.group(0)
        return str(placeholder.value(assignment))

    return PLACEHOLDER_RE.sub(value, text)


def has_item_placeholders(text: str | None) -> bool:
    return any(m.group(1).strip() in ITEM_PLACEHOLDERS
               for m in PLACEHOLDER_RE.finditer(text or ""))


def fill_item(text: str | None, proposal) -> str | None:
    """The item placeholders of a letter's text filled for the item the letter answers."""
    if not text or not has_item_placeholders(text):
        return text
    item = SimpleNamespace(proposal=proposal)

    def value(match: re.Match) -> str:
        name = match.group(1).strip()
        if name not in ITEM_PLACEHOLDERS:
            return match.group(0)
        return str(BY_NAME[name].value(item))

    return PLACEHOLDER_RE.sub(value, text)


def leads_group(assignment: Assignment) -> bool:
    """Whether the assignment's draft is also the letter of 并案 members."""
    return bool(getattr(assignment.proposal, "members", None))


# -- who may do what -----------------------------------------------------------------------

EDITOR_ROLES = (Role.unit_clerk, Role.signer, Role.leader)


def can_manage_templates(user: User, unit: Unit | None) -> bool:
    """A unit's templates: its clerk, signers and leaders; the office-wide ones: the admin."""
    if unit is None:
        return is_admin(user)
    return user.unit_id == unit.id and user.has_role(*EDITOR_ROLES)


def can_view_templates(user: User, unit: Unit | None) -> bool:
    """Everyone of the unit sees (and may apply) its templates; everyone the office-wide."""
    if unit is None:
        return True
    return user.unit_id == unit.id or is_admin(user)


def can_use_template(user: User, template: ReplyTemplate, assignment: Assignment) -> bool:
    """A template applies to the unit's own drafts (or anyone's, for an office-wide one)."""
    return template.is_active and template.unit_id in (None, assignment.unit_id) \
        and user.unit_id == assignment.unit_id


# -- reading -------------------------------------------------------------------------------

def templates_of(unit: Unit | None, *, active_only: bool = False) -> list[ReplyTemplate]:
    """A unit's templates (or the office-wide ones), by kind and name."""
    query = select(ReplyTemplate).where(
        ReplyTemplate.unit_id.is_(None) if unit is None else ReplyTemplate.unit_id == unit.id)
    if active_only:
        query = query.where(ReplyTemplate.is_active.is_(True))
    rows = db.session.scalars(query.order_by(ReplyTemplate.name, ReplyTemplate.id))
    order = list(TemplateKind)
    return sorted(rows, key=lambda t: order.index(t.kind))


def usable_templates(assignment: Assignment) -> list[ReplyTemplate]:
    """The active templates a draft of this assignment may use: the unit's, then the
    office-wide defaults, by kind and name."""
    rows = db.session.scalars(select(ReplyTemplate).where(
        ReplyTemplate.is_active.is_(True),
        or_(ReplyTemplate.unit_id == assignment.unit_id, ReplyTemplate.unit_id.is_(None)))
        .order_by(ReplyTemplate.name, ReplyTemplate.id))
    order = list(TemplateKind)
    return sorted(rows, key=lambda t: (order.index(t.kind), t.unit_id is None))


# -- changing ------------------------------------------------------------------------------

def _clean(unit: Unit | None, kind, name: str, text: str,
           template: ReplyTemplate | None = None) -> tuple[TemplateKind, str, str, list[str]]:
    """The validated kind, name and normalised text, or ValidationFailed naming the fields."""
    errors: dict[str, list[str]] = {}
    try:
        kind = TemplateKind(kind)
    except ValueError:
        errors["kind"] = ["请选择模板类别。"]
        kind = None
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = ["请填写模板名称。"]
    elif len(name) > NAME_MAX:
        errors["name"] = [f"模板名称不能超过 {NAME_MAX} 个字（现有 {len(name)} 个）。"]
    text = "\n".join(line.strip() for line in (text or "").strip().splitlines() if line.strip())
    problems = []
    if not text:
        problems.append("请填写模板内容。")
    elif kind is not None:
        if kind in (TemplateKind.opening, TemplateKind.closing) and "\n" in text:
            problems.append(f"{kind.label}只能是一段话，请不要换行。")
        if len(text) > TEXT_MAX[kind]:
            problems.append(f"{kind.label}不能超过 {TEXT_MAX[kind]} 个字（现有 {len(text)} 个）。")
    problems += placeholder_problems(text)
    if problems:
        errors["text"] = problems
    if kind is not None and name and "name" not in errors:
        same = db.session.scalar(select(ReplyTemplate.id).where(
            ReplyTemplate.unit_id.is_(None) if unit is None else ReplyTemplate.unit_id == unit.id,
            ReplyTemplate.kind == kind, ReplyTemplate.name == name,
            ReplyTemplate.id != (template.id if template is not None else -1)))
        if same is not None:
            errors["name"] = [f"已有同名的{kind.label}模板“{name}”，请换一个名称。"]
    if errors:
        raise ValidationFailed("模板有误，请按提示修改。", errors)
    text, changes = punctuation.normalize(text)
    notices = []
    if changes:
        notices = [f"已按标点符号用法（GB/T 15834）将 {len(changes)} 处半角标点改为全角："]
        notices += [f"模板内容{line}" for line in punctuation.describe(changes)]
    return kind, name, text, notices


def _audit(action: str, template: ReplyTemplate, actor: User, **details) -> None:
    audit.record(action, actor=actor, unit_id=template.unit_id, object_type="reply_template",
                 object_id=template.id,
                 details={"name": template.name, "kind": template.kind.value, **details})


def create_template(unit: Unit | None, actor: User, *, kind, name: str,
                    text: str) -> ReplyTemplate:
    """Add a template to the unit (or an office-wide one when unit is None)."""
    if not can_manage_templates(actor, unit):
        raise PermissionDenied("只有本单位联络员、签发人和领导可以维护答复模板。")
    kind, name, text, notices = _clean(unit, kind, name, text)
    template = ReplyTemplate(unit_id=unit.id if unit else None, kind=kind, name=name, text=text,
                             is_active=True, created_by_id=actor.id, created_at=utcnow())
    db.session.add(template)
    db.session.flush()
    _audit("create_reply_template", template, actor)
    template.notices = notices
    return template


def _unit_of(template: ReplyTemplate) -> Unit | None:
    return db.session.get(Unit, template.unit_id) if template.unit_id else None


def update_template(template: ReplyTemplate, actor: User, *, kind, name: str,
                    text: str) -> ReplyTemplate:
    """Change a template's kind, name or text (drafts it filled keep their text)."""
    unit = _unit_of(template)
    if not can_manage_templates(actor, unit):
        raise PermissionDenied("只有本单位联络员、签发人和领导可以维护答复模板。")
    kind, name, text, notices = _clean(unit, kind, name, text, template)
    changed = [label for label, old, new in (("类别", template.kind, kind),
                                              ("名称", template.name, name),
                                              ("内容", template.text, text)) if old != new]
    template.kind, template.name, template.text = kind, name, text
    template.updated_by_id, template.updated_at = actor.id, utcnow()
    db.session.flush()
    _audit("update_reply_template", template, actor, changed=changed)
    template.notices = notices
    return template


def set_template_active(template: ReplyTemplate, actor: User, active: bool) -> ReplyTemplate:
    """Stop offering a template in the editor (停用), or offer it again (启用)."""
    if not can_manage_templates(actor, _unit_of(template)):
        raise PermissionDenied("只有本单位联络员、签发人和领导可以维护答复模板。")
    if template.is_active != active:
        template.is_active = active
        template.updated_by_id, template.updated_at = actor.id, utcnow()
        db.session.flush()
        _audit("enable_reply_template" if active else "disable_reply_template", template, actor)
    return template


# -- applying ------------------------------------------------------------------------------

class ReplaceNeedsConfirmation(ValidationFailed):
    """A whole model reply would replace a body that is not empty: ask first."""


def filled_values(assignment: Assignment, template: ReplyTemplate, values: dict, *,
                  replace: bool = False, position: int | None = None) -> dict:
    """The draft's fields with the template applied: an opening or a closing fills its
    field, a 下一步工作 paragraph goes in at position (a character offset of the body, at a
    line end) or after the body, a model reply becomes the body."""
    # A 并案 lead's draft is every member's letter: the item placeholders stay, and each
    # letter fills them with its own item's authors, title and number. (Items join a group
    # only before its draft is begun: tracker.merging.operations.lead_problem.)
    text = fill(template.text, assignment, keep_item=leads_group(assignment))
    values = dict(values)
    body = (values.get("body") or "").strip()
    kind = TemplateKind(template.kind)
    if kind in (TemplateKind.opening, TemplateKind.closing):
        limit = TEXT_MAX[kind]
        if len(text) > limit:
            raise ValidationFailed(
                f"模板填入本件信息后超过{kind.label}的长度上限 {limit} 个字，请修改模板。",
                {"template_id": [f"填入后共 {len(text)} 个字。"]})
        values[kind.name] = text
    elif kind == TemplateKind.next_steps:
        if position is None or not 0 <= position <= len(body):
            values["body"] = f"{body}\n{text}" if body else text
        else:
            # A paragraph of its own: after the line the cursor is in.
            end = body.find("\n", position)
            end = len(body) if end < 0 else end
            values["body"] = "\n".join(part for part in (body[:end], text, body[end + 1:])
                                       if part)
    else:
        if body and body != text and not replace:
            raise ReplaceNeedsConfirmation(
                "本稿正文已有内容，套用整篇范文将替换全部正文。请确认后再套用。",
                {"template_id": ["套用整篇范文将替换现有正文，请点“确认替换”。"]})
        values["body"] = text
    return values


def current_values(assignment: Assignment) -> dict:
    """The latest version's fields (or a blank draft's defaults) as save_draft takes them."""
    from tracker.replies.actions import draft_values

    return draft_values(assignment)


def apply_template(assignment: Assignment, template: ReplyTemplate, user: User, *,
                   values: dict | None = None, base_number: int | None = None,
                   replace: bool = False, position: int | None = None) -> DraftVersion:
    """Fill the template with this item's data and save it as a new version of the draft.

    values are the editor's fields as typed (default: the latest version's); base_number the
    version the editor was opened on (default: the latest, for a caller without an editor).
    """
    if not can_use_template(user, template, assignment):
        if template.unit_id not in (None, assignment.unit_id) or user.unit_id != assignment.unit_id:
            raise Hidden()
        raise ValidationFailed("该模板已停用，请选择其他模板。",
                               {"template_id": ["该模板已停用。"]})
    from tracker.replies import operations, queries

    if values is None:
        values = current_values(assignment)
        latest = queries.latest_draft(assignment)
        base_number = latest.number if latest else 0
    applied = filled_values(assignment, template, values, replace=replace, position=position)
    return operations.save_draft(
        assignment, user, body=applied.get("body") or "",
        result_class=applied.get("result_class") or "",
        reply_form=ReplyForm(applied.get("reply_form") or ReplyForm.written.value),
        disclosure=_disclosure(applied.get("disclosure"), assignment),
        base_number=base_number, contact_name=applied.get("contact_name") or "",
        contact_phone=applied.get("contact_phone") or "", cc=applied.get("cc") or "",
        closing=applied.get("closing") or "", salutation=applied.get("salutation") or "",
        opening=applied.get("opening") or "",
        note=f"套用{TemplateKind(template.kind).label}模板“{template.name}”", source="template")


def _disclosure(value, assignment: Assignment):
    from tracker.proposals.models import Disclosure

    try:
        return Disclosure(value)
    except ValueError:
        return assignment.proposal.disclosure
