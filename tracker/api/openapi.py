"""The OpenAPI 3.0 document of /api/v1.

Request bodies are derived from the same WTForms forms the views validate with, and the
action and state enums from tracker.handling.workflow, so the document cannot drift from
what the API accepts. Response schemas mirror tracker.api.serializers; the API tests check
every response against them.
"""
from __future__ import annotations

from flask import current_app
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from tracker.accounts.models import Role
from tracker.core.forms import MAX_ID  # PostgreSQL's integer: the largest id stored
from tracker.api.forms import SECTION_NAME_MAX, UnitForm
from tracker.handling.actions import ACTIONS
from tracker.handling.models import ContactMethod, ContactStage, UnitRole
from tracker.handling.workflow import (
    ASSIGNMENT_TABLE,
    PROPOSAL_TABLE,
    Action,
    AssignmentState,
    ProposalState,
)
from tracker.proposals.forms import MeetingForm, ProposalForm
from tracker.proposals.models import Body, Disclosure, ItemKind, Level
from tracker.ratings.models import Grade, RatingChannel, RatingRule, Satisfaction
from tracker.ratings import actions as _rating_actions  # noqa: F401  (adds 办结 to ACTIONS)
from tracker.ratings.forms import PaperRatingInput
from tracker.replies import actions as _reply_actions  # noqa: F401  (adds the reply actions)
from tracker.replies.models import ReplyForm

MAX_PER_PAGE = 100


def _actions_in(table: dict) -> list[Action]:
    """The table's actions people take (system moves such as 测评完成 are not endpoints)."""
    return [a for a in Action if a in ACTIONS and any(key[1] == a for key in table)]


# Which actions each kind of object takes; any other name is a 404 on that endpoint.
PROPOSAL_ACTIONS = _actions_in(PROPOSAL_TABLE)
ASSIGNMENT_ACTIONS = _actions_in(ASSIGNMENT_TABLE)


def body_schema_name(action: Action) -> str:
    return "".join(part.capitalize() for part in action.value.split("_")) + "Body"


def multipart_schema_name(action: Action) -> str:
    return "".join(part.capitalize() for part in action.value.split("_")) + "Multipart"


def _has_upload(action: Action) -> bool:
    form = ACTIONS[action].form
    return any(getattr(getattr(form, name), "field_class", None) is FileField
               for name in dir(form) if not name.startswith("_"))


# Actions that also take multipart/form-data, for their file fields.
UPLOAD_ACTIONS = [a for a in Action if a in ACTIONS and _has_upload(a)]


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


# Whole numbers in input: the forms refuse what no column can hold (422).
INPUT_INT = {"type": "integer", "minimum": -MAX_ID, "maximum": MAX_ID}


def _field_schema(field) -> dict:
    """The JSON schema of one bound WTForms field."""
    if isinstance(field, FieldList):
        entry = field.entries[0] if field.entries else field._add_entry()
        schema: dict = {"type": "array", "items": _field_schema(entry)}
        if field.max_entries:
            schema["maxItems"] = field.max_entries
    elif isinstance(field, FormField):
        return form_schema(field.form_class)
    elif isinstance(field, FileField):
        schema = {"type": "string", "format": "binary"}
    elif isinstance(field, SelectMultipleField):
        item = dict(INPUT_INT) if field.coerce is int else {"type": "string"}
        schema = {"type": "array", "items": item}
    elif isinstance(field, SelectField):
        if field.choices is not None:
            schema = {"type": "string",
                      "enum": [str(value) for value, _label in field.choices]}
        else:
            schema = dict(INPUT_INT) if field.coerce is int else {"type": "string"}
    elif isinstance(field, IntegerField):
        schema = dict(INPUT_INT)
    elif isinstance(field, DateField):
        schema = {"type": "string", "format": "date"}
    elif isinstance(field, BooleanField):
        schema = {"type": "boolean"}
    elif field.type == "NameListField":
        schema = {"type": "array", "items": {"type": "string", "maxLength": SECTION_NAME_MAX}}
    else:
        schema = {"type": "string"}
    for validator in field.validators:
        if isinstance(validator, Length) and schema.get("type") == "string":
            if validator.max and validator.max > 0:
                schema["maxLength"] = validator.max
        elif isinstance(validator, NumberRange):
            if validator.min is not None:
                schema["minimum"] = validator.min
            if validator.max is not None:
                schema["maximum"] = validator.max
        elif isinstance(validator, Regexp):
            schema["pattern"] = validator.regex.pattern
    label = str(field.label.text) if field.label else ""
    description = " ".join(part for part in (label, str(field.description or "")) if part)
    if description:
        schema["description"] = description
    return schema


