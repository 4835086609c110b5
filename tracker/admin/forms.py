"""Forms of the administrator's pages: units, sections, users, API tokens, the calendar."""
from __future__ import annotations

import re

from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    DateField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    Length,
    Optional,
    Regexp,
    StopValidation,
)

from tracker.accounts.models import Role, Section, TokenScope, Unit
from tracker.accounts.operations import default_co_opinion_prefix, token_max_days
from tracker.core.forms import BaseForm, MultiCheckboxField
from tracker.core.states import ReviewLevel
from tracker.letters import fields
from tracker.replies.styles import (
    CC_DEFAULT_LINES_MAX,
    PRESETS,
    ClassMark,
    LetterStyle,
    SignerLine,
)

REQUIRED = "此项必须填写。"
ROLE_CHOICES = Role.choices()
NO_SECTION = 0


class AtLeastOne:
    """At least one choice; unlike DataRequired it sets no `required` attribute on each box."""

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field):
        if not field.data:
            raise StopValidation(self.message)


def split_sections(text: str) -> list[str]:
    """Section names from one per line, or separated by 、，, ; and without repeats."""
    names: list[str] = []
    for part in re.split(r"[\n\r、，,；;]+", text or ""):
        part = part.strip()
        if part and part not in names:
            names.append(part)
    return names


class UnitCreateForm(BaseForm):
    name = StringField("单位全称", [DataRequired(REQUIRED), Length(max=100)])
    short_name = StringField("简称", [Optional(), Length(max=40)],
                             description="用于列表和页眉，如「省卫生健康委」。")
    is_supervising = BooleanField("交办（督办）单位",
                                  description="负责登记、交办和督办建议提案的单位，如政府办公厅。")
    sections = TextAreaField("处室", [Optional(), Length(max=2000)],
                             description="每行一个，或用顿号、逗号分隔；以后也可以再添加。")

    def validate_sections(self, field):
        too_long = [n for n in split_sections(field.data) if len(n) > 100]
        if too_long:
            raise ValidationError(f"处室名称最多 100 个字符：「{too_long[0][:20]}…」。")


class UnitEditForm(BaseForm):
    name = StringField("单位全称", [DataRequired(REQUIRED), Length(max=100)])
    short_name = StringField("简称", [Optional(), Length(max=40)])
    is_supervising = BooleanField("交办（督办）单位")
    is_active = BooleanField("在用", description="停用的单位不再出现在新建用户和交办的选项中。")


class SectionForm(BaseForm):
    name = StringField("新处室名称", [DataRequired(REQUIRED), Length(max=100)])


class _UserFields(BaseForm):
    full_name = StringField("姓名", [DataRequired(REQUIRED), Length(max=60)])
    unit_id = SelectField("所属单位", coerce=int)
    section_id = SelectField("处室", coerce=int, default=NO_SECTION,
                             description="须是所选单位的处室。")
    roles = MultiCheckboxField("角色", choices=ROLE_CHOICES,
                               validators=[AtLeastOne("请至少选择一个角色。")])
    phone = StringField("电话", [Optional(), Length(max=40)])
    email = StringField("电子邮箱", [Optional(), Length(max=120),
                                    Email(message="电子邮箱格式不正确。",
                                          check_deliverability=False)])

    def fill_choices(self, units: list[Unit]) -> None:
        """Offer these units, and their sections grouped by unit."""
        self.unit_id.choices = [(u.id, u.name + ("" if u.is_active else "（已停用）"))
                                for u in units]
        groups: dict[str, list[tuple[int, str]]] = {"": [(NO_SECTION, "（不指定处室）")]}
        for unit in units:
            if unit.sections:
                groups[unit.display_name] = [(s.id, s.name) for s in unit.sections]
        self.section_id.choices = groups

    def chosen_roles(self) -> set[Role]:
        return {Role(v) for v in self.roles.data or []}

    def chosen_section(self, db_session) -> Section | None:
        if not self.section_id.data:
            return None
        return db_session.get(Section, self.section_id.data)


