"""The OpenAPI 3.0 document of /api/v1.

Request bodies are derived from the same WTForms forms the views validate with, response
schemas from the classes in tracker.api.schemas that the serializers build the JSON with,
and the action and state enums from tracker.handling.workflow, so the document cannot drift
from what the API accepts and answers. The API tests check every response against it.
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

from tracker.api import schemas
from tracker.api.forms import SECTION_NAME_MAX, InstructionGiveInput, InstructionInput, UnitForm
from tracker.core.forms import MAX_ID  # PostgreSQL's integer: the largest id stored
from tracker.core.states import Satisfaction
from tracker.handling.actions import ACTIONS
from tracker.handling.workflow import ASSIGNMENT_TABLE, PROPOSAL_TABLE, Action
from tracker.proposals.forms import MeetingForm, ProposalForm
from tracker.proposals.models import ItemKind
from tracker.ratings import actions as _rating_actions  # noqa: F401  (adds 办结 to ACTIONS)
from tracker.ratings.forms import PaperRatingInput
from tracker.replies import actions as _reply_actions  # noqa: F401  (adds the reply actions)

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
            # On a field that must be filled, a blank choice is the page's 「请选择」
            # placeholder, not a value.
            placeholder = "" if _is_required(field) else None
            schema = {"type": "string", "enum": [
                str(value) for value, _label in field.choices if value != placeholder]}
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


def _request_schemas() -> dict:
    schemas = {
        "MeetingInput": form_schema(MeetingForm),
        "ProposalInput": form_schema(ProposalForm),
        "UnitInput": form_schema(UnitForm),
        "PaperRatingInput": form_schema(PaperRatingInput),
        "InstructionInput": form_schema(InstructionInput),
        "InstructionGiveInput": form_schema(InstructionGiveInput),
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
        query("kind", {"type": "string", "enum": [k.value for k in ItemKind]},
              "类别：suggestion 代表建议，proposal 委员提案"),
        query("unit", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "承办单位 id"),
        query("state", _ref("ProposalState"), "事项状态"),
        query("overdue", {"type": "boolean"}, "仅逾期"),
        query("key", {"type": "boolean"}, "仅重点建议提案"),
        query("q", {"type": "string", "maxLength": 100},
              "全文检索：编号、案由、正文、类别、提出人及单位、答复、会办意见、联系记录、领导批示"
              "（空格分开的词须同时出现；按相关度排序，items[].matches 给出匹配处）"),
        query("year", {"type": "integer", "minimum": 1, "maximum": 9999}, "会议年度"),
        query("class", {"type": "string", "maxLength": 5}, "已发出答复的类别（如 A、B、C）"),
        query("rating", {"type": "string", "enum": [r.value for r in Satisfaction]},
              "已发出答复的测评结果"),
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
            + ("提交会办意见可用 multipart/form-data 上传附件（字段 attachment）；"
               "提交后由会办单位的签发人、主要负责人或领导批准（approve_opinion，批准时编号）"
               "或退回（return_opinion，须填 comment），seen_opinion_id 为所审的会办意见 id。"
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
        "/docs": {"get": {
            "tags": ["meta"], "operationId": "docs",
            "summary": "本接口文档的浏览页面（Swagger UI，无需令牌）",
            "security": [],
            "responses": {"200": {"description": "HTML 页面",
                                  "content": {"text/html": {"schema": {"type": "string"}}}},
                          "default": _error("其他错误")},
        }},
        "/proposals/{proposal_id}/instructions": {"post": {
            "tags": ["instructions"], "operationId": "enter_instruction",
            "summary": "录入领导批示：领导本人批示，或联络员据纸质批示代为录入（须填 source 与领导）",
            "description": "扫描件录入请在页面上上传扫描件。承办单位领导的意见须带 assignment_id。",
            "parameters": [_id_param("proposal_id", "事项 id")],
            "requestBody": _json_body(_ref("InstructionInput")),
            "responses": {**_created("已录入，返回事项的最新内容", "Proposal"),
                          **_errors(400, 401, 403, 404, 409, 413, 422)},
        }},
        "/instructions/{instruction_id}/give": {"post": {
            "tags": ["instructions"], "operationId": "give_instruction",
            "summary": "对呈请的批示作出批示（被呈请的领导），或据纸质批示代为录入（联络员）",
            "parameters": [_id_param("instruction_id", "批示 id")],
            "requestBody": _json_body(_ref("InstructionGiveInput")),
            "responses": {**_ok("已批示，返回事项的最新内容", "Proposal"),
                          **_errors(400, 401, 403, 404, 409, 413, 422)},
        }},
        "/notifications": {"get": {
            "tags": ["notifications"], "operationId": "list_notifications",
            "summary": "调用者的通知（新的在前），含未读总数",
            "parameters": [
                {"name": "unread", "in": "query", "required": False,
                 "schema": {"type": "boolean", "default": False}, "description": "仅未读"},
                {"name": "page", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID, "default": 1},
                 "description": "页码"},
                {"name": "per_page", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE,
                            "default": 30}, "description": f"每页条数（最多 {MAX_PER_PAGE}）"},
            ],
            "responses": {**_ok("一页通知", "NotificationPage"), **_errors(401, 422)},
        }},
        "/notifications/{notification_id}/read": {"post": {
            "tags": ["notifications"], "operationId": "read_notification",
            "summary": "将自己的一条通知标为已读",
            "parameters": [_id_param("notification_id", "通知 id")],
            "responses": {**_ok("已标为已读", "Notification"), **_errors(401, 403, 404, 422)},
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
        "/units/{unit_id}/reply-templates": {"get": {
            "tags": ["units"], "operationId": "list_reply_templates",
            "summary": "单位的答复模板（含已停用的）及各单位通用模板（仅本单位用户和系统管理员）",
            "parameters": [_id_param("unit_id", "单位 id")],
            "responses": {**_ok("答复模板", "ReplyTemplateList"), **_errors(401, 404)},
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
    paths["/assignments/{assignment_id}/opinions/{opinion_id}/letter.pdf"] = {"get": {
        "tags": ["replies"], "operationId": "opinion_letter_pdf",
        "summary": "已批准的会办意见的会办意见函（PDF）：主办单位、会办单位和交办员可取",
        "parameters": [assignment, _id_param("opinion_id", "会办意见 id")],
        "responses": {**_file_ok("会办意见函", PDF_TYPE), **_errors(401, 404)},
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
            {"name": "notifications", "description": "通知"},
            {"name": "instructions", "description": "领导批示"},
            {"name": "replies", "description": "答复函文件"},
            {"name": "meetings", "description": "会议"},
            {"name": "units", "description": "单位"},
            {"name": "meta", "description": "接口文档"},
        ],
        "paths": _paths(),
        "components": {
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer",
                "description": "flask --app wsgi tokens issue 用户名 --scope read|act 签发的令牌"}},
            "schemas": {**schemas.components(), **_request_schemas()},
            "responses": _responses(),
        },
    }