def _is_required(field) -> bool:
    if any(isinstance(v, Optional) for v in field.validators):
        return False
    if any(isinstance(v, (DataRequired, InputRequired)) for v in field.validators):
        return True
    # A fixed-choice select without a default has nothing to fall back on.
    return (isinstance(field, SelectField) and not isinstance(field, SelectMultipleField)
            and field.choices is not None and field.default is None)


def _blank_refused(field) -> bool:
    return any(isinstance(v, DataRequired) for v in field.validators)


def form_schema(form_class, *, files: bool = False) -> dict:
    """The JSON object a form accepts (file fields only for multipart bodies)."""
    form = form_class(formdata=None, meta={"csrf": False})
    properties: dict = {}
    required: list[str] = []
    for name, field in form._fields.items():
        if name == "csrf_token" or (isinstance(field, FileField) and not files):
            continue
        schema = _field_schema(field)
        if _is_required(field):
            required.append(name)
            if schema.get("type") == "string" and _blank_refused(field):
                schema["minLength"] = max(schema.get("minLength", 0), 1)
                schema.setdefault("pattern", r"\S")  # not only white space
        else:
            schema["nullable"] = True  # null is the same as leaving the field out
        properties[name] = schema
    schema: dict = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _string_enum(values, description: str = "") -> dict:
    schema = {"type": "string", "enum": [getattr(v, "value", v) for v in values]}
    if description:
        schema["description"] = description
    return schema


S = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
DATE = {"type": "string", "format": "date"}
DATE_TIME = {"type": "string", "format": "date-time", "description": "UTC，以 Z 结尾"}
NULL_DATE_TIME = {**DATE_TIME, "nullable": True}


def _obj(properties: dict, *, required: list[str] | None = None) -> dict:
    return {"type": "object", "properties": properties,
            "required": list(properties) if required is None else required}


def _nullable(schema: dict) -> dict:
    # Inline rather than allOf + $ref: OpenAPI 3.0 tools disagree on nullable next to allOf.
    return {**schema, "nullable": True}


