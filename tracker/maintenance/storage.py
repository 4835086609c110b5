"""The files the database names, checked in a store, and copied from one store to another.

`verify` answers whether a store holds every file the database references (attachments,
issued letters, units' keys and seals, finished print batches) with the SHA-256 the database
recorded where it keeps one (attachments, letters). `migrate` copies every object of the
namespaces from one store to another, reads each one back from the target and compares its
SHA-256, and skips objects the target already holds unchanged, so that it can be run again
after an interruption. Neither ever touches the signing passwords: they are not objects of
any store.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from tracker.accounts.models import Unit
from tracker.extensions import db
from tracker.files.models import Attachment
from tracker.files.storage import attachment_key
from tracker.files.store import NAMESPACES, MissingObject, Store, open_store, sha256
from tracker.publication.models import Publication
from tracker.publication.publish import PUBLIC
from tracker.ratings.batch import batch_key
from tracker.ratings.choices import PrintStatus
from tracker.ratings.models import PrintBatch
from tracker.replies.letter import LETTERS
from tracker.replies.models import Reply
from tracker.signing.keys import unit_file_key


@dataclass(frozen=True)
class Reference:
    """A file the database names: its key, its recorded SHA-256 (if any), what it is."""

    key: str
    sha256: str | None
    label: str


def references() -> Iterator[Reference]:
    """Every file the database names, in a stable order."""
    for row in db.session.execute(select(Attachment.id, Attachment.stored_name,
                                         Attachment.sha256).order_by(Attachment.id)):
        yield Reference(attachment_key(row), row.sha256, f"附件 #{row.id}")
    for row in db.session.execute(
            select(Reply.id, Reply.doc_number, Reply.pdf_name, Reply.pdf_sha256)
            .where(Reply.pdf_name.is_not(None)).order_by(Reply.id)):
        yield Reference(LETTERS + row.pdf_name, row.pdf_sha256,
                        f"答复函 {row.doc_number or '#' + str(row.id)}")
    for unit in db.session.scalars(select(Unit).order_by(Unit.id)):
        if unit.sign_p12_name:
            yield Reference(unit_file_key(unit.sign_p12_name), None, f"{unit.name}的签名证书")
        if unit.seal_name:
            yield Reference(unit_file_key(unit.seal_name), None, f"{unit.name}的印章图片")
    for row in db.session.execute(
            select(Publication.id, Publication.index_number, Publication.version,
                   Publication.pdf_name, Publication.pdf_sha256)
            .where(Publication.pdf_name.is_not(None)).order_by(Publication.id)):
        yield Reference(PUBLIC + row.pdf_name, row.pdf_sha256,
                        f"公开版 {row.index_number} 第 {row.version} 版")
    for batch in db.session.scalars(select(PrintBatch).where(
            PrintBatch.status == PrintStatus.done, PrintBatch.file_name.is_not(None))
            .order_by(PrintBatch.id)):
        yield Reference(batch_key(batch), None, f"批量打印的征询意见表 #{batch.id}")


def letterless_issued_replies() -> int:
    """Issued replies with no stored letter at all (bulk demo data, issued before letters
    were kept): nothing to check for them."""
    return db.session.scalar(select(db.func.count()).select_from(Reply).where(
        Reply.issued_at.is_not(None), Reply.pdf_name.is_(None))) or 0


@dataclass
class Report:
    checked: int = 0
    copied: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(target: Store) -> Report:
    """Check that ``target`` holds every file the database names, with the right SHA-256."""
    report = Report()
    for ref in references():
        report.checked += 1
        try:
            data = target.get(ref.key)
        except MissingObject:
            report.problems.append(f"缺失：{ref.label}（{ref.key}）")
            continue
        if ref.sha256 and sha256(data) != ref.sha256:
            report.problems.append(f"SHA-256 与数据库记录不符：{ref.label}（{ref.key}）")
    return report


def migrate(source: Store, target: Store, *, echo=lambda line: None) -> Report:
    """Copy every object of ``source`` to ``target``, checked; skip those already there."""
    if source.url == target.url:
        raise ValueError("源和目标是同一个存储。")
    recorded = {ref.key: ref for ref in references()}
    report = Report()
    present: set[str] = set()
    for namespace in NAMESPACES:
        there = dict(target.iterate(namespace))
        present.update(there)
        for key, size in source.iterate(namespace):
            report.checked += 1
            data = source.get(key)
            digest = sha256(data)
            ref = recorded.get(key)
            if ref is not None and ref.sha256 and ref.sha256 != digest:
                report.problems.append(
                    f"源文件的 SHA-256 与数据库记录不符（仍照原样复制）：{ref.label}（{key}）")
            if there.get(key) == size and sha256(target.get(key)) == digest:
                report.skipped += 1
                continue
            target.put(key, data)
            present.add(key)
            try:
                copied = target.get(key)
            except MissingObject:
                copied = None
            if copied is None or sha256(copied) != digest:
                report.problems.append(f"复制后读回的内容与源文件不符：{key}")
                continue
            report.copied += 1
            if report.copied % 500 == 0:
                echo(f"已复制 {report.copied} 个……")
    for key, ref in recorded.items():
        if key not in present:
            report.problems.append(f"数据库记录的文件在源和目标中都不存在：{ref.label}（{key}）")
    return report


def store_at(url: str | None) -> Store:
    """The store ``url`` names with this app's settings (None: the configured one)."""
    config = current_app.config
    return open_store(config["STORAGE_URL"] if url is None else url, config)
