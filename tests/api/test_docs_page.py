"""/api/v1/docs: the OpenAPI document in Swagger UI, served from vendored files only."""
from __future__ import annotations

import re

from tests.support.api import PREFIX

VENDOR = "/static/vendor/swagger-ui/"


def test_the_page_needs_no_token_and_loads_only_local_files(client):
    response = client.get(PREFIX + "/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "Set-Cookie" not in response.headers
    html = response.get_data(as_text=True)
    assert "<title>接口文档 - 建议提案办理系统</title>" in html
    assert f'data-url="{PREFIX}/openapi.json"' in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sorted(assets) == sorted([
        "data:,", VENDOR + "swagger-ui.css", VENDOR + "swagger-ui-bundle.js",
        "/static/js/api-docs.js", PREFIX + "/openapi.json"])
    assert "<script>" not in html and "style=" not in html  # the CSP allows neither
    for asset in assets:
        if asset.startswith("/static/"):
            served = client.get(asset)
            assert served.status_code == 200, asset
            served.close()
    init = client.get("/static/js/api-docs.js").get_data(as_text=True)
    assert "validatorUrl: null" in init and "http" not in init
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "style-src 'self';" in csp


def test_the_vendored_files_carry_their_licence(app):
    from pathlib import Path

    folder = Path(app.static_folder) / "vendor" / "swagger-ui"
    assert {p.name for p in folder.iterdir()} == {
        "swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE", "VERSION"}
    assert "Apache License" in (folder / "LICENSE").read_text()
    assert (folder / "VERSION").read_text().startswith("swagger-ui-dist 5.35.0")
