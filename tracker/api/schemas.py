"""The resources of /api/v1, one pydantic class each: the serializers build them and the
OpenAPI document's response schemas are generated from them, so the JSON and its description
cannot drift apart.

`components()` renders the classes as OpenAPI 3.0 schemas: `nullable` instead of a null type,
one-value enums instead of `const`, no titles or defaults, and a `$ref` that carries its own
description or `nullable` written out in full (OpenAPI 3.0 ignores keys beside a `$ref`).
"""
from __future__ import annotations

import copy
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, Literal

from flask import current_app
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, RootModel, WithJsonSchema
from pydantic.json_schema import DefsRef, GenerateJsonSchema, models_json_schema

from tracker.accounts.models import Role
from tracker.core.states import Grade, OpinionStatus, Satisfaction
from tracker.handling.models import ContactMethod, ContactStage, ExtensionStatus, UnitRole
from tracker.handling.workflow import Action, AssignmentState, ProposalState
from tracker.instructions.choices import InstructionKind, InstructionSource, InstructionStatus
from tracker.notifications.choices import NotificationKind
from tracker.proposals.models import Body, Disclosure, ItemKind, Level
from tracker.ratings.models import RatingChannel
from tracker.ratings.models import RatingRule as RatingRuleChoice
from tracker.replies.choices import PublicationMode, TemplateKind, WithholdReason
from tracker.replies.models import ReplyForm

REF_TEMPLATE = "#/components/schemas/{model}"


def utc_iso(value: datetime) -> str:
    """Write a naive UTC time from the database as ISO 8601 with a trailing Z."""
    return value.replace(tzinfo=None).isoformat() + "Z"


def _string_enum(values, description: str = "") -> dict:
    schema: dict = {"type": "string", "enum": [getattr(v, "value", v) for v in values]}
    if description:
        schema["description"] = description
    return schema


def _labelled(enum_cls: type[Enum], what: str) -> str:
    return f"{what}：" + "；".join(f"{m.value}（{m.label}）" for m in enum_cls)


# Enums that are components of their own, referred to by name; other enums are written out
# where they are used (choice()).
NAMED_ENUMS = {
    Action: lambda: _labelled(Action, "工作流操作"),
    ProposalState: lambda: _labelled(ProposalState, "事项状态"),
    AssignmentState: lambda: _labelled(AssignmentState, "交办状态"),
}


def choice(enum_cls: type[Enum], description: str = ""):
    """An enum member, written out in place as a string enum."""
    return Annotated[enum_cls, WithJsonSchema(_string_enum(enum_cls, description))]


