"""The upload form of the batch import."""
from __future__ import annotations

from flask_wtf.file import FileField, FileRequired

from tracker.core.forms import BaseForm


class ImportForm(BaseForm):
    file = FileField("交办清单（.xlsx）", [FileRequired(message="请选择要导入的 .xlsx 文件。")])