def _response_schemas() -> dict:
    action = _string_enum(Action, "工作流操作：" + "；".join(
        f"{a.value}（{a.label}）" for a in Action))
    unit_ref = _obj({"id": INT, "name": S})
    user_ref = _obj({"id": INT, "full_name": S})
    section = _obj({"id": INT, "name": S})
    attachment = _obj({"id": INT, "name": S, "content_type": S, "size": INT})
    proposal_state = _string_enum(ProposalState, "事项状态：" + "；".join(
        f"{s.value}（{s.label}）" for s in ProposalState))
    assignment_state = _string_enum(AssignmentState, "交办状态：" + "；".join(
        f"{s.value}（{s.label}）" for s in AssignmentState))
    draft = _obj({
        "id": {"type": "integer", "description": "稿件 id；审核、退回、签发时作为 seen_version_id"},
        "number": {"type": "integer", "description": "第几稿；保存时作为 base_number"},
        "round": INT,
        "body": {"type": "string", "description": "正文，每段一行"},
        "result_class": _string_enum(current_app.config["RESULT_CLASS_MAP"], "办理结果类别"),
        "result_class_label": S,
        "reply_form": _string_enum(ReplyForm), "reply_form_label": S,
        "disclosure": _string_enum(Disclosure), "disclosure_label": S,
        "contact_name": S, "contact_phone": S,
        "cc": {"type": "array", "items": S, "description": "抄送单位"},
        "closing": S,
        "salutation": {"type": "string", "description": "称谓（空则自动生成）"},
        "opening": {"type": "string", "description": "开头语（空则自动生成）"},
        "note": S,
        "source": {"type": "string", "enum": ["form", "docx", "api"]},
        "created_by": _ref("UserRef"), "created_at": DATE_TIME,
    })
    reply = _obj({
        "id": INT, "round": INT,
        "version": {"type": "integer", "description": "签发的稿号"},
        "doc_number": {"type": "string", "nullable": True,
                       "description": "发文字号，如 吉卫复议字〔2026〕12号；发文前为 null"},
        "first_reviewer": {"type": "string", "description": "初审人姓名（本单位不设该级时为空）"},
        "second_reviewer": {"type": "string", "description": "复审人姓名（同上）"},
        "final_reviewer": {"type": "string", "description": "终审人姓名（同上）"},
        "signer_name": {"type": "string", "description": "签发人姓名"},
        "signed_at": DATE_TIME, "issued_at": NULL_DATE_TIME,
        "pdf_sha256": {"type": "string", "nullable": True,
                       "description": "存档答复函（已签名 PDF）的 SHA-256；发文前为 null"},
        "verify_code": {"type": "string", "nullable": True,
                        "description": "印在答复函上的核验码（16 位）；发文前为 null"},
        "verify_url": {"type": "string", "nullable": True,
                       "description": "核验页面地址（按配置的公开网址生成）"},
        "signed_by_cert": {"type": "string", "nullable": True,
                           "description": "签名证书持有人"},
    })
    rating_answer = _obj({
        "handling": _string_enum(Satisfaction, "对办理工作的评价"), "handling_label": S,
        "handling_score": {"type": "integer", "nullable": True},
        "result": _string_enum(Satisfaction, "对办理结果的评价"), "result_label": S,
        "result_score": {"type": "integer", "nullable": True},
        "verdict": _string_enum(Satisfaction, "该提出人的总体评价：两项中较低的一项"),
        "verdict_label": S,
        "contacted": BOOL,
        "contact_method": {"type": "string", "enum": [""] + [m.value for m in ContactMethod]},
        "contact_method_label": S,
        "comments": S,
        "channel": _string_enum(RatingChannel, "online 网上评价；paper 纸质征询意见表（代录入）"),
        "channel_label": S,
        "entered_by": _nullable({**user_ref, "description": "代录入的工作人员；网上评价为 null"}),
        "scan": _nullable({**attachment, "description": "征询意见表扫描件"}),
        "created_at": DATE_TIME,
    })
    closing = _obj({
        "closed_at": DATE_TIME,
        "closed_by": _nullable(user_ref),
        "grade": _string_enum(Grade, "办理工作评定：good 好，fair 中，poor 差"),
        "grade_label": S,
        "comment": S,
    })
    common = {
        "id": INT,
        "meeting": _obj({"id": INT, "name": S}),
        "kind": _string_enum(ItemKind),
        "kind_label": S,
        "number": S,
        "title": S,
        "category": S,
        "is_key": BOOL,
        "received_on": DATE,
        "state": _ref("ProposalState"),
        "state_label": S,
        "is_overdue": BOOL,
    }
    schemas = {
        "Error": _obj({
            "error": {"type": "string", "description": "中文错误信息"},
            "status": {"type": "integer", "description": "HTTP 状态码"},
            "errors": _ref("FieldErrors"),
        }, required=["error", "status"]),
        "FieldErrors": {
            "type": "object",
            "description": "按字段名列出的错误信息；列表中的对象字段写作 name-序号-子字段，"
                           "如 authors-0-email",
            "additionalProperties": {"type": "array", "items": S},
        },
        "ConflictError": _obj({
            "error": {"type": "string", "description": "中文错误信息"},
            "status": {"type": "integer", "enum": [409]},
            "errors": _ref("FieldErrors"),
            "latest_version": {
                "type": "integer", "description":
                    "仅 save_draft：答复稿已被他人保存时，最新稿的稿号；以它作为 base_number "
                    "重新提交即可（请先对照 latest_draft 中对方的修改）"},
            "latest_draft": _nullable({**draft,
                                       "description": "仅 save_draft：他人保存的最新稿"}),
        }, required=["error", "status"]),
        "ValidationError": _obj({
            "error": S,
            "status": {"type": "integer", "enum": [422]},
            "errors": _ref("FieldErrors"),
        }),
        "Action": action,
        "ProposalState": proposal_state,
        "AssignmentState": assignment_state,
        "Meeting": _obj({
            "id": INT, "name": S, "level": _string_enum(Level), "level_label": S,
            "body": _string_enum(Body), "body_label": S, "region": S, "term": INT,
            "session": INT, "year": INT, "item_kind": _string_enum(ItemKind),
            "reply_period_months": INT, "co_period_months": INT, "created_at": DATE_TIME,
        }),
        "MeetingList": _obj({"items": {"type": "array", "items": _ref("Meeting")}}),
        "Section": section,
        "UnitUser": _obj({
            "id": INT, "username": S, "full_name": S,
            "section_id": {"type": "integer", "nullable": True},
            "roles": {"type": "array", "items": _string_enum(Role)},
            "is_enabled": BOOL,
        }),
        "Unit": _obj({
            "id": INT, "name": S, "short_name": S, "is_supervising": BOOL, "is_active": BOOL,
            "sections": {"type": "array", "items": _ref("Section")},
            "users": {"type": "array", "items": _ref("UnitUser"),
                      "description": "仅系统管理员，或查看本单位时返回"},
        }, required=["id", "name", "short_name", "is_supervising", "is_active", "sections"]),
        "UnitList": _obj({"items": {"type": "array", "items": _ref("Unit")}}),
        "UnitRef": unit_ref,
        "UserRef": user_ref,
        "Author": _obj({
            "id": {"type": "integer", "description": "提出人 id（代录入评价时作为 author_id）"},
            "position": INT, "is_lead": BOOL, "name": S, "organisation": S, "phone": S,
            "email": S, "address": S,
        }),
        "Assignment": _obj({
            "id": INT, "unit": _ref("UnitRef"), "role": _string_enum(UnitRole),
            "role_label": S, "state": _ref("AssignmentState"), "state_label": S,
            "assigned_on": DATE, "due_on": DATE, "due_basis": S, "return_due_on": DATE,
            "return_reason": S,
            "section": _nullable(section),
            "drafter": _nullable(user_ref),
            "version": {"type": "integer", "description": "每次操作后加一；提交时可带上以防覆盖他人更新"},
            "round": {"type": "integer", "minimum": 1,
                      "description": "第几轮办理：评价不满意重新办理后加一"},
            "is_overdue": BOOL,
            "extension": _nullable({**_obj({
                "status": {"type": "string", "enum": ["requested", "approved", "rejected"]},
                "status_label": S, "reason": S, "original_due_on": DATE,
                "requested_due_on": DATE, "requested_by": _nullable(user_ref),
                "requested_at": DATE_TIME, "decided_by": _nullable(user_ref),
                "decided_at": NULL_DATE_TIME, "decision_note": S,
            }), "description": "申请延期（每个交办最多一次）；未申请为 null"}),
            "allowed_actions": {"type": "array", "items": _ref("Action"),
                                "description": "调用者现在可以对该交办执行的操作"},
            "waiting_days": {"type": "integer", "minimum": 0,
                             "description": "在当前状态已停留的整天数（如送审稿等待审核的天数）"},
            "state_since": DATE_TIME,
            "cosign_override_reason": {"type": "string",
                                       "description": "会签例外的理由（交办员登记；未登记为空）"},
            "missing_co_opinions": {"type": "array", "items": S,
                                    "description": "主办单位：尚未提交会办意见的会办单位名称"},
            "draft": _nullable({**draft,
                                "description": "最新答复稿；无稿或调用者无权查看时为 null"}),
            "versions": {"type": "array", "items": _ref("DraftVersionRef"),
                         "description": "历次保存的稿件（调用者无权查看答复稿时为空）"},
            "reviews": {"type": "array", "items": _ref("ReviewDecision"),
                        "description": "审核与签发意见，按时间排序（同上）"},
            "reply": _nullable({**reply,
                                "description": "本轮已签发的答复函；未签发或无权查看时为 null"}),
            "ratings": {"type": "array", "items": _ref("ReplyRatings"),
                        "description": "主办、分办单位历轮已发文答复的满意度测评（交办员和本单位可见；"
                                       "其他调用者为空）"},
        }),
        "ReplyRatings": _obj({
            "reply_id": {"type": "integer", "description": "答复 id（代录入评价时用于路径）"},
            "round": INT, "round_label": S,
            "doc_number": {"type": "string", "nullable": True},
            "issued_at": NULL_DATE_TIME,
            "collecting": {"type": "boolean",
                           "description": "是否正在征询评价（本轮已发文、尚未测评完成）"},
            "rating": {**_string_enum(Satisfaction, "按汇总规则得出的事项评价；未完成为 null"),
                       "nullable": True},
            "rating_label": {"type": "string", "nullable": True},
            "rated_at": NULL_DATE_TIME,
            "answered": {"type": "integer", "description": "已评价的提出人数"},
            "authors": {"type": "array", "items": _ref("AuthorRating")},
        }),
        "AuthorRating": _obj({
            "author_id": INT, "name": S, "is_lead": BOOL,
            "answer": _nullable({**rating_answer, "description": "该提出人的评价；未评价为 null"}),
            "links_made": {"type": "integer",
                           "description": "已生成的个人评价链接数（链接本身不返回）"},
        }),
        "RatingAnswer": rating_answer,
        "Closing": closing,
        "RatingRule": _obj({"value": _string_enum(RatingRule), "label": S}),
        "Draft": draft,
        "DraftVersionRef": _obj({
            "id": INT, "number": INT, "round": INT,
            "source": {"type": "string", "enum": ["form", "docx", "api"],
                       "description": "form 页面填写，docx 上传 Word 稿"},
            "note": S, "created_by": _ref("UserRef"), "created_at": DATE_TIME,
        }),
        "ReviewDecision": _obj({
            "id": INT, "round": INT,
            "cycle": {"type": "integer", "description": "第几次送审；退回后重新送审从初审开始新一轮"},
            "level": {"type": "string", "enum": ["first", "second", "final", "sign"],
                      "description": "first 初审，second 复审，final 终审，sign 签发"},
            "level_label": S,
            "decision": {"type": "string", "enum": ["approve", "return"]},
            "decision_label": S, "comment": S, "reviewer_name": S, "decided_at": DATE_TIME,
            "version": {"type": "integer", "description": "所审核稿件的稿号"},
        }),
        "Reply": reply,
        "AssignmentBrief": _obj({
            "id": INT, "unit": _ref("UnitRef"), "role": _string_enum(UnitRole),
            "state": _ref("AssignmentState"), "state_label": S, "due_on": DATE,
            "is_overdue": BOOL,
        }),
        "Contact": _obj({
            "id": INT, "assignment_id": INT, "unit": _ref("UnitRef"),
            "stage": _string_enum(ContactStage), "stage_label": S,
            "method": _string_enum(ContactMethod), "method_label": S,
            "contacted_on": DATE, "summary": S, "created_by": _ref("UserRef"),
            "created_at": DATE_TIME,
        }),
        "Attachment": attachment,
        "Opinion": _obj({
            "id": INT, "assignment_id": INT, "unit": _ref("UnitRef"), "text": S,
            "attachment": _nullable(attachment), "submitted_by": _ref("UserRef"),
            "submitted_at": DATE_TIME,
            "doc_number": {"type": "string", "nullable": True,
                           "description": "会办意见的发文字号（单位设置了前缀时），如 吉人社会字〔2026〕3号"},
        }),
        "Event": _obj({
            "seq": {"type": "integer", "description": "审计日志序号，时间线按此排序"},
            "occurred_at": DATE_TIME, "actor_name": S, "action": S, "action_label": S,
            "object_type": S, "object_id": {"type": "integer", "nullable": True},
            "details": {"type": "object", "additionalProperties": True},
        }),
        "ProposalSummary": _obj({
            **common,
            "lead_author": {"type": "string", "nullable": True},
            "author_count": INT,
            "assignments": {"type": "array", "items": _ref("AssignmentBrief")},
        }),
        "ProposalPage": _obj({
            "items": {"type": "array", "items": _ref("ProposalSummary")},
            "page": INT, "per_page": INT, "total": INT, "pages": INT,
        }),
        "Proposal": _obj({
            **common,
            "body": S,
            "disclosure": _string_enum(Disclosure), "disclosure_label": S,
            "created_at": DATE_TIME,
            "authors": {"type": "array", "items": _ref("Author")},
            "assignments": {"type": "array", "items": _ref("Assignment")},
            "allowed_actions": {"type": "array", "items": _ref("Action"),
                                "description": "调用者现在可以对该事项执行的操作"},
            "contacts": {"type": "array", "items": _ref("Contact")},
            "opinions": {"type": "array", "items": _ref("Opinion"),
                         "description": "调用者有权查看的会办意见"},
            "timeline": {"type": "array", "items": _ref("Event")},
            "closing": _nullable({**closing, "description": "办结情况；未办结为 null"}),
            "rating_rule": _ref("RatingRule"),
        }),
    }
    # Only in the answer to an action that changed something on the way (save_draft: the
    # punctuation it normalised), so not required.
    schemas["Proposal"]["properties"]["notices"] = {
        "type": "array", "items": S,
        "description": "操作中系统自动作出的调整（如保存答复稿时改为全角的标点），逐条说明"}
    return schemas