UtcDateTime = Annotated[
    datetime, PlainSerializer(utc_iso, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time", "description": "UTC，以 Z 结尾"}),
]


def _result_classes(schema: dict) -> None:
    # The classes are configured per installation (RESULT_CLASSES).
    schema["enum"] = list(current_app.config["RESULT_CLASS_MAP"])


class Schema(BaseModel):
    # Nothing beyond the declared fields reaches the JSON; fields with a default are left out
    # of it unless set (see as_json).
    model_config = ConfigDict(extra="forbid", from_attributes=True)


# --- errors --------------------------------------------------------------------------------

class FieldErrors(RootModel[dict[str, list[str]]]):
    model_config = ConfigDict(json_schema_extra={
        "description": ("按字段名列出的错误信息；列表中的对象字段写作 name-序号-子字段，"
                        "如 authors-0-email")})


class Error(Schema):
    error: str = Field(description="中文错误信息")
    status: int = Field(description="HTTP 状态码")
    errors: FieldErrors = None


class ValidationError(Schema):
    error: str
    status: Literal[422]
    errors: FieldErrors


# --- people, units, meetings ---------------------------------------------------------------

class UnitRef(Schema):
    id: int
    name: str


class UserRef(Schema):
    id: int
    full_name: str


class Section(Schema):
    id: int
    name: str


class UnitUser(Schema):
    id: int
    username: str
    full_name: str
    section_id: int | None
    roles: list[choice(Role)]
    is_enabled: bool


class Unit(Schema):
    id: int
    name: str
    short_name: str
    is_supervising: bool
    is_active: bool
    sections: list[Section]
    users: list[UnitUser] = Field(None, description="仅系统管理员，或查看本单位时返回")


class UnitList(Schema):
    items: list[Unit]


class Meeting(Schema):
    id: int
    name: str
    level: choice(Level)
    level_label: str
    body: choice(Body)
    body_label: str
    region: str
    term: int
    session: int
    year: int
    item_kind: choice(ItemKind)
    reply_period_months: int
    co_period_months: int
    created_at: UtcDateTime


class MeetingList(Schema):
    items: list[Meeting]


class MeetingRef(Schema):
    id: int
    name: str


class Author(Schema):
    id: int = Field(description="提出人 id（代录入评价时作为 author_id）")
    position: int
    is_lead: bool
    name: str
    organisation: str
    phone: str
    email: str
    address: str


# --- handling --------------------------------------------------------------------------------

class Attachment(Schema):
    id: int
    name: str
    content_type: str
    size: int


class Contact(Schema):
    id: int
    assignment_id: int
    unit: UnitRef
    stage: choice(ContactStage)
    stage_label: str
    method: choice(ContactMethod)
    method_label: str
    contacted_on: date
    summary: str
    created_by: UserRef
    created_at: UtcDateTime


class Opinion(Schema):
    id: int
    assignment_id: int
    unit: UnitRef
    text: str
    attachment: Attachment | None
    submitted_by: UserRef
    submitted_at: UtcDateTime
    status: choice(OpinionStatus, "待审批、已批准或已退回；主办单位只看到已批准的")
    status_label: str
    decided_by: UserRef | None = Field(description="批准或退回的领导（早期数据可能为空）")
    decided_at: UtcDateTime | None = Field(description="批准或退回的时间；批准时间即会办意见的日期")
    doc_number: str | None = Field(
        description="会办意见的发文字号（批准时编号），如 吉人社会字〔2026〕3号")


class Instruction(Schema):
    id: int
    kind: choice(InstructionKind, "批示类别：transfer 转办意见，sign_off 领导签办意见，"
                 "unit_principal 承办单位主要领导办理意见，unit_deputy 承办单位分管领导意见，"
                 "result_review 领导审阅办理结果意见")
    kind_label: str
    status: choice(InstructionStatus, "requested 待批示，given 已批示")
    status_label: str
    assignment_id: int | None = Field(description="承办单位领导的意见所属的交办；交办单位方面的为 null")
    unit: UnitRef | None
    leader_id: int | None = Field(description="批示领导的用户 id（领导没有账号时为 null）")
    leader_name: str = Field(description="批示领导姓名；待批示且未指定领导时为空")
    text: str = Field(description="批示内容；待批示时为空")
    given_on: date | None = Field(description="批示日期；待批示时为 null")
    source: choice(InstructionSource, "typed 领导本人录入，paper 据纸质批示录入，scan 扫描件录入") | None
    source_label: str
    scan: Attachment | None
    requested_by: UserRef | None
    request_note: str
    requested_at: UtcDateTime | None
    entered_by: UserRef | None
    given_at: UtcDateTime | None


class Extension(Schema):
    status: choice(ExtensionStatus)
    status_label: str
    reason: str
    original_due_on: date
    requested_due_on: date
    requested_by: UserRef | None
    requested_at: UtcDateTime
    decided_by: UserRef | None
    decided_at: UtcDateTime | None
    decision_note: str


DraftSource = Literal["form", "docx", "api", "template"]


class DraftVersionRef(Schema):
    id: int = Field(description="稿件 id；审核、退回、签发时作为 seen_version_id")
    number: int = Field(description="第几稿；保存时作为 base_number")
    round: int
    source: DraftSource = Field(description="form 页面填写，docx 上传 Word 稿，api 接口提交，template 套用答复模板")
    note: str
    created_by: UserRef
    created_at: UtcDateTime


class Draft(DraftVersionRef):
    body: str = Field(description="正文，每段一行")
    result_class: str = Field(description="办理结果类别", json_schema_extra=_result_classes)
    result_class_label: str
    reply_form: choice(ReplyForm)
    reply_form_label: str
    disclosure: choice(Disclosure)
    disclosure_label: str
    publication: choice(PublicationMode, "办理结果公开：full 全文公开，summary 摘要公开，withheld 不予公开")
    publication_label: str
    withhold_reason: Literal[("",) + tuple(r.value for r in WithholdReason)] = Field(
        description="不予公开的理由（不予公开时）")
    public_summary: str = Field(description="公开的摘要（摘要公开时）")
    contact_name: str
    contact_phone: str
    cc: list[str] = Field(description="抄送单位")
    closing: str
    salutation: str = Field(description="称谓（空则自动生成）")
    opening: str = Field(description="开头语（空则自动生成）")


class ReviewDecision(Schema):
    id: int
    round: int
    cycle: int = Field(description="第几次送审；退回后重新送审从初审开始新一轮")
    level: Literal["first", "second", "final", "sign"] = Field(
        description="first 初审，second 复审，final 终审，sign 签发")
    level_label: str
    decision: Literal["approve", "return"]
    decision_label: str
    comment: str
    reviewer_name: str
    decided_at: UtcDateTime
    version: int = Field(description="所审核稿件的稿号")


class Reply(Schema):
    id: int
    round: int
    version: int = Field(description="签发的稿号")
    doc_number: str | None = Field(description="发文字号，如 吉卫复议字〔2026〕12号；发文前为 null")
    first_reviewer: str = Field(description="初审人姓名（本单位不设该级时为空）")
    second_reviewer: str = Field(description="复审人姓名（同上）")
    final_reviewer: str = Field(description="终审人姓名（同上）")
    signer_name: str = Field(description="签发人姓名")
    signed_at: UtcDateTime
    issued_at: UtcDateTime | None
    pdf_sha256: str | None = Field(description="存档答复函（已签名 PDF）的 SHA-256；发文前为 null")
    verify_code: str | None = Field(description="印在答复函上的核验码（16 位）；发文前为 null")
    verify_url: str | None = Field(description="核验页面地址（按配置的公开网址生成）")
    signed_by_cert: str | None = Field(description="签名证书持有人")
    publication: choice(PublicationMode, "签发人确认的办理结果公开方式")
    publication_label: str
    withhold_reason: Literal[("",) + tuple(r.value for r in WithholdReason)]
    public_summary: str


# --- ratings ---------------------------------------------------------------------------------

class RatingAnswer(Schema):
    handling: choice(Satisfaction, "对办理工作的评价")
    handling_label: str
    handling_score: int | None
    result: choice(Satisfaction, "对办理结果的评价")
    result_label: str
    result_score: int | None
    verdict: choice(Satisfaction, "该提出人的总体评价：两项中较低的一项")
    verdict_label: str
    contacted: bool
    contact_method: Literal[("",) + tuple(m.value for m in ContactMethod)]
    contact_method_label: str
    comments: str
    channel: choice(RatingChannel, "online 网上评价；paper 纸质征询意见表（代录入）")
    channel_label: str
    entered_by: UserRef | None = Field(description="代录入的工作人员；网上评价为 null")
    scan: Attachment | None = Field(description="征询意见表扫描件")
    created_at: UtcDateTime


class AuthorRating(Schema):
    author_id: int
    name: str
    is_lead: bool
    answer: RatingAnswer | None = Field(description="该提出人的评价；未评价为 null")
    links_made: int = Field(description="已生成的个人评价链接数（链接本身不返回）")


class ReplyRatings(Schema):
    reply_id: int = Field(description="答复 id（代录入评价时用于路径）")
    round: int
    round_label: str
    doc_number: str | None
    issued_at: UtcDateTime | None
    collecting: bool = Field(description="是否正在征询评价（本轮已发文、尚未测评完成）")
    rating: choice(Satisfaction) | None = Field(
        description="按汇总规则得出的事项评价；未完成为 null")
    rating_label: str | None
    rated_at: UtcDateTime | None
    answered: int = Field(description="已评价的提出人数")
    authors: list[AuthorRating]


class RatingRule(Schema):
    value: choice(RatingRuleChoice)
    label: str


class Closing(Schema):
    closed_at: UtcDateTime
    closed_by: UserRef | None
    grade: choice(Grade, "办理工作评定：good 好，fair 中，poor 差")
    grade_label: str
    comment: str


# --- assignments and items -----------------------------------------------------------------

class AssignmentBrief(Schema):
    id: int
    unit: UnitRef
    role: choice(UnitRole)
    state: AssignmentState
    state_label: str
    due_on: date
    is_overdue: bool


class Assignment(Schema):
    id: int
    unit: UnitRef
    role: choice(UnitRole)
    role_label: str
    state: AssignmentState
    state_label: str
    assigned_on: date
    due_on: date
    due_basis: str
    return_due_on: date
    return_reason: str
    section: Section | None
    drafter: UserRef | None
    version: int = Field(description="每次操作后加一；提交时可带上以防覆盖他人更新")
    round: int = Field(ge=1, description="第几轮办理：评价不满意重新办理后加一")
    is_overdue: bool
    extension: Extension | None = Field(description="申请延期（每个交办最多一次）；未申请为 null")
    allowed_actions: list[Action] = Field(description="调用者现在可以对该交办执行的操作")
    waiting_days: int = Field(
        ge=0, description="在当前状态已停留的整天数（如送审稿等待审核的天数）")
    state_since: UtcDateTime
    cosign_override_reason: str = Field(description="会签例外的理由（交办员登记；未登记为空）")
    missing_co_opinions: list[str] = Field(description="主办单位：尚未提交会办意见的会办单位名称")
    draft: Draft | None = Field(description="最新答复稿；无稿或调用者无权查看时为 null")
    versions: list[DraftVersionRef] = Field(
        description="历次保存的稿件（调用者无权查看答复稿时为空）")
    reviews: list[ReviewDecision] = Field(description="审核与签发意见，按时间排序（同上）")
    reply: Reply | None = Field(description="本轮已签发的答复函；未签发或无权查看时为 null")
    ratings: list[ReplyRatings] = Field(
        description="主办、分办单位历轮已发文答复的满意度测评（交办员和本单位可见；其他调用者为空）")


class Event(Schema):
    seq: int = Field(description="审计日志序号，时间线按此排序")
    occurred_at: UtcDateTime
    actor_name: str
    action: str
    action_label: str
    object_type: str
    object_id: int | None
    details: dict[str, Any]


class ProposalCommon(Schema):
    id: int
    meeting: MeetingRef
    kind: choice(ItemKind)
    kind_label: str
    number: str
    title: str
    category: str
    is_key: bool
    received_on: date
    state: ProposalState
    state_label: str
    is_overdue: bool


class SearchHit(Schema):
    source: str = Field(description="匹配的内容：item 建议提案、author 提出人、reply 答复、"
                                    "opinion 会办意见、contact 联系记录、instruction 领导批示")
    source_label: str
    label: str
    snippet: str = Field(description="匹配处前后的文字（HTML 转义，匹配词在 <mark> 中）")


class ProposalSummary(ProposalCommon):
    lead_author: str | None
    author_count: int
    assignments: list[AssignmentBrief]
    matches: list[SearchHit] = Field(
        default_factory=list, description="有 q 时：调用者有权查看的最匹配的几处内容")


class ProposalPage(Schema):
    items: list[ProposalSummary]
    page: int
    per_page: int
    total: int
    pages: int


class JoinedItem(Schema):
    """An item of a 并案 group: its lead, or one of the lead's members."""

    id: int
    meeting: MeetingRef
    number: str
    title: str
    state: ProposalState


class Proposal(ProposalCommon):
    body: str
    disclosure: choice(Disclosure)
    disclosure_label: str
    created_at: UtcDateTime
    authors: list[Author]
    assignments: list[Assignment]
    allowed_actions: list[Action] = Field(description="调用者现在可以对该事项执行的操作")
    contacts: list[Contact]
    opinions: list[Opinion] = Field(description="调用者有权查看的会办意见")
    instructions: list[Instruction] = Field(
        description="调用者有权查看的领导批示（承办单位领导的意见仅本单位与交办单位可见）")
    timeline: list[Event]
    closing: Closing | None = Field(description="办结情况；未办结为 null")
    rating_rule: RatingRule
    merged_into: JoinedItem | None = Field(
        description="并案：本事项并入的主办事项（随其交办和办理，单独成函）；未并案为 null")
    members: list[JoinedItem] = Field(description="并案：并入本事项办理的事项")
    # Only in the answer to an action that changed something on the way (save_draft: the
    # punctuation it normalised).
    notices: list[str] = Field(
        None, description="操作中系统自动作出的调整（如保存答复稿时改为全角的标点），逐条说明")


class Notification(Schema):
    id: int
    kind: choice(NotificationKind, "通知类别")
    kind_label: str
    text: str
    proposal_id: int | None
    assignment_id: int | None
    url: str | None = Field(description="事项页面的地址；与事项无关的通知为 null")
    created_at: UtcDateTime
    read_at: UtcDateTime | None = Field(description="读取时间；未读为 null")


class NotificationPage(Schema):
    items: list[Notification]
    unread: int = Field(description="调用者的未读通知总数")
    page: int
    per_page: int
    total: int
    pages: int


class ConflictError(Schema):
    error: str = Field(description="中文错误信息")
    status: Literal[409]
    errors: FieldErrors = None
    latest_version: int = Field(None, description=(
        "仅 save_draft：答复稿已被他人保存时，最新稿的稿号；以它作为 base_number "
        "重新提交即可（请先对照 latest_draft 中对方的修改）"))
    latest_draft: Draft | None = Field(None, description="仅 save_draft：他人保存的最新稿")


# Every class the document names; the classes they use come along.
class ReplyTemplate(Schema):
    id: int
    unit_id: int | None = Field(description="所属单位；null 为各单位通用模板（系统管理员维护）")
    kind: choice(TemplateKind, "opening 开头语，closing 结束语，next_steps 下一步工作，model 整篇范文")
    kind_label: str
    name: str
    text: str = Field(description="模板原文，套用时占位符（如 {代表姓名}、{建议标题}、{编号}）换成本件的信息")
    is_active: bool = Field(description="停用的模板不再在编辑器中提供")
    created_by: UserRef
    created_at: UtcDateTime


class ReplyTemplateList(Schema):
    items: list[ReplyTemplate]


RESOURCES: tuple[type[BaseModel], ...] = (
    Error, ConflictError, ValidationError, FieldErrors,
    Meeting, MeetingList, Unit, UnitList, UnitUser, Section, UnitRef, UserRef,
    ProposalPage, ProposalSummary, Proposal, Author, AssignmentBrief, Assignment, Extension,
    Draft, DraftVersionRef, ReviewDecision, Reply, ReplyRatings, AuthorRating, RatingAnswer,
    RatingRule, Closing, Contact, Opinion, Attachment, Event, Notification, NotificationPage,
    Instruction, ReplyTemplate, ReplyTemplateList,
)


def as_json(resource: BaseModel) -> Any:
    """The resource as the API sends it (optional fields only when they were given)."""
    return resource.model_dump(mode="json", exclude_unset=True)


# --- OpenAPI 3.0 ---------------------------------------------------------------------------

class OpenAPI30(GenerateJsonSchema):
    """pydantic's JSON Schema generator, speaking OpenAPI 3.0's dialect."""

    def nullable_schema(self, schema):
        return {**self.generate_inner(schema["schema"]), "nullable": True}

    def literal_schema(self, schema):
        result = super().literal_schema(schema)
        if "const" in result:
            result["enum"] = [result.pop("const")]
        return result

    def enum_schema(self, schema):
        cls = schema["cls"]
        describe = NAMED_ENUMS.get(cls)
        return _string_enum(cls, describe() if describe else "")

    def default_schema(self, schema):
        # An optional field of a response is left out, never sent with a default value.
        return self.generate_inner(schema["schema"])

    def field_title_should_be_set(self, schema) -> bool:
        return False

    def get_defs_ref(self, core_mode_ref):
        # The components are named after our classes and the named enums; anything else
        # (an enum written out in place) gets its full path, so no name is taken twice.
        path = core_mode_ref[0].rsplit(":", 1)[0]
        named = path.startswith(__name__ + ".") or path in _NAMED_ENUM_PATHS
        name = DefsRef(path.rsplit(".", 1)[1] if named else self.normalize_name(path))
        self._prioritized_defsref_choices[name] = [name]  # pydantic looks the name up here
        return name


_NAMED_ENUM_PATHS = frozenset(f"{e.__module__}.{e.__qualname__}" for e in NAMED_ENUMS)


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[1]} if "$ref" in node else set()
        return found.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(item) for item in node))
    return set()


def _clean(node: Any, defs: dict) -> Any:
    """Drop titles and write out a $ref that has keys beside it."""
    if isinstance(node, list):
        return [_clean(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node and len(node) > 1:
        target = copy.deepcopy(defs[node["$ref"].rsplit("/", 1)[1]])
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    result = {}
    for key, value in node.items():
        if key == "title":
            continue
        if key == "properties":
            result[key] = {name: _clean(sub, defs) for name, sub in value.items()}
        else:
            result[key] = _clean(value, defs)
    return result


def components() -> dict:
    """The OpenAPI schemas of every resource and of the classes and enums they use."""
    _, top = models_json_schema([(cls, "serialization") for cls in RESOURCES],
                                ref_template=REF_TEMPLATE, schema_generator=OpenAPI30)
    defs = top["$defs"]
    cleaned = {name: _clean(schema, defs) for name, schema in defs.items()}
    # Only what the resources refer to (the enums written out in place are left behind).
    wanted = {cls.__name__ for cls in RESOURCES}
    while missing := set().union(*(_refs(cleaned[name]) for name in wanted)) - wanted:
        wanted |= missing
    return {name: schema for name, schema in cleaned.items() if name in wanted}
