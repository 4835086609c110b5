"""In a real browser: /api/v1/docs renders the OpenAPI document with the vendored Swagger UI,
every operation listed, nothing fetched from elsewhere, no script or CSP error."""
from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.browser


def test_the_api_docs_list_every_operation(live_server, browser, artifacts):
    base = live_server.url
    spec = json.loads(live_server.app.test_client().get("/api/v1/openapi.json").data)
    operations = {(method.upper(), path) for path, item in spec["paths"].items()
                  for method in item}
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    requested: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requested.append(r.url))

    page.goto(base + "/api/v1/docs")
    page.wait_for_selector(".opblock-summary-path")
    assert page.locator(".info .title").inner_text().startswith("建议提案办理系统 API")
    shown = set()
    for block in page.locator(".opblock").all():
        method = block.locator(".opblock-summary-method").inner_text().strip()
        path = block.locator(".opblock-summary-path").get_attribute("data-path")
        shown.add((method, path))
    assert shown == operations
    page.screenshot(path=str(artifacts / "api-docs.png"), full_page=True)

    # One operation opened: its parameters and responses come from the same document.
    block = page.locator("#operations-proposals-list_proposals")
    block.locator(".opblock-summary").click()
    block.locator(".parameters").wait_for()
    assert block.get_by_text("全文检索：编号、案由、正文", exact=False).first.is_visible()
    page.screenshot(path=str(artifacts / "api-docs-operation.png"))

    assert errors == []
    assert requested and all(url.startswith(base + "/") for url in requested), requested
    assert base + "/api/v1/openapi.json" in requested