def _request_schemas() -> dict:
    schemas = {
        "MeetingInput": form_schema(MeetingForm),
        "ProposalInput": form_schema(ProposalForm),
        "UnitInput": form_schema(UnitForm),
        "PaperRatingInput": form_schema(PaperRatingInput),
    }
    for action in Action:
        if action in ACTIONS:
            schemas[body_schema_name(action)] = form_schema(ACTIONS[action].form)
    for action in UPLOAD_ACTIONS:
        schemas[multipart_schema_name(action)] = form_schema(ACTIONS[action].form, files=True)
    return schemas


def _error(description: str, schema: str = "Error") -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": _ref(schema)}}}


def _responses() -> dict:
    limit = current_app.config.get("MAX_UPLOAD_MB", 20)
    return {
        "BadRequest": _error("请求体不是有效的 JSON 对象"),
        "Unauthorized": _error("缺少或无效的访问令牌（已过期、已吊销、用户已停用或锁定中、签发后用户密码已更改）"),
        "Forbidden": _error("调用者无权执行该操作，或以只读令牌调用修改操作"),
        "NotFound": _error("不存在，或属于其他单位（不透露是否存在）"),
        "Conflict": _error("当前状态下不能执行该操作，或内容已被他人更新（version 不一致）"),
        "ActionConflict": _error(
            "当前状态下不能执行该操作，或内容已被他人更新（version 不一致、审核的稿件已不是最新稿）；"
            "保存答复稿时若已被他人保存，另带 latest_version 与 latest_draft", "ConflictError"),
        "TooLarge": _error(f"请求体过大（上传文件不能超过 {limit} MB）"),
        "Unprocessable": _error("提交的内容有误，errors 按字段列出原因", "ValidationError"),
    }


