"""Official holiday arrangements (国务院办公厅关于部分节假日安排的通知) known at release time.

Administrators add later years on the calendar page; these only seed a new installation.
"""
from __future__ import annotations

from datetime import date, timedelta


def _span(first: str, last: str, note: str) -> list[tuple[date, bool, str]]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    days = []
    while start <= end:
        days.append((start, False, note))
        start += timedelta(days=1)
    return days


def _work(day: str, note: str) -> tuple[date, bool, str]:
    return (date.fromisoformat(day), True, note)


OFFICIAL: list[tuple[date, bool, str]] = [
    # 2025
    *_span("2025-01-01", "2025-01-01", "元旦"),
    *_span("2025-01-28", "2025-02-04", "春节"),
    _work("2025-01-26", "春节调休上班"),
    _work("2025-02-08", "春节调休上班"),
    *_span("2025-04-04", "2025-04-06", "清明节"),
    *_span("2025-05-01", "2025-05-05", "劳动节"),
    _work("2025-04-27", "劳动节调休上班"),
    *_span("2025-05-31", "2025-06-02", "端午节"),
    *_span("2025-10-01", "2025-10-08", "国庆节、中秋节"),
    _work("2025-09-28", "国庆节调休上班"),
    _work("2025-10-11", "国庆节调休上班"),
    # 2026
    *_span("2026-01-01", "2026-01-03", "元旦"),
    _work("2026-01-04", "元旦调休上班"),
    *_span("2026-02-15", "2026-02-23", "春节"),
    _work("2026-02-14", "春节调休上班"),
    _work("2026-02-28", "春节调休上班"),
    *_span("2026-04-04", "2026-04-06", "清明节"),
    *_span("2026-05-01", "2026-05-05", "劳动节"),
    _work("2026-05-09", "劳动节调休上班"),
    *_span("2026-06-19", "2026-06-21", "端午节"),
    *_span("2026-09-25", "2026-09-27", "中秋节"),
    *_span("2026-10-01", "2026-10-07", "国庆节"),
    _work("2026-09-20", "国庆节调休上班"),
    _work("2026-10-10", "国庆节调休上班"),
]
