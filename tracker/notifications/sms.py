"""SMS through an HTTP gateway, as Chinese SMS platforms offer them (短信网关).

Configured, not coded: the gateway's URL, method, body template, content type, headers and the
text its answer must contain (TRACKER_SMS_GATEWAY_*). Templates use $phone, $text and $id (the
message's number, which most platforms accept as the caller's serial for de-duplication):
filled in URL-encoded in the URL and in a form body, JSON-escaped in a JSON body. Examples:

    URL  http://10.1.2.3:8080/sms/send            (POST, application/json)
    BODY {"account":"zfb","mobile":"$phone","content":"$text","serial":"$id"}
    SUCCESS "code":0

    URL  http://10.1.2.3/cgi/send?user=zfb&to=$phone&msg=$text   (GET)

No URL configured: no SMS is written at all.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from string import Template

from flask import current_app


class GatewayError(Exception):
    """The gateway refused the message or could not be reached."""


def configured() -> bool:
    return bool(str(current_app.config.get("SMS_GATEWAY_URL", "")).strip())


def _json_escape(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)[1:-1]


def _headers(text: str) -> dict[str, str]:
    headers = {}
    for part in text.split(";"):
        name, sep, value = part.partition(":")
        if sep and name.strip():
            headers[name.strip()] = value.strip()
    return headers


def build_request(phone: str, text: str, message_id: int) -> urllib.request.Request:
    """The HTTP request the configured gateway expects for one message."""
    config = current_app.config
    values = {"phone": phone, "text": text, "id": str(message_id)}
    quoted = {k: urllib.parse.quote(v, safe="") for k, v in values.items()}
    url = Template(str(config["SMS_GATEWAY_URL"]).strip()).safe_substitute(quoted)
    method = str(config["SMS_GATEWAY_METHOD"]).upper() or "POST"
    content_type = str(config["SMS_GATEWAY_CONTENT_TYPE"]).strip()
    data = None
    headers = _headers(str(config["SMS_GATEWAY_HEADERS"]))
    if method != "GET":
        template = Template(str(config["SMS_GATEWAY_BODY"]))
        if "json" in content_type:
            body = template.safe_substitute({k: _json_escape(v) for k, v in values.items()})
        else:
            body = template.safe_substitute(quoted)
        data = body.encode("utf-8")
        headers.setdefault("Content-Type", f"{content_type}; charset=utf-8")
    return urllib.request.Request(url, data=data, method=method, headers=headers)


def send(phone: str, text: str, message_id: int) -> None:
    """Send one SMS; raise GatewayError when the gateway did not take it."""
    config = current_app.config
    request = build_request(phone, text, message_id)
    try:
        with urllib.request.urlopen(request, timeout=float(config["SMS_TIMEOUT"])) as response:
            answer = response.read(64 * 1024).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        raise GatewayError(f"短信网关返回 HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise GatewayError(f"无法连接短信网关：{exc}") from exc
    expected = str(config["SMS_GATEWAY_SUCCESS"])
    if expected and expected not in answer:
        raise GatewayError(f"短信网关未确认发送：{answer[:200]}")