def _ok(description: str, schema: str, status: str = "200") -> dict:
    return {status: {"description": description,
                     "content": {"application/json": {"schema": _ref(schema)}}}}


def _errors(*codes: int) -> dict:
    names = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
             409: "Conflict", 413: "TooLarge", 422: "Unprocessable"}
    result = {str(code): {"$ref": f"#/components/responses/{names[code]}"} for code in codes}
    result["default"] = _error("其他错误")
    return result


def _id_param(name: str, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}


def _json_body(schema: dict, description: str = "") -> dict:
    body = {"required": True, "content": {"application/json": {"schema": schema}}}
    if description:
        body["description"] = description
    return body


def _created(description: str, schema: str) -> dict:
    response = _ok(description, schema, "201")
    response["201"]["headers"] = {
        "Location": {"description": "新资源的地址", "schema": {"type": "string"}}}
    return response


def _list_parameters() -> list[dict]:
    def query(name, schema, description):
        return {"name": name, "in": "query", "required": False, "schema": schema,
                "description": description}

    return [
        query("meeting", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "会议 id"),
        query("kind", _string_enum(ItemKind), "类别：suggestion 代表建议，proposal 委员提案"),
        query("unit", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "承办单位 id"),
        query("state", _ref("ProposalState"), "事项状态"),
        query("overdue", {"type": "boolean"}, "仅逾期"),
        query("key", {"type": "boolean"}, "仅重点建议提案"),
        query("q", {"type": "string", "maxLength": 100}, "案由关键词，或完整编号"),
        query("page", {"type": "integer", "minimum": 1, "maximum": MAX_ID, "default": 1},
              "页码"),
        query("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE,
                           "default": 30}, f"每页条数（最多 {MAX_PER_PAGE}）"),
    ]