class UserCreateForm(_UserFields):
    username = StringField("用户名", [DataRequired(REQUIRED), Length(min=2, max=60),
                                   Regexp(r"^[A-Za-z0-9_.\-]+$",
                                          message="用户名只能包含字母、数字、下划线、点和连字符。")],
                           description="登录用，建成后不能修改。")
    password = PasswordField("初始密码", [DataRequired(REQUIRED), Length(max=256)],
                             description="至少 8 个字符，不能是常见密码或与用户名相同。"
                                         "请通过安全渠道告知本人，并提醒其登录后修改。")
    confirm = PasswordField("确认初始密码", [DataRequired(REQUIRED),
                                         EqualTo("password", message="两次输入的密码不一致。")])


class UserEditForm(_UserFields):
    is_enabled = BooleanField("启用", description="停用后该用户立即退出登录，且不能再登录或使用接口令牌。")


class ResetPasswordForm(BaseForm):
    password = PasswordField("新密码", [DataRequired(REQUIRED), Length(max=256)])
    confirm = PasswordField("确认新密码", [DataRequired(REQUIRED),
                                        EqualTo("password", message="两次输入的密码不一致。")])


TOKEN_DAYS = (30, 90, 180, 365)
TOKEN_SCOPE_MISSING = "请选择令牌权限：只读或读写。"


