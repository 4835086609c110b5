"""The app's files on an S3 server, end to end through the pages: an upload stored and
downloaded, a letter issued, stored and served, a unit's key and seal installed and used to
sign. The server is moto_server in its own process, reached over HTTP."""
from __future__ import annotations

import hashlib
import io
from types import SimpleNamespace

from sqlalchemy import select

from tests.factories import assign, make_proposal
from tests.support.handling import _model_for, bring_to
from tests.support.storage import object_names, read_object
from tracker.accounts.models import Unit
from tracker.extensions import db
from tracker.files.models import Attachment
from tracker.handling import operations
from tracker.handling.models import Assignment, CoOpinion
from tracker.replies.models import Reply
from tracker.signing import democa, keys
from tracker.signing.pdf import inspect

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _rows(world) -> SimpleNamespace:
    return SimpleNamespace(**{k: db.session.get(_model_for(k), v) for k, v in vars(world).items()})


def test_an_upload_is_stored_on_s3_and_downloaded_from_it(app, on_s3, world, make_client,
                                                          tmp_path):
    with app.test_request_context():
        w = _rows(world)
        proposal = make_proposal(w.clerk, w.meeting)
        lead, co = assign(proposal, w.clerk, lead=w.health, co=[w.hr])
        operations.accept_assignment(lead, w.health_clerk)
        operations.accept_assignment(co, w.hr_clerk)
        operations.dispatch_assignment(co, w.hr_clerk, section_id=w.hr_section.id,
                                       drafter_id=w.hr_drafter.id)
        db.session.commit()
        co_id = co.id
    before_local = set(tmp_path.parent.rglob("*.pdf"))
    hr = make_client()
    hr.login("hr_drafter")
    response = hr.post_form(f"/assignments/{co_id}/actions/submit_opinion", {
        "text": "同意主办单位意见。", "attachment": (io.BytesIO(PDF), "会办意见.pdf"),
    }, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    with app.app_context():
        opinion = db.session.scalar(select(CoOpinion).where(CoOpinion.assignment_id == co_id))
        attachment = db.session.get(Attachment, opinion.attachment_id)
        stored, digest = attachment.stored_name, attachment.sha256
    # In the bucket under the configured prefix, byte for byte; nothing on the local disk.
    assert object_names(on_s3, "uploads/") == [f"uploads/{stored}"]
    assert read_object(on_s3, f"uploads/{stored}") == PDF
    assert hashlib.sha256(PDF).hexdigest() == digest
    assert set(tmp_path.parent.rglob("*.pdf")) == before_local
    download = hr.get(f"/attachments/{attachment.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    # Another unit still cannot read it; a vanished object is a 404, not a 500.
    edu = make_client()
    edu.login("edu_clerk")
    assert edu.get(f"/attachments/{attachment.id}").status_code == 404
    on_s3.client.delete_object(Bucket=on_s3.bucket, Key=f"{on_s3.prefix}/uploads/{stored}")
    assert hr.get(f"/attachments/{attachment.id}").status_code == 404


def test_an_upload_whose_transaction_rolls_back_leaves_no_object(app, on_s3, world):
    """The upload is stored, then its action fails before COMMIT: object and row both go;
    the same upload committed stays."""
    from werkzeug.datastructures import FileStorage

    from tracker.files.storage import store_upload

    with app.test_request_context():
        w = _rows(world)
        proposal = make_proposal(w.clerk, w.meeting)
        db.session.commit()
        for keep in (False, True):
            attachment = store_upload(FileStorage(io.BytesIO(PDF), filename="a.pdf"),
                                      field="file", proposal_id=proposal.id,
                                      unit_id=w.health.id, actor_id=w.health_clerk.id)
            db.session.flush()
            assert object_names(on_s3, "uploads/") == [f"uploads/{attachment.stored_name}"]
            if keep:
                db.session.commit()
            else:
                db.session.rollback()
                assert object_names(on_s3, "uploads/") == []
        assert object_names(on_s3, "uploads/") == [f"uploads/{attachment.stored_name}"]


def test_an_issued_letter_is_stored_on_s3_and_served_from_it(app, on_s3, world, make_client):
    with app.test_request_context():
        assignment_id = bring_to(_rows(world), "signed").id
        db.session.commit()
    clerk = make_client()
    clerk.login("health_clerk")
    page = clerk.get(f"/assignments/{assignment_id}/actions/issue").get_data(as_text=True)
    version = page.split('name="version"')[1].split('value="')[1].split('"')[0]
    response = clerk.post_form(f"/assignments/{assignment_id}/actions/issue",
                               {"version": version})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    with app.app_context():
        reply = db.session.scalar(select(Reply).where(Reply.assignment_id == assignment_id))
        name, digest, code = reply.pdf_name, reply.pdf_sha256, reply.verify_code
        roots = keys.trust_roots()
    assert object_names(on_s3, "letters/") == [f"letters/{name}"]
    stored = read_object(on_s3, f"letters/{name}")
    assert hashlib.sha256(stored).hexdigest() == digest
    result = inspect(stored, roots)
    assert result.ok, [(c.label, c.text) for c in result.checks if not c.ok]
    served = clerk.get(f"/assignments/{assignment_id}/letter.pdf")
    assert served.status_code == 200 and served.data == stored
    public = make_client().get(f"/verify/{code}/letter.pdf")
    assert public.status_code == 200 and public.data == stored
    # The keys it was signed with came from the bucket too.
    assert len(object_names(on_s3, "signing/units/")) >= 2


def test_a_key_and_seal_installed_on_s3_sign_the_letter(app, on_s3, world, make_client,
                                                        tmp_path):
    holder, password = "省卫生健康委员会（新证书）", "Seal-Pass-7391"
    with app.app_context():
        p12 = democa.unit_p12(democa.ensure_ca(), holder, password)
        seal = democa.draw_seal(holder)
    admin = make_client()
    admin.login("admin")
    response = admin.post_form(f"/admin/units/{world.health}/signing", {
        "password": password, "p12": (io.BytesIO(p12), "新证书.p12"),
        "seal": (io.BytesIO(seal), "印章.png")}, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    with app.app_context():
        unit = db.session.get(Unit, world.health)
        p12_name, seal_name = unit.sign_p12_name, unit.seal_name
    assert read_object(on_s3, f"signing/units/{p12_name}") == p12
    assert read_object(on_s3, f"signing/units/{seal_name}") == seal
    # The password stayed in the local passwords file, never in the bucket.
    everything = b"".join(read_object(on_s3, key) for key in object_names(on_s3))
    assert password.encode() not in everything
    assert not any("password" in key for key in object_names(on_s3))
    assert admin.get(f"/admin/units/{world.health}/seal.png").data == seal

    with app.test_request_context():
        from tracker.replies.letter import issue_with_letter, stored_letter

        assignment = bring_to(_rows(world), "signed")
        clerk = db.session.get(_model_for("health_clerk"), world.health_clerk)
        reply = issue_with_letter(db.session.get(Assignment, assignment.id), clerk,
                                  release_locks=False)
        db.session.commit()
        assert reply.signed_by_cert == holder
        pdf = stored_letter(reply)
        assert read_object(on_s3, f"letters/{reply.pdf_name}") == pdf
        assert inspect(pdf, keys.trust_roots()).ok


def test_an_unreachable_store_refuses_the_upload_with_a_503(app, world, make_client,
                                                           monkeypatch):
    from tests.support.storage import s3_settings

    with app.test_request_context():
        w = _rows(world)
        proposal = make_proposal(w.clerk, w.meeting)
        lead, co = assign(proposal, w.clerk, lead=w.health, co=[w.hr])
        operations.accept_assignment(lead, w.health_clerk)
        operations.accept_assignment(co, w.hr_clerk)
        operations.dispatch_assignment(co, w.hr_clerk, section_id=w.hr_section.id,
                                       drafter_id=w.hr_drafter.id)
        db.session.commit()
        co_id = co.id
    for key, value in s3_settings("http://127.0.0.1:9", "s3://tracker-down/files").items():
        monkeypatch.setitem(app.config, key, value)
    hr = make_client()
    hr.login("hr_drafter")
    response = hr.post_form(f"/assignments/{co_id}/actions/submit_opinion", {
        "text": "同意主办单位意见。", "attachment": (io.BytesIO(PDF), "会办意见.pdf"),
    }, content_type="multipart/form-data")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "文件存储暂时不可用" in page and "127.0.0.1:9" not in page
    with app.app_context():
        assert db.session.scalar(select(CoOpinion).where(CoOpinion.assignment_id == co_id)) \
            is None