def _action_operation(target: str, actions: list[Action]) -> dict:
    bodies = [_ref(body_schema_name(a)) for a in actions]
    table = "；".join(f"{a.value}（{a.label}）→ {body_schema_name(a)}" for a in actions)
    content: dict = {"application/json": {"schema": bodies[0] if len(bodies) == 1
                                          else {"anyOf": bodies}}}
    uploads = [a for a in actions if a in UPLOAD_ACTIONS]
    if uploads:
        parts = [_ref(multipart_schema_name(a)) for a in uploads]
        content["multipart/form-data"] = {
            "schema": parts[0] if len(parts) == 1 else {"anyOf": parts}}
    noun = "事项" if target == "proposal" else "交办"
    return {
        "tags": ["handling"],
        "operationId": f"{target}_action",
        "summary": f"对{noun}执行工作流操作",
        "description": (
            f"各操作的请求体：{table}。先检查当前状态与调用者身份（409/403），再校验内容（422）；"
            "成功后返回事项的最新内容。带 version 时，若交办已被他人更新则返回 409。"
            + ("提交会办意见可用 multipart/form-data 上传附件（字段 attachment）。"
               if Action.submit_opinion in actions else "")
            + ("保存答复稿（save_draft）可用 multipart/form-data 上传 Word 稿（字段 docx，"
               "以其正文代替 body）；base_number 为打开时的稿号（首稿为 0），"
               "若其间已被他人保存则返回 409 并带 latest_version。"
               "审核、退回、签发须带 seen_version_id（最新稿的 id），稿件已变则返回 409。"
               if Action.save_draft in actions else "")
        ),
        "parameters": [
            _id_param(f"{target}_id", f"{noun} id"),
            {"name": "action", "in": "path", "required": True,
             "description": "操作名称：" + "、".join(a.value for a in actions),
             "schema": {"type": "string", "enum": [a.value for a in actions]}},
        ],
        "requestBody": {"required": False, "content": content},
        "responses": {
            **_ok("操作已完成，返回事项的最新内容", "Proposal"),
            **_errors(400, 401, 403, 404, 409, 413, 422),
            "409": {"$ref": "#/components/responses/ActionConflict"},
        },
    }


