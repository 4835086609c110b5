"""Jinja globals and filters shared by every page, and the audit events' labels."""
from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import quote

from flask import Flask, g, url_for
from werkzeug.routing import BuildError

from tracker.core.time import to_local, today

# What werkzeug's converters leave unquoted in a path segment (BaseConverter.to_url).
_SAFE = "!$&'()*+,/:;=@"
# A segment that quoting leaves as it is (an action's name: "save_draft").
_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9_.~-]+").fullmatch


class UrlPattern:
    """An endpoint's address with its variable parts left open, built once per request: a
    list page links every row without asking the URL map again (url_for costs ~20 µs)."""

    __slots__ = ("_parts",)

    def __init__(self, parts: list[str | int]) -> None:
        self._parts = parts  # text, and the positions of the values in between

    def __call__(self, *values) -> str:
        out = []
        for part in self._parts:
            if part.__class__ is str:
                out.append(part)
            else:
                value = values[part]
                if value.__class__ is int:
                    out.append(str(value))
                else:
                    value = str(value)
                    out.append(value if _PLAIN_SEGMENT(value) else quote(value, safe=_SAFE))
        return "".join(out)


# Values no real address holds, to find where each variable part lands.
_SENTINEL_INT = 1_987_654_321


def url_pattern(endpoint: str, *names: str) -> UrlPattern:
    """``url_pattern("proposals.detail", "proposal_id")(7) == url_for(..., proposal_id=7)``."""
    cache = g.setdefault("url_patterns", {})
    key = (endpoint, names)
    if key not in cache:
        samples: dict[str, object] = {}
        for i, name in enumerate(names):
            samples[name] = _SENTINEL_INT + i
        try:
            url = url_for(endpoint, **samples)
        except BuildError:  # a non-integer part: a text sentinel instead
            samples = {name: f"zzsentinel{i}zz" for i, name in enumerate(names)}
            url = url_for(endpoint, **samples)
        parts: list[str | int] = [url]
        for i, value in enumerate(samples.values()):
            expanded: list[str | int] = []
            for part in parts:
                if isinstance(part, str) and str(value) in part:
                    before, after = part.split(str(value), 1)
                    expanded += [before, i, after]
                else:
                    expanded.append(part)
            parts = expanded
        cache[key] = UrlPattern([p for p in parts if p != ""])
    return cache[key]


def register(app: Flask) -> None:
    """The helpers of every page; each package adds its own in its init_app()."""
    app.jinja_env.globals.update(today=today, url_pattern=url_pattern)

    @app.template_filter("localtime")
    def _localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        local = to_local(value)
        return local.strftime(fmt) if local else ""

    @app.template_filter("cndate")
    def _cndate(value: date | None) -> str:
        if value is None:
            return ""
        return f"{value.year}年{value.month}月{value.day}日"


EVENT_LABELS = {
    "register": "登记",
    "update_proposal": "修改登记信息",
    "join_items": "并案",
    "split_item": "拆分并案",
    "login": "登录",
    "login_failed": "登录失败",
    "login_locked": "账户锁定中登录",
    "account_locked": "账户锁定",
    "logout": "退出登录",
    "password_changed": "修改密码",
    "reset_password": "重置密码",
    "access_denied": "越权访问被拒绝",
    "transition_refused": "操作被拒绝",
    "create_meeting": "新建会议",
    "update_meeting": "修改会议",
    "create_unit": "新建单位",
    "update_unit": "修改单位",
    "update_unit_settings": "修改单位答复设置",
    "update_unit_signing": "修改单位电子签名",
    "update_letter_style": "修改答复函样式",
    "rating_link_minted": "生成评价链接",
    "rating_submitted": "提交满意度评价",
    "import_items": "批量导入交办清单",
    "rating_rule_set": "修改评价汇总规则",
    "rate": "测评完成",
    "rehandle": "评价不满意，重新办理",
    "close": "办结",
    "create_section": "新建处室",
    "create_user": "新建用户",
    "update_user": "修改用户",
    "disable_user": "停用用户",
    "issue_token": "签发接口令牌",
    "revoke_token": "吊销接口令牌",
    "calendar_set": "修改节假日",
    "calendar_delete": "删除节假日设置",
    "urge": "催办",
    "instruction_requested": "呈请领导批示",
    "instruction_given": "领导批示",
}
