"""Two app servers on one database and one S3 store: each serves what the other stored.
Local folders could not do this (the second server's folders are empty)."""
from __future__ import annotations

import hashlib
import io
from types import SimpleNamespace

from sqlalchemy import select

from tests import factories
from tests.support.base import Client, build_app
from tests.support.handling import bring_to
from tests.support.storage import s3_settings, use_s3
from tracker.extensions import db
from tracker.files.models import Attachment
from tracker.handling import operations
from tracker.handling.models import CoOpinion
from tracker.replies.models import Reply

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _issue(client, assignment_id: int):
    page = client.get(f"/assignments/{assignment_id}/actions/issue").get_data(as_text=True)
    version = page.split('name="version"')[1].split('value="')[1].split('"')[0]
    return client.post_form(f"/assignments/{assignment_id}/actions/issue", {"version": version})


def test_each_server_serves_what_the_other_stored(live_app, s3_server, monkeypatch, tmp_path):
    first = live_app
    s3 = use_s3(first, s3_server, monkeypatch)
    # The second server: its own (empty) local folders, the same database and store, and the
    # same signing passwords file deployed beside it.
    second = build_app(first.config["DATABASE_URL"], tmp_path / "second",
                       **s3_settings(s3_server, s3.url),
                       SIGNING_PASSWORDS_FILE=first.config["SIGNING_PASSWORDS_FILE"])
    second.test_client_class = Client
    try:
        with first.test_request_context():
            w = factories.build_world()  # keys and seals go to the store from the first
            signed = bring_to(SimpleNamespace(**w), "signed").id
            proposal = factories.make_proposal(w["clerk"], w["meeting"])
            lead, co = factories.assign(proposal, w["clerk"], lead=w["health"], co=[w["hr"]])
            operations.accept_assignment(lead, w["health_clerk"])
            operations.accept_assignment(co, w["hr_clerk"])
            operations.dispatch_assignment(co, w["hr_clerk"], section_id=w["hr_section"].id,
                                           drafter_id=w["hr_drafter"].id)
            db.session.commit()
            co_id = co.id

        # An upload through the first server, downloaded from the second.
        hr_first = first.test_client()
        hr_first.login("hr_drafter")
        assert hr_first.post_form(f"/assignments/{co_id}/actions/submit_opinion", {
            "text": "同意。", "attachment": (io.BytesIO(PDF), "会办意见.pdf"),
        }, content_type="multipart/form-data").status_code == 302
        with first.app_context():
            attachment_id = db.session.scalar(select(CoOpinion.attachment_id).where(
                CoOpinion.assignment_id == co_id))
            stored_name = db.session.get(Attachment, attachment_id).stored_name
        hr_second = second.test_client()
        hr_second.login("hr_drafter")
        assert hr_second.get(f"/attachments/{attachment_id}").data == PDF
        assert not (tmp_path / "second" / "uploads" / stored_name).exists()

        # A letter issued on the second server (with the key the first installed), served
        # by the first.
        clerk_second = second.test_client()
        clerk_second.login("health_clerk")
        response = _issue(clerk_second, signed)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        with second.app_context():
            digest = db.session.scalar(select(Reply.pdf_sha256).where(
                Reply.assignment_id == signed))
        clerk_first = first.test_client()
        clerk_first.login("health_clerk")
        served = clerk_first.get(f"/assignments/{signed}/letter.pdf")
        assert served.status_code == 200
        assert hashlib.sha256(served.data).hexdigest() == digest
        result = first.test_cli_runner().invoke(args=["storage", "verify"])
        assert result.exit_code == 0, result.output
    finally:
        with second.app_context():
            db.session.remove()
            db.engine.dispose()
