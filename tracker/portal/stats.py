"""The public statistics of a meeting (or of all): per handling unit, the items it answers,
its replies and how many on time, 满意率, the replies published and on time, and 办成率."""
from __future__ import annotations

from dataclasses import dataclass

from tracker.commitments.queries import Rate, done_rates
from tracker.publication import deadlines
from tracker.supervision.stats import Scope, UnitFigures, add_up, unit_figures


@dataclass
class Row:
    name: str
    handling: UnitFigures             # 主办（分办）, answers, on time, ratings
    publishing: deadlines.UnitFigures  # published, on time
    done: Rate  # the commitments of its B/C replies: 办成率


def statistics(meeting_id: int | None) -> tuple[list[Row], Row]:
    """One row per unit with items to answer in scope, and the total."""
    handling = [f for f in unit_figures(Scope(meeting_id=meeting_id)) if f.main]
    published = deadlines.by_unit(meeting_id=meeting_id)
    done = done_rates(meeting_id, by="unit")
    rows = [Row(f.unit_name, f, published.get(f.unit_id, deadlines.UnitFigures(f.unit_id)),
                done.get(f.unit_id, Rate())) for f in handling]
    total, done_total = deadlines.UnitFigures(0), Rate()
    for row in rows:
        total.add(row.publishing)
        done_total.add(row.done)
    return rows, Row("合计", add_up(handling), total, done_total)
