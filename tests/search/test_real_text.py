"""Real published documents through the index (tests/data/samples, copies of ../shared/samples):
a 21,769-character plan as an item's body and the province's 2021 tasks as an issued reply,
searched for what an office would type, on both databases. The documents are indexed once for
the module; each test runs in a savepoint rolled back after it (tests/support/shared.py)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests import factories
from tests.search.test_search import _issue, ids
from tests.support.handling import world_rows
from tests.support.shared import database, world  # noqa: F401 (fixtures)
from tracker.extensions import db
from tracker.handling import operations

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
PLAN = (SAMPLES / "plan-jiaohe-2023.txt").read_text(encoding="utf-8")
TASKS = (SAMPLES / "yigai-tasks-jilin-2021.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def real(app, world):
    with app.test_request_context():
        w = world_rows(world)
        plan = factories.make_proposal(w.clerk, w.meeting, number="0040",
                                       title="关于完善蛟河市医疗卫生服务体系的建议")
        plan.body = PLAN
        tasks = factories.make_proposal(w.clerk, w.meeting, number="0041",
                                        title="关于深化医药卫生体制改革的建议")
        (lead,) = factories.assign(tasks, w.clerk, lead=w.health)
        operations.accept_assignment(lead, w.health_clerk)
        _issue(w, lead, TASKS)
        db.session.commit()
        return plan.id, tasks.id


def found(client, q) -> list[str]:
    html = client.get("/search", query_string={"q": q}).get_data(as_text=True)
    return re.findall(r'href="/proposals/(\d+)"', html)


@pytest.mark.parametrize("q, which", [
    ('"公共卫生委员会建设"', "plan"),     # the plan's last paragraph (beyond 16,383 characters)
    ("末期评估", "plan"),                 # ... and its last heading
    ("112202813400415897", "plan"),      # the 索引号, as printed in the header
    ("05471", "plan"),                    # its serial
    ("专项规划", "plan"),
    ("蛟河市卫生健康局", "plan"),
    ("中国共产党成立100周年", "tasks"),      # the reply's text, Chinese and digits together
    ('"重点工作任务"', "tasks"),
])
def test_real_documents_are_found_where_an_office_would_look(real, client, q, which):
    plan, tasks = real
    client.login("clerk")
    assert found(client, q) == ids(plan if which == "plan" else tasks)


@pytest.mark.parametrize("q", ["公共卫生委员会建设", "“十四五”医疗卫生服务体系规划", "重点工作任务"])
def test_unquoted_words_find_every_document_holding_them(real, client, q):
    """Unquoted, a long query's words must each appear, not the whole string: both
    documents speak of 公共卫生, 委员会, 建设, 十四五 ... and both are found."""
    client.login("clerk")
    assert sorted(found(client, q)) == sorted(ids(*real))