def _paths() -> dict:
    return {
        "/openapi.json": {"get": {
            "tags": ["meta"], "operationId": "openapi", "summary": "本接口文档（无需令牌）",
            "security": [],
            "responses": {"200": {"description": "OpenAPI 文档",
                                  "content": {"application/json": {"schema": {
                                      "type": "object", "additionalProperties": True}}}},
                          "default": _error("其他错误")},
        }},
        "/meetings": {
            "get": {
                "tags": ["meetings"], "operationId": "list_meetings", "summary": "会议列表",
                "responses": {**_ok("全部会议", "MeetingList"), **_errors(401)},
            },
            "post": {
                "tags": ["meetings"], "operationId": "create_meeting",
                "summary": "新建会议（交办员或系统管理员）",
                "requestBody": _json_body(_ref("MeetingInput")),
                "responses": {**_created("已新建", "Meeting"),
                              **_errors(400, 401, 403, 413, 422)},
            },
        },
        "/meetings/{meeting_id}": {"get": {
            "tags": ["meetings"], "operationId": "get_meeting", "summary": "一个会议",
            "parameters": [_id_param("meeting_id", "会议 id")],
            "responses": {**_ok("会议", "Meeting"), **_errors(401, 404)},
        }},
        "/units": {
            "get": {
                "tags": ["units"], "operationId": "list_units",
                "summary": "单位列表（含处室；系统管理员还可看到各单位用户）",
                "responses": {**_ok("全部单位", "UnitList"), **_errors(401)},
            },
            "post": {
                "tags": ["units"], "operationId": "create_unit",
                "summary": "新建单位（系统管理员）",
                "requestBody": _json_body(_ref("UnitInput")),
                "responses": {**_created("已新建", "Unit"),
                              **_errors(400, 401, 403, 413, 422)},
            },
        },
        "/units/{unit_id}": {"get": {
            "tags": ["units"], "operationId": "get_unit",
            "summary": "一个单位（系统管理员或本单位用户可看到用户列表）",
            "parameters": [_id_param("unit_id", "单位 id")],
            "responses": {**_ok("单位", "Unit"), **_errors(401, 404)},
        }},
        "/proposals": {
            "get": {
                "tags": ["proposals"], "operationId": "list_proposals",
                "summary": "建议提案列表（承办单位只能看到交给本单位的事项）",
                "parameters": _list_parameters(),
                "responses": {**_ok("一页事项", "ProposalPage"), **_errors(401, 422)},
            },
            "post": {
                "tags": ["proposals"], "operationId": "register_proposal",
                "summary": "登记建议提案（交办员）",
                "description": "authors 为提出人列表，第一位为领衔人。",
                "requestBody": _json_body(_ref("ProposalInput")),
                "responses": {**_created("已登记，返回事项", "Proposal"),
                              **_errors(400, 401, 403, 413, 422)},
            },
        },
        "/proposals/{proposal_id}": {"get": {
            "tags": ["proposals"], "operationId": "get_proposal",
            "summary": "一个事项：承办情况、联系情况、会办意见和办理过程",
            "parameters": [_id_param("proposal_id", "事项 id")],
            "responses": {**_ok("事项", "Proposal"), **_errors(401, 404)},
        }},
        "/replies/{reply_id}/ratings": {"post": {
            "tags": ["ratings"], "operationId": "enter_paper_rating",
            "summary": "代提出人录入纸质征询意见表（交办员）",
            "description": (
                "按提出人填写的纸质征询意见表录入其评价，记录为纸质代录入及录入人（扫描件请在页面上传）。"
                "author_id 须为该事项的提出人，否则返回 422；每位提出人只能评价一次。"
                "最后一位提出人的评价录入后，按汇总规则得出事项评价：不满意的退回承办单位重新办理"
                "（新的办理期限），否则测评完成。返回事项的最新内容。"),
            "parameters": [_id_param("reply_id", "答复 id（见交办的 ratings[].reply_id）")],
            "requestBody": _json_body(_ref("PaperRatingInput")),
            "responses": {**_created("已录入，返回事项", "Proposal"),
                          **_errors(400, 401, 403, 404, 409, 413, 422)},
        }},
        "/proposals/{proposal_id}/actions/{action}": {
            "post": _action_operation("proposal", PROPOSAL_ACTIONS)},
        "/assignments/{assignment_id}/actions/{action}": {
            "post": _action_operation("assignment", ASSIGNMENT_ACTIONS)},
        **_letter_paths(),
    }


