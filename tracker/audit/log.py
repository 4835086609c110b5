"""Append events to the hash-chained log and verify the chain."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from flask import has_request_context, request
from sqlalchemy import insert, select

from tracker.audit.models import AuditEvent, AuditHead
from tracker.core.time import utcnow
from tracker.extensions import db

GENESIS = "0" * 64


def _canonical(fields: dict) -> str:
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def compute_hash(event: AuditEvent | dict) -> str:
    """Hash an event's content together with the previous event's hash."""
    get = event.get if isinstance(event, dict) else (lambda k: getattr(event, k))
    occurred = get("occurred_at")
    fields = {
        "seq": get("seq"),
        "occurred_at": occurred.isoformat(timespec="microseconds")
        if isinstance(occurred, datetime) else str(occurred),
        "actor_id": get("actor_id"),
        "actor_name": get("actor_name"),
        "unit_id": get("unit_id"),
        "action": get("action"),
        "object_type": get("object_type"),
        "object_id": get("object_id"),
        "proposal_id": get("proposal_id"),
        "outcome": get("outcome"),
        "details": get("details"),
        "ip": get("ip"),
        "prev_hash": get("prev_hash"),
    }
    return hashlib.sha256(_canonical(fields).encode("utf-8")).hexdigest()


def _event_fields(event: dict, seq: int, prev_hash: str, occurred_at) -> dict:
    """The stored fields of one event, its hash included (the chain's one definition)."""
    actor = event.get("actor")
    actor_name = event.get("actor_name")
    unit_id = event.get("unit_id")
    fields = {
        "seq": seq,
        "occurred_at": occurred_at,
        "actor_id": getattr(actor, "id", None),
        "actor_name": actor_name if actor_name is not None else getattr(actor, "full_name", ""),
        "unit_id": unit_id if unit_id is not None else getattr(actor, "unit_id", None),
        "action": event["action"],
        "object_type": event.get("object_type", ""),
        "object_id": event.get("object_id"),
        "proposal_id": event.get("proposal_id"),
        "outcome": event.get("outcome", "success"),
        "details": _canonical(event.get("details") or {}),
        "ip": (request.remote_addr or "") if has_request_context() else "",
        "prev_hash": prev_hash,
    }
    fields["hash"] = compute_hash(fields)
    return fields


def _take_head(count: int) -> tuple[int, str]:
    """Reserve count sequence numbers; return the first one and the hash before it.

    Taking the head row first serialises appenders, so the chain never forks.
    """
    head = AuditHead.__table__
    last_seq, prev_hash = db.session.execute(
        head.update()
        .where(head.c.id == 1)
        .values(seq=head.c.seq + count)
        .returning(head.c.seq, head.c.last_hash)
    ).one()
    return last_seq - count + 1, prev_hash


def _set_head_hash(last_hash: str) -> None:
    head = AuditHead.__table__
    db.session.execute(head.update().where(head.c.id == 1).values(last_hash=last_hash))


def record(
    action: str,
    *,
    outcome: str = "success",
    actor=None,
    unit_id: int | None = None,
    object_type: str = "",
    object_id: int | None = None,
    proposal_id: int | None = None,
    details: dict | None = None,
    actor_name: str | None = None,
) -> AuditEvent:
    """Append one event in the current transaction (the caller commits)."""
    seq, prev_hash = _take_head(1)
    fields = _event_fields(dict(
        action=action, outcome=outcome, actor=actor, unit_id=unit_id, object_type=object_type,
        object_id=object_id, proposal_id=proposal_id, details=details, actor_name=actor_name,
    ), seq, prev_hash, utcnow())
    event = AuditEvent(**fields)
    db.session.add(event)
    _set_head_hash(fields["hash"])
    db.session.flush()
    return event


def record_many(actor, events: list[dict]) -> None:
    """Append many events of one actor in one step (bulk work such as an import).

    Each event is a dict of record()'s keyword arguments (action, object_type, object_id,
    proposal_id, details, outcome); the rows, hashes and head are exactly those that record()
    called once per event would write, with the head taken once and the rows inserted in bulk.
    """
    if not events:
        return
    seq, prev_hash = _take_head(len(events))
    rows = []
    for offset, event in enumerate(events):
        fields = _event_fields({**event, "actor": actor}, seq + offset, prev_hash, utcnow())
        prev_hash = fields["hash"]
        rows.append(fields)
    db.session.execute(insert(AuditEvent), rows)
    _set_head_hash(prev_hash)


@dataclass
class ChainReport:
    count: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain() -> ChainReport:
    """Recompute every hash in order and compare with the stored chain and head."""
    problems: list[str] = []
    prev = GENESIS
    count = 0
    expected_seq = 1
    rows = db.session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()
    for event in rows:
        count += 1
        if event.seq != expected_seq:
            problems.append(f"第 {expected_seq} 条事件缺失（下一条为第 {event.seq} 条）")
            expected_seq = event.seq
        if event.prev_hash != prev:
            problems.append(f"第 {event.seq} 条事件的前序哈希与上一条不符")
        if compute_hash(event) != event.hash:
            problems.append(f"第 {event.seq} 条事件的内容已被改动（哈希不符）")
        prev = event.hash
        expected_seq += 1
    head = db.session.get(AuditHead, 1)
    if head is not None and (head.seq != count or head.last_hash != prev):
        problems.append("链尾记录与最后一条事件不符（可能有事件被删除）")
    return ChainReport(count, problems)


def details_of(event: AuditEvent) -> dict:
    try:
        return json.loads(event.details or "{}")
    except ValueError:
        return {}
