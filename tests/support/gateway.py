"""A real SMS gateway for the tests: an HTTP server on 127.0.0.1 and a free port, in its own
thread, that records every request (method, path, query, headers, body) and answers with a
status and body the test chooses (`{"code":0}` unless told otherwise).

`configure(app, gateway, monkeypatch)` points the app's SMS settings at it, with a JSON body
template as Chinese SMS platforms take it (the fixture is in tests/notifications/conftest.py).
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

BODY_TEMPLATE = '{"mobile":"$phone","content":"$text","serial":"$id"}'
SUCCESS = '"code":0'


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: str

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Gateway:
    """The server's address, what it was sent, and what it answers (change at will)."""

    port: int = 0
    requests: list[Request] = field(default_factory=list)
    status: int = 200
    answer: str = '{"code":0,"msg":"ok"}'
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sms/send"

    def messages(self) -> list[dict]:
        """The JSON bodies received, in order."""
        with self.lock:
            return [r.json for r in self.requests]

    def by_phone(self) -> dict[str, list[str]]:
        """{mobile number: [texts received, in order]}."""
        found: dict[str, list[str]] = {}
        for message in self.messages():
            found.setdefault(message["mobile"], []).append(message["content"])
        return found


def _handler(gateway: Gateway):
    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8") if length else ""
            parts = urlsplit(self.path)
            with gateway.lock:
                gateway.requests.append(Request(
                    method=self.command, path=parts.path, query=parse_qs(parts.query),
                    headers={k.lower(): v for k, v in self.headers.items()}, body=body))
                status, answer = gateway.status, gateway.answer
            data = answer.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = _record

        def log_message(self, *args) -> None:  # quiet
            pass

    return Handler


class running:
    """Context manager: a Gateway served in a thread until the block ends."""

    def __enter__(self) -> Gateway:
        self.gateway = Gateway()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.gateway))
        self.server.daemon_threads = True
        self.gateway.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self.gateway

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def configure(app, gateway: Gateway, monkeypatch) -> None:
    """Send the app's SMS through the gateway (POST, JSON body, success when code is 0)."""
    for key, value in {
        "SMS_GATEWAY_URL": gateway.url, "SMS_GATEWAY_METHOD": "POST",
        "SMS_GATEWAY_BODY": BODY_TEMPLATE, "SMS_GATEWAY_CONTENT_TYPE": "application/json",
        "SMS_GATEWAY_HEADERS": "X-Api-Key: test-key", "SMS_GATEWAY_SUCCESS": SUCCESS,
        "SMS_TIMEOUT": 5,
    }.items():
        monkeypatch.setitem(app.config, key, value)