PDF_TYPE = "application/pdf"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _file_ok(description: str, mimetype: str) -> dict:
    return {"200": {"description": description,
                    "content": {mimetype: {"schema": {"type": "string", "format": "binary"}}}}}


def _letter_paths() -> dict:
    """The letter's files, with the pages' permissions: the unit and the supervising office
    (a 分办 unit's drafts only to itself and the clerks)."""
    assignment = _id_param("assignment_id", "交办 id")
    round_param = {"name": "round", "in": "query", "required": False,
                   "description": "第几轮办理的答复（默认本轮）",
                   "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}
    number = {"name": "number", "in": "path", "required": True, "description": "稿号（第几稿）",
              "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
    paths = {}
    for ext, mimetype, what in (("pdf", PDF_TYPE, "PDF"), ("docx", DOCX_TYPE, "Word（.docx）")):
        paths[f"/assignments/{{assignment_id}}/letter.{ext}"] = {"get": {
            "tags": ["replies"], "operationId": f"issued_letter_{ext}",
            "summary": f"已发文的答复函（{what}）"
                       + ("：发文时生成并签名的文件，原样返回" if ext == "pdf"
                          else "：与 PDF 同一版式，不含印章和电子签名"),
            "parameters": [assignment, round_param],
            "responses": {**_file_ok("答复函", mimetype), **_errors(401, 403, 404, 422)},
        }}
        paths[f"/assignments/{{assignment_id}}/drafts/{{number}}/letter.{ext}"] = {"get": {
            "tags": ["replies"], "operationId": f"draft_letter_{ext}",
            "summary": f"某一稿的答复函预览（{what}，带“草稿”水印，无文号）",
            "parameters": [assignment, number],
            "responses": {**_file_ok("答复函草稿", mimetype), **_errors(401, 403, 404)},
        }}
    return paths


def document() -> dict:
    """Build the OpenAPI document (needs an application context for the forms)."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "建议提案办理系统 API",
            "version": "1.0.0",
            "description": (
                "以访问令牌调用：请求头 Authorization: Bearer <令牌>。令牌由系统管理员签发"
                "（flask --app wsgi tokens issue 用户名 --scope read|act）：只读（read）令牌只能 GET，"
                "其他方法返回 403；读写（act）令牌可执行该用户的全部操作。所有错误都以 JSON 返回："
                "{\"error\": 中文信息, \"status\": 状态码}，内容有误（422）时另有按字段列出的 errors。"
                "日期为 YYYY-MM-DD，时间为 UTC（以 Z 结尾）。"
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "tags": [
            {"name": "proposals", "description": "建议提案"},
            {"name": "handling", "description": "交办与办理操作"},
            {"name": "ratings", "description": "满意度测评"},
            {"name": "meetings", "description": "会议"},
            {"name": "units", "description": "单位"},
            {"name": "meta", "description": "接口文档"},
        ],
        "paths": _paths(),
        "components": {
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer",
                "description": "flask --app wsgi tokens issue 用户名 --scope read|act 签发的令牌"}},
            "schemas": {**_response_schemas(), **_request_schemas()},
            "responses": _responses(),
        },
    }
