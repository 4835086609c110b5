"""Letter styles: how a unit's reply letters of one kind of item are printed (文号, 签发人,
review trail, class mark, 信函格式) and the 抄送 a new draft starts with.

The presets are defined once, in PRESETS; a unit without a style row for a kind prints in the
default preset (the provincial department's letter, the tracker's original layout).
"""
from __future__ import annotations

import enum
from dataclasses import asdict, dataclass

from sqlalchemy import Boolean, ForeignKey, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from tracker.accounts.models import Unit, User
from tracker.audit import log as audit
from tracker.core.dbtypes import enum_type, one_of
from tracker.core.errors import ValidationFailed
from tracker.extensions import db
from tracker.letters import fields
from tracker.proposals.models import ItemKind
from tracker.replies.choices import ClassMark, SignerLine

# 签发人 on a preview before anybody signed off and no principal leader is known.
SIGNER_PENDING = "（签发时确定）"
CUSTOM_NAME = "自定义样式"
# The default 抄送 leaves room for the drafter to add recipients (fields.CC_LINES_MAX).
CC_DEFAULT_LINES_MAX = 20


@dataclass(frozen=True)
class StylePreset:
    """A named set of the printing choices (the default 抄送 is the unit's own)."""

    name: str
    print_doc_number: bool
    signer_line: SignerLine
    print_review_trail: bool
    class_mark: ClassMark
    letterhead: bool = False

    def values(self) -> dict:
        """The choices, without the name: keyword arguments of a LetterStyle."""
        values = asdict(self)
        del values["name"]
        return values


PRESETS: dict[str, StylePreset] = {
    "provincial": StylePreset("省级部门答复", print_doc_number=True,
                              signer_line=SignerLine.none, print_review_trail=True,
                              class_mark=ClassMark.letter),
    "city_cppcc": StylePreset("市政协提案答复", print_doc_number=False,
                              signer_line=SignerLine.signer, print_review_trail=False,
                              class_mark=ClassMark.letter_class),
}
DEFAULT_PRESET = "provincial"
PRINT_FIELDS = tuple(PRESETS[DEFAULT_PRESET].values())
STYLE_FIELDS = (*PRINT_FIELDS, "cc_default")


def kind_label(kind: ItemKind) -> str:
    """「代表建议答复」, 「委员提案答复」."""
    return f"{ItemKind(kind).label}答复"


class LetterStyle(db.Model):
    """A unit's letter style for one kind of item."""

    __tablename__ = "letter_styles"
    __table_args__ = (UniqueConstraint("unit_id", "kind", name="uq_letter_styles_unit_kind"),
                      one_of("kind", ItemKind), one_of("signer_line", SignerLine),
                      one_of("class_mark", ClassMark))

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    kind: Mapped[ItemKind] = mapped_column(enum_type(ItemKind, 20))
    # Off: the reply is still numbered in the unit's series, the letter just prints no 文号.
    print_doc_number: Mapped[bool] = mapped_column(Boolean, default=True)
    signer_line: Mapped[SignerLine] = mapped_column(
        enum_type(SignerLine, 10), default=SignerLine.none)
    print_review_trail: Mapped[bool] = mapped_column(Boolean, default=True)
    cc_default: Mapped[str] = mapped_column(Text, default="")  # one recipient a line
    class_mark: Mapped[ClassMark] = mapped_column(
        enum_type(ClassMark, 20), default=ClassMark.letter)
    letterhead: Mapped[bool] = mapped_column(Boolean, default=False)

    def values(self) -> dict:
        return {name: getattr(self, name) for name in STYLE_FIELDS}

    @property
    def preset_key(self) -> str | None:
        """The preset whose printing choices these are, if any."""
        mine = {name: getattr(self, name) for name in PRINT_FIELDS}
        return next((key for key, preset in PRESETS.items() if preset.values() == mine), None)

    @property
    def name(self) -> str:
        key = self.preset_key
        return PRESETS[key].name if key else CUSTOM_NAME

    @property
    def summary(self) -> str:
        """What the letter prints, briefly: 「签发人、无文号、无审核栏」."""
        parts = []
        if self.signer_line == SignerLine.signer:
            parts.append("签发人")
        elif self.signer_line == SignerLine.principal:
            parts.append("签发人为主要负责人")
        parts.append("文号" if self.print_doc_number else "无文号")
        parts.append("审核栏" if self.print_review_trail else "无审核栏")
        if self.letterhead:
            parts.append("信函格式")
        return "、".join(parts)

    @property
    def description(self) -> str:
        """「市政协提案答复（签发人、无文号、无审核栏）」."""
        return f"{self.name}（{self.summary}）"

    def signer(self, unit: Unit, signed_by: str | None) -> str | None:
        """The 签发人 printed: None, who signed off, or the principal leader; before sign-off
        the principal leader when known, else the placeholder."""
        if self.signer_line == SignerLine.none:
            return None
        leader = unit.principal_leader.full_name if unit.principal_leader else None
        if self.signer_line == SignerLine.principal:
            return leader or signed_by or SIGNER_PENDING
        return signed_by or leader or SIGNER_PENDING

    def class_label(self, result_class: str | None) -> str | None:
        """The class mark when it differs from the bare class (「A类」), else None."""
        if not result_class or self.class_mark == ClassMark.letter:
            return None
        return self.class_mark.text(result_class)


