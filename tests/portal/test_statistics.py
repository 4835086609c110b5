"""The public statistics: per meeting and unit, the items to answer, replies on time, 满意率,
the replies published on time, and 办成率 from the commitments of B/C replies."""
from __future__ import annotations

import re

from tests.commitments.conftest import rows  # noqa: F401 (the fixture)
from tests.commitments.test_commitments import _known_set


def _row(html: str, unit: str) -> list[str]:
    table = html.split('id="public-stats"', 1)[1].split("</table>", 1)[0]
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>.*?</td>", row, re.S)]
        if cells and cells[0] == unit:
            return cells
    raise AssertionError(f"no row for {unit}")


HEADERS = ["承办单位", "主办（分办）件数", "已答复", "按时答复率", "满意率", "已公开", "按时公开率",
           "承诺事项", "办成率"]


def test_the_public_statistics_show_done_rate_per_unit_and_meeting(app, rows, make_client):
    ids = rows(_known_set)  # health: 3 B/C replies, commitments 2 done, 1 not, 1 overdue
    public = make_client()
    for url in ("/public/statistics", f"/public/statistics?meeting={ids['meeting']}"):
        html = public.get(url).get_data(as_text=True)
        headers = re.findall(r"<th[^>]*>(.*?)</th>", html.split('id="public-stats"')[1])[:9]
        assert headers == HEADERS
        health = _row(html, "省卫生健康委员会")
        assert health[1:3] == ["3", "3"]  # three items answered, three replies
        assert health[3] == "100.0%"      # on time
        assert health[7:] == ["5", "50.0%"]  # 2 done ÷ (2 + 1 not done + 1 overdue)
        total = _row(html, "合计")
        assert total[7:] == ["5", "50.0%"]
