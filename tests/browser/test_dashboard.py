"""In a real browser: the dashboard's charts are drawn at a readable size, with no script or
CSP error, for the supervising clerk."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.browser.test_login_and_assign import log_in
from tests.support.handling import _model_for, bring_to, rate_all
from tracker.extensions import db

pytestmark = pytest.mark.browser


def _some_handling(server) -> None:
    """Replies, a rating, drafting and a co-handling opinion, so every chart has data."""
    with server.app.test_request_context():
        w = SimpleNamespace(**{k: db.session.get(_model_for(k), v)
                               for k, v in vars(server.ids).items()})
        rate_all(w, bring_to(w, "replied"), "satisfied")
        bring_to(w, "replied")
        bring_to(w, "drafting")
        bring_to(w, "opinion_submitted", role="co")
        db.session.commit()


def test_the_charts_are_drawn(live_server, browser, artifacts):
    _some_handling(live_server)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, live_server.url, "clerk")
    page.goto(live_server.url + "/supervision/")
    page.wait_for_function("document.querySelectorAll('canvas[data-chart]').length === 5 && "
                           "[...document.querySelectorAll('canvas[data-chart]')]"
                           ".every(c => window.Chart && Chart.getChart(c))")
    sizes = page.evaluate("[...document.querySelectorAll('canvas[data-chart]')]"
                          ".map(c => [c.id, c.clientWidth, c.clientHeight])")
    page.screenshot(path=str(artifacts / "dashboard.png"), full_page=True)
    assert errors == []
    for name, width, height in sizes:
        # A chart squeezed by its container (as happened with a shared parent) is ~150 px.
        assert width > 300 and height > 200, (name, width, height)
    assert page.locator("#tbl-units").get_by_text("省卫生健康委员会").count() == 1