class TokenForm(BaseForm):
    token_name = StringField("用途", [DataRequired(REQUIRED), Length(max=80)],
                             description="如「与 OA 系统对接」。")
    # The operation refuses a scope or a life outside what is offered, with its own message.
    token_scope = SelectField(
        "权限", [DataRequired(TOKEN_SCOPE_MISSING)], validate_choice=False,
        choices=[("", "请选择…")] + TokenScope.choices(),
        description="只读令牌只能查询；读写令牌可执行该用户的全部操作。")
    token_days = SelectField("有效期", coerce=int, validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        longest = token_max_days()
        days = [d for d in TOKEN_DAYS if d < longest] + [longest]
        self.token_days.choices = [(d, f"{d} 天") for d in days]
        self.token_days.description = f"最长 {longest} 天（系统管理员设定）。"
        if self.token_days.data is None:
            self.token_days.data = longest


class CalendarDayForm(BaseForm):
    day = DateField("日期", [DataRequired("请填写日期（如 2026-10-01）。")])
    is_workday = SelectField("类型", choices=[("0", "休息日（节假日）"), ("1", "调休上班日")],
                             default="0")
    note = StringField("说明", [Optional(), Length(max=60)],
                       description="如「国庆节」「春节调休上班」；休息日必须填写。")


LEVEL_CHOICES = ReviewLevel.choices(ReviewLevel.chain())
NO_LEADER = 0
PREFIX_HELP = "如「{example}」"


class UnitSettingsForm(BaseForm):
    review_levels = MultiCheckboxField(
        "审核流程", choices=LEVEL_CHOICES, validators=[AtLeastOne("请至少选择一级审核。")],
        description="答复稿送审后依次经过选中的各级审核，再签发。")
    allow_author_approval = BooleanField(
        "允许撰写人审核或签发自己撰写的稿件",
        description="不勾选时（默认），保存过本轮答复稿的人不能再审核或签发它（撰写与审核分离）；"
                    "只在一人兼任多职的小单位勾选。")
    allow_multi_level = BooleanField(
        "允许同一人审核同一稿的两个层级",
        description="不勾选时，已在某一层级审核通过的人不能再审核该稿的其他层级。")
    instruction_before_dispatch = BooleanField(
        "须经单位领导批示后才能交承办人办理",
        description="勾选后，签收的事项自动呈请主要负责人（未指定时为本单位领导）批示；"
                    "有主要领导或分管领导的办理意见后，联络员才能交承办人办理。")
    principal_leader_id = SelectField(
        "主要负责人", coerce=int, default=NO_LEADER, validate_choice=False,
        description="重点建议提案只能由主要负责人签发；须是本单位的用户。")
    closing_default = StringField(
        "默认结束语", [Optional(), Length(max=200)],
        description="撰写答复时自动填入，可逐件修改，如「感谢您对卫生健康工作的关心和支持。」")
    prefix_suggestion = StringField("建议答复", [Optional(), Length(max=30)],
                                    description=PREFIX_HELP.format(example="吉卫复议字"))
    prefix_proposal = StringField("提案答复", [Optional(), Length(max=30)],
                                  description=PREFIX_HELP.format(example="吉卫复提字"))
    prefix_co_opinion = StringField("会办意见", [Optional(), Length(max=30)],
                                    description=PREFIX_HELP.format(example="吉卫会字"))

    def show_default_prefix(self, unit: Unit) -> None:
        """An empty 会办意见 prefix numbers under the unit's default: say which."""
        default = default_co_opinion_prefix(unit)
        self.prefix_co_opinion.render_kw = {"placeholder": default}
        self.prefix_co_opinion.description = f"留空则使用「{default}」（单位简称＋会字）"

    def fill_leaders(self, unit: Unit) -> None:
        """Offer the unit's enabled users (and the current leader, even when disabled)."""
        people = [u for u in unit.users if u.is_enabled or u.id == unit.principal_leader_id]
        self.principal_leader_id.choices = [(NO_LEADER, "（未指定）")] + [
            (u.id, f"{u.full_name}（{u.username}，{'、'.join(u.role_labels) or '无角色'}）"
                   + ("" if u.is_enabled else "（已停用）"))
            for u in people]

    def load(self, unit: Unit) -> None:
        self.review_levels.data = unit.chain
        self.allow_multi_level.data = unit.allow_multi_level
        self.allow_author_approval.data = unit.allow_author_approval
        self.instruction_before_dispatch.data = unit.instruction_before_dispatch
        self.principal_leader_id.data = unit.principal_leader_id or NO_LEADER
        self.closing_default.data = unit.closing_default
        self.prefix_suggestion.data = unit.prefix_suggestion
        self.prefix_proposal.data = unit.prefix_proposal
        self.prefix_co_opinion.data = unit.prefix_co_opinion


class LetterStyleForm(BaseForm):
    """How the unit's letters of one kind of item print (prefix: style-<kind>)."""

    print_doc_number = BooleanField(
        "印发文字号（文号）",
        description="不印时，答复仍按本单位的发文字号序列编号登记，只是答复函上不印文号。")
    signer_line = SelectField("签发人", choices=SignerLine.choices(),
                              validate_choice=False,
                              description="印在首页右上角；印主要负责人须先在上面指定。")
    print_review_trail = BooleanField("印审核栏（初审、复审、终审）", description="印在版记处。")
    class_mark = SelectField("类别标记", choices=ClassMark.choices(),
                             validate_choice=False)
    letterhead = BooleanField("信函格式（红色单位名称和双线）",
                              description="不勾选时使用普通公文格式。")
    cc_default = TextAreaField(
        "默认抄送（每行一个单位）",
        description=f"新撰写答复稿时自动填入，可逐件修改；每行不超过 {fields.CC_NAME_MAX} 个字，"
                    f"最多 {CC_DEFAULT_LINES_MAX} 行。")
    preset = SelectField("预设样式", choices=[(key, p.name) for key, p in PRESETS.items()],
                         validate_choice=False)

    def load(self, style: LetterStyle) -> None:
        for name in ("print_doc_number", "print_review_trail", "letterhead", "cc_default"):
            self[name].data = getattr(style, name)
        self.signer_line.data = style.signer_line.value
        self.class_mark.data = style.class_mark.value
        self.preset.data = style.preset_key


class UnitSigningForm(BaseForm):
    """A unit's new PKCS#12 file with its password, and/or its new seal image."""

    p12 = FileField("证书文件", [FileAllowed(["p12", "pfx"], "证书文件须是 .p12 或 .pfx 文件。")],
                    render_kw={"accept": ".p12,.pfx,application/x-pkcs12"},
                    description="PKCS#12 格式（.p12/.pfx），含本单位的签名私钥和证书，不超过 1 MB。")
    password = PasswordField("证书密码", [Length(max=256)],
                             render_kw={"autocomplete": "new-password"},
                             description="打开该证书文件的密码；只在上传新证书文件时需要。")
    seal = FileField("印章图片", [FileAllowed(["png"], "印章图片须是 .png 文件。")],
                     render_kw={"accept": ".png,image/png"},
                     description="透明背景的 PNG，至少 200×200 像素，不超过 2 MB。")