def default_style(unit: Unit, kind: ItemKind) -> LetterStyle:
    """The style of a unit without a row for the kind (not added to the session)."""
    return LetterStyle(unit_id=unit.id, kind=ItemKind(kind), cc_default="",
                       **PRESETS[DEFAULT_PRESET].values())


def style_for(unit: Unit, kind: ItemKind | str) -> LetterStyle:
    """The unit's letter style for this kind of item (one query)."""
    kind = ItemKind(kind)
    row = db.session.scalar(select(LetterStyle).where(
        LetterStyle.unit_id == unit.id, LetterStyle.kind == kind))
    return row if row is not None else default_style(unit, kind)


def styles_of(unit: Unit) -> dict[ItemKind, LetterStyle]:
    """The unit's style for every kind of item (one query)."""
    rows = {row.kind: row for row in db.session.scalars(
        select(LetterStyle).where(LetterStyle.unit_id == unit.id))}
    return {kind: rows.get(kind) or default_style(unit, kind) for kind in ItemKind}


def cc_default_problem(text: str) -> str | None:
    """Why the default 抄送 (one recipient a line) is refused, or None."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if len(lines) > CC_DEFAULT_LINES_MAX:
        return f"默认抄送最多 {CC_DEFAULT_LINES_MAX} 行（现有 {len(lines)} 行）。"
    for number, line in enumerate(lines, 1):
        if len(line) > fields.CC_NAME_MAX:
            return (f"每行最多 {fields.CC_NAME_MAX} 个字符（第 {number} 行"
                    f"「{line[:20]}……」有 {len(line)} 个字符）。")
    # What the draft's 抄送 field takes (the default pre-fills it).
    total = len("\n".join(lines))
    if total > fields.CC_TEXT_MAX:
        return f"默认抄送合计最多 {fields.CC_TEXT_MAX} 个字符（现有 {total} 个）。"
    return None


def _audit_value(value):
    return value.value if isinstance(value, enum.Enum) else value


def _save(actor: User | None, unit: Unit, kind: ItemKind, values: dict,
          preset: str | None = None) -> LetterStyle:
    """Write the style row (creating it) and log what changed."""
    row = db.session.scalar(select(LetterStyle).where(
        LetterStyle.unit_id == unit.id, LetterStyle.kind == kind))
    old = (row or default_style(unit, kind)).values()
    if row is None:
        row = LetterStyle(unit_id=unit.id, kind=kind)
        db.session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    db.session.flush()
    new = row.values()
    changed = {name: {"from": _audit_value(old[name]), "to": _audit_value(new[name])}
               for name in STYLE_FIELDS if old[name] != new[name]}
    details = {"name": unit.name, "kind": kind.value, "style": row.name, "changed": changed}
    if preset:
        details["preset"] = preset
    audit.record("update_letter_style", actor=actor, object_type="unit", object_id=unit.id,
                 details=details, actor_name=None if actor else "system")
    return row


def update_letter_style(actor: User | None, unit: Unit, kind: ItemKind | str, *,
                        print_doc_number: bool, signer_line: SignerLine | str,
                        print_review_trail: bool, cc_default: str,
                        class_mark: ClassMark | str, letterhead: bool) -> LetterStyle:
    """Set how the unit's letters of this kind print, and the 抄送 a new draft starts with."""
    kind = ItemKind(kind)
    errors: dict[str, list[str]] = {}
    try:
        signer_line = SignerLine(signer_line)
    except ValueError:
        errors["signer_line"] = ["请选择签发人的印法。"]
    else:
        if signer_line == SignerLine.principal and unit.principal_leader_id is None:
            errors["signer_line"] = ["本单位尚未指定主要负责人：请先在「答复办理设置」中指定，"
                                     "或选择其他印法。"]
    try:
        class_mark = ClassMark(class_mark)
    except ValueError:
        errors["class_mark"] = ["请选择类别标记的印法。"]
    problem = cc_default_problem(cc_default)
    if problem:
        errors["cc_default"] = [problem]
    if errors:
        raise ValidationFailed(f"{kind_label(kind)}的答复函样式有误，请按提示修改。", errors)
    cc_lines = (line.strip() for line in (cc_default or "").splitlines())
    return _save(actor, unit, kind, {
        "print_doc_number": bool(print_doc_number), "signer_line": signer_line,
        "print_review_trail": bool(print_review_trail),
        "cc_default": "\n".join(line for line in cc_lines if line),
        "class_mark": class_mark, "letterhead": bool(letterhead)})


def apply_letter_style_preset(actor: User | None, unit: Unit, kind: ItemKind | str,
                              preset: str) -> LetterStyle:
    """Give the unit's letters of this kind a preset's printing choices (the default 抄送
    stays as it is)."""
    kind = ItemKind(kind)
    if preset not in PRESETS:
        raise ValidationFailed("请选择要套用的预设样式。",
                               {"preset": ["请选择要套用的预设样式。"]})
    return _save(actor, unit, kind, PRESETS[preset].values(), preset=preset)
