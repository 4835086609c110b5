"""Forms for drafting, co-signing exceptions, review, sign-off and issue."""
from __future__ import annotations

from flask import current_app
from flask_wtf.file import FileField
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional, Regexp

from tracker.core.forms import BaseForm
from tracker.core.states import ReviewLevel
from tracker.handling.forms import REQUIRED, VersionedForm
from tracker.letters import fields
from tracker.proposals.models import Disclosure
from tracker.replies.choices import (
    PUBLIC_SUMMARY_MAX,
    PublicationMode,
    TemplateKind,
    WithholdReason,
)
from tracker.replies.models import ReplyForm


class PublicationFields:
    """办理结果公开: how the result is published, why not, or the summary published."""

    publication = SelectField("办理结果公开", choices=PublicationMode.choices(),
                              default=PublicationMode.full.value)
    withhold_reason = SelectField(
        "不予公开理由", choices=[("", "（不予公开时选择）"), *WithholdReason.choices()], default="")
    public_summary = TextAreaField(
        "公开摘要", [Optional(), Length(max=PUBLIC_SUMMARY_MAX,
                                  message=f"摘要不能超过 {PUBLIC_SUMMARY_MAX} 字。")],
        description="摘要公开时填写：在门户网站上代替全文公开的内容，不含个人信息。")


class DraftForm(PublicationFields, BaseForm):
    # The version the editor was opened on: saving over a newer one is refused.
    base_number = IntegerField("基于第几稿", [Optional()], widget=HiddenField.widget)
    body = TextAreaField(
        "答复正文", [Optional(), Length(max=fields.BODY_MAX)],
        description="每段一行；标题按公文层次以「一、」「（一）」「1.」「（1）」开头，系统自动识别。")
    docx = FileField("导入 Word 稿（.docx）",
                     description="整篇答复函（标题、文号、称谓、正文、落款、联系人、抄送等）均可，"
                                 "系统识别各部分并填入下面各栏，保存前先预览。")
    # "docx" when the fields come from an imported Word file (kept in the version's source).
    source = HiddenField("来源", [Optional(), AnyOf(["", "form", "docx"])])
    # No class is preselected: the drafter chooses one (a default inflated the A figures);
    # save_draft refuses a draft without it, beside this field.
    result_class = SelectField("办理结果类别")
    reply_form = SelectField("答复形式", choices=ReplyForm.choices(),
                             default=ReplyForm.written.value)
    disclosure = SelectField("公开属性", choices=Disclosure.choices())
    contact_name = StringField("联系人", [Optional(), Length(max=fields.CONTACT_NAME_MAX)])
    contact_phone = StringField(
        "联系电话", [Optional(), Length(max=fields.CONTACT_PHONE_MAX),
                    Regexp(rf"^{fields.PHONE_RE.pattern}\Z", message=fields.PHONE_HELP)])
    cc = TextAreaField("抄送（每行一个单位）", [Optional(), Length(max=fields.CC_TEXT_MAX)])
    closing = StringField("结束语", [Optional(), Length(max=fields.CLOSING_MAX)],
                          description="留空则使用本单位默认结束语。")
    salutation = StringField("称谓（留空自动生成）", [Optional(), Length(max=fields.SALUTATION_MAX)])
    opening = TextAreaField("开头语（留空自动生成）", [Optional(), Length(max=fields.OPENING_MAX)])
    note = StringField("修改说明", [Optional(), Length(max=200)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.result_class.choices = [("", "（请选择）")] + list(
            current_app.config["RESULT_CLASS_MAP"].items())


class OverrideCosignForm(VersionedForm):
    reason = TextAreaField("会签例外的理由", [DataRequired(REQUIRED), Length(max=2000)])


class SubmitReviewForm(VersionedForm):
    note = TextAreaField("送审说明", [Optional(), Length(max=2000)])


class ReviewForm(VersionedForm):
    # The draft version the reviewer looked at: a changed draft cannot be approved blind.
    seen_version_id = IntegerField("审核的稿件", [DataRequired(REQUIRED)],
                                   widget=HiddenField.widget)
    comment = TextAreaField("审核意见", [Optional(), Length(max=5000)])


class ReturnDraftForm(ReviewForm):
    comment = TextAreaField("修改意见", [DataRequired(REQUIRED), Length(max=5000)])


class RedactWordsField:
    redact_words = TextAreaField(
        "公开时删除的词语", [Optional(), Length(max=2000, message="不能超过 2000 字。")],
        description="每行一个词语（如第三方的姓名、单位、门牌号），公开文本中显示为［已删除］；"
                    "电话、邮箱、身份证号等由系统按规则删除，不必填写。")


class ApproveForm(PublicationFields, RedactWordsField, ReviewForm):
    """审核通过, with the publication decision as it stands (the reviewer may change it)."""


# The signer's comment, approving or returning the draft.
SIGN_COMMENT = f"{ReviewLevel.sign.label}意见"


class SignForm(PublicationFields, RedactWordsField, ReviewForm):
    comment = TextAreaField(SIGN_COMMENT, [Optional(), Length(max=5000)])


class IssueForm(VersionedForm):
    pass


class ReplyTemplateForm(BaseForm):
    """A reply template's shape; its rules (length by kind, placeholders, unique names) are
    tracker.replies.templates'."""

    kind = SelectField("模板类别", choices=[("", "（请选择）")] + TemplateKind.choices())
    name = StringField("模板名称", [Optional(), Length(max=60)],
                       description="如“通用开头语”“医保类下一步工作”，起草人在编辑器中按名称选择。")
    text = TextAreaField("模板内容", [Optional(), Length(max=fields.BODY_MAX)])
