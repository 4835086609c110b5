"""A unit's signing certificate (PKCS#12 + password) and seal image, uploaded by an
administrator on /admin/units/<id>/signing; the seal preview on /admin/units/<id>/seal.png."""
from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.admin.helpers import field_errors
from tests.factories import KEY_COLUMNS, make_unit
from tests.support.base import load
from tracker.accounts.models import Unit
from tracker.audit.log import details_of
from tracker.audit.models import AuditEvent
from tracker.core.time import to_local
from tracker.extensions import db
from tracker.signing import democa, keys

NEW_HOLDER = "省卫生健康委员会（新证书）"
NEW_PASSWORD = "Seal-Pass-7391"


def _p12(app, holder: str = NEW_HOLDER, password: str = NEW_PASSWORD, **kw) -> bytes:
    with app.app_context():
        return democa.unit_p12(democa.ensure_ca(), holder, password, **kw)


def _png(mode: str = "RGBA", size: tuple[int, int] = (300, 300), fmt: str = "PNG") -> bytes:
    from PIL import Image

    colour = (200, 20, 30, 0) if mode == "RGBA" else (200, 20, 30)
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, format=fmt)
    return out.getvalue()


def _upload(client, unit_id: int, *, p12: bytes | None = None, password: str | None = None,
            seal: bytes | None = None, p12_name: str = "新证书.p12",
            seal_name: str = "印章.png"):
    data: dict = {"password": password or ""}
    if p12 is not None:
        data["p12"] = (io.BytesIO(p12), p12_name)
    if seal is not None:
        data["seal"] = (io.BytesIO(seal), seal_name)
    return client.post_form(f"/admin/units/{unit_id}/signing", data,
                            content_type="multipart/form-data")


def _keys_of(app, unit_id: int) -> dict:
    with app.app_context():
        unit = load(Unit, unit_id)
        return {c: getattr(unit, c) for c in KEY_COLUMNS}


def _stored_files(app) -> set[str]:
    with app.app_context():
        return {p.name for p in (Path(app.config["SIGNING_DIR"]) / "units").iterdir()}


def _audit_text(app) -> str:
    """Every column of every audit row, as one string."""
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent)).all()
        return "\n".join(repr({c.name: getattr(r, c.name) for c in AuditEvent.__table__.columns})
                         for r in rows)


def test_the_page_shows_the_current_certificate_and_seal(app, admin, world):
    with app.app_context():
        unit = load(Unit, world.health)
        not_after = to_local(unit.sign_not_after)
        password = keys.unit_password(unit)
    assert password  # give_keys stored it in the passwords file
    response = admin.get(f"/admin/units/{world.health}/signing")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "电子签名" in html and "当前配置" in html
    subject = html.split('class="col-sm-9 signing-subject">')[1].split("</dd>")[0]
    assert subject == "省卫生健康委员会"
    assert f"{not_after.year}年{not_after.month}月{not_after.day}日" in html
    assert "已配置（签名密码文件）" in html
    assert f'src="/admin/units/{world.health}/seal.png"' in html
    assert 'enctype="multipart/form-data"' in html
    assert 'name="p12"' in html and 'name="password"' in html and 'name="seal"' in html
    # The note: where the password lives, and what kind of signature this is.
    assert "SIGNING_PASSWORDS_FILE" in html
    assert f"TRACKER_SIGNING_PASSWORD_{world.health}" in html
    assert "PAdES" in html and "GB/T 38540" in html
    assert password not in html
    # The unit's page sums it up and links here.
    edit = admin.get(f"/admin/units/{world.health}/edit").get_data(as_text=True)
    assert "电子签名" in edit and f'href="/admin/units/{world.health}/signing"' in edit
    assert "证书持有者：省卫生健康委员会" in edit
    assert password not in edit


def test_a_unit_without_keys_shows_not_configured(app, admin, world):
    with app.test_request_context():
        unit_id = make_unit("省民政厅").id
        db.session.commit()
    html = admin.get(f"/admin/units/{unit_id}/signing").get_data(as_text=True)
    state = html.split("当前配置")[1].split("</dl>")[0]
    assert state.count("未配置") == 4
    assert "seal.png" not in html
    assert admin.get(f"/admin/units/{unit_id}/seal.png").status_code == 404
    edit = admin.get(f"/admin/units/{unit_id}/edit").get_data(as_text=True)
    assert "尚未配置签名证书" in edit


def test_admin_uploads_a_new_certificate_and_seal(app, admin, world):
    before = _keys_of(app, world.health)
    seal = democa.draw_seal(NEW_HOLDER)
    response = _upload(admin, world.health, p12=_p12(app), password=NEW_PASSWORD, seal=seal)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/units/{world.health}/signing")
    html = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "已更新「省卫生健康委员会」的签名证书、印章图片。" in html
    subject = html.split('class="col-sm-9 signing-subject">')[1].split("</dd>")[0]
    assert subject == NEW_HOLDER
    assert NEW_PASSWORD not in html
    after = _keys_of(app, world.health)
    assert after["sign_p12_name"] != before["sign_p12_name"]
    assert after["seal_name"] != before["seal_name"]
    assert after["sign_subject"] == NEW_HOLDER
    with app.app_context():
        unit = load(Unit, world.health)
        assert keys.unit_password(unit) == NEW_PASSWORD
        key = keys.unit_key(unit)  # the stored password opens the stored file
        assert key.subject == NEW_HOLDER and key.seal_png == seal
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "update_unit_signing").order_by(AuditEvent.seq.desc()))
        assert event.actor_id == world.admin and event.object_type == "unit"
        assert event.object_id == world.health and event.outcome == "success"
        details = details_of(event)
        assert details["replaced"] == ["certificate", "seal"]
        assert details["certificate"]["from"]["subject"] == "省卫生健康委员会"
        assert details["certificate"]["to"]["subject"] == NEW_HOLDER
        assert details["seal"]["to"] == after["seal_name"]
    assert NEW_PASSWORD not in _audit_text(app)
    preview = admin.get(f"/admin/units/{world.health}/seal.png")
    assert preview.status_code == 200 and preview.data == seal


def test_the_seal_can_be_replaced_alone(app, admin, world):
    before = _keys_of(app, world.health)
    seal = _png()
    response = _upload(admin, world.health, seal=seal, password="autofilled-by-browser")
    assert response.status_code == 302
    after = _keys_of(app, world.health)
    assert after["seal_name"] != before["seal_name"]
    assert {c: after[c] for c in KEY_COLUMNS if c != "seal_name"} == \
        {c: before[c] for c in KEY_COLUMNS if c != "seal_name"}
    page = admin.get(f"/admin/units/{world.health}/signing").get_data(as_text=True)
    assert "已更新「省卫生健康委员会」的印章图片。" in page
    assert admin.get(f"/admin/units/{world.health}/seal.png").data == seal
    with app.app_context():
        details = details_of(db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "update_unit_signing").order_by(AuditEvent.seq.desc())))
        assert details["replaced"] == ["seal"] and "certificate" not in details
    assert "autofilled-by-browser" not in _audit_text(app)


def test_the_certificate_can_be_replaced_alone_when_a_seal_exists(app, admin, world):
    before = _keys_of(app, world.health)
    response = _upload(admin, world.health, p12=_p12(app), password=NEW_PASSWORD)
    assert response.status_code == 302
    after = _keys_of(app, world.health)
    assert after["seal_name"] == before["seal_name"]
    assert after["sign_p12_name"] != before["sign_p12_name"]
    with app.app_context():
        assert keys.unit_key(load(Unit, world.health)).subject == NEW_HOLDER


def test_a_certificate_without_any_seal_is_refused(app, admin, world):
    with app.test_request_context():
        unit_id = make_unit("省民政厅").id
        db.session.commit()
    response = _upload(admin, unit_id, p12=_p12(app, "省民政厅"), password=NEW_PASSWORD)
    assert response.status_code == 422
    errors = field_errors(response.get_data(as_text=True), "seal")
    assert errors == ["请同时上传本单位的印章图片（透明背景 PNG）。"]
    assert _keys_of(app, unit_id) == {"sign_p12_name": None, "seal_name": None,
                                      "sign_subject": "", "sign_not_after": None}


def _refused(app, admin, world, field: str, **upload) -> list[str]:
    """Post an upload that must be refused: 422, nothing stored; the field's errors."""
    before, files = _keys_of(app, world.health), _stored_files(app)
    response = _upload(admin, world.health, **upload)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert _keys_of(app, world.health) == before
    assert _stored_files(app) == files
    if upload.get("password"):
        assert upload["password"] not in html
        assert upload["password"] not in _audit_text(app)
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "update_unit_signing")) is None
    return field_errors(html, field)


def test_a_wrong_password_is_refused(app, admin, world):
    errors = _refused(app, admin, world, "password", p12=_p12(app), password="Not-The-Pass-1",
                      seal=_png())
    assert len(errors) == 1 and "密码不对" in errors[0]


def test_a_file_that_is_not_pkcs12_is_refused(app, admin, world):
    errors = _refused(app, admin, world, "password", p12=b"-----BEGIN CERTIFICATE-----\nxx\n",
                      password=NEW_PASSWORD)
    assert len(errors) == 1 and "PKCS#12" in errors[0]


def test_a_certificate_file_with_another_extension_is_refused(app, admin, world):
    errors = _refused(app, admin, world, "p12", p12=_p12(app), password=NEW_PASSWORD,
                      p12_name="证书.pem")
    assert errors == ["证书文件须是 .p12 或 .pfx 文件。"]


def test_an_expired_certificate_is_refused(app, admin, world):
    start = datetime.now(UTC) - timedelta(days=10)
    p12 = _p12(app, days=1, not_before=start)
    errors = _refused(app, admin, world, "p12", p12=p12, password=NEW_PASSWORD)
    assert len(errors) == 1 and "过期" in errors[0]


def test_a_certificate_not_yet_valid_is_refused(app, admin, world):
    start = datetime.now(UTC) + timedelta(days=5)
    errors = _refused(app, admin, world, "p12", p12=_p12(app, not_before=start),
                      password=NEW_PASSWORD)
    assert len(errors) == 1 and "起才生效" in errors[0]


@pytest.mark.parametrize(("seal", "name", "message"), [
    (_png("RGB", fmt="JPEG"), "印章.png", "印章图片必须是 PNG 格式。"),
    (_png("RGB"), "印章.png", "印章图片必须是透明背景的 PNG（带透明通道），否则会遮住单位名称和日期。"),
    (_png(size=(120, 300)), "印章.png", "印章图片太小（120×300 像素，至少 200×200）。"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "印章.png", "印章图片已损坏，无法读取。"),
    (_png(), "印章.gif", "印章图片须是 .png 文件。"),
])
def test_a_bad_seal_is_refused(app, admin, world, seal, name, message):
    assert _refused(app, admin, world, "seal", seal=seal, seal_name=name) == [message]


def test_a_bad_seal_keeps_a_good_certificate_from_being_stored(app, admin, world):
    errors = _refused(app, admin, world, "seal", p12=_p12(app), password=NEW_PASSWORD,
                      seal=_png("RGB"))
    assert len(errors) == 1 and "透明" in errors[0]


def test_an_empty_form_asks_for_a_file(app, admin, world):
    errors = _refused(app, admin, world, "p12", password=NEW_PASSWORD)
    assert errors == ["请选择证书文件或印章图片。"]


def test_the_environment_password_must_match(app, admin, world, monkeypatch):
    env_name = f"TRACKER_SIGNING_PASSWORD_{world.health}"
    monkeypatch.setenv(env_name, "Env-Pass-5521")
    errors = _refused(app, admin, world, "password", p12=_p12(app, password=NEW_PASSWORD),
                      password=NEW_PASSWORD)
    assert len(errors) == 1 and env_name in errors[0]
    response = _upload(admin, world.health, p12=_p12(app, password="Env-Pass-5521"),
                       password="Env-Pass-5521")
    assert response.status_code == 302
    html = admin.get(f"/admin/units/{world.health}/signing").get_data(as_text=True)
    assert f"已配置（环境变量 {env_name}）" in html
    assert "Env-Pass-5521" not in html
    with app.app_context():
        assert keys.unit_key(load(Unit, world.health)).subject == NEW_HOLDER


def test_the_seal_preview_is_a_private_png(app, admin, world):
    response = admin.get(f"/admin/units/{world.health}/seal.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    with app.app_context():
        assert response.data == keys.seal_bytes(load(Unit, world.health))
    assert admin.get("/admin/units/999999/seal.png").status_code == 404
    assert admin.get("/admin/units/999999/signing").status_code == 404


@pytest.mark.parametrize("username", ["health_clerk", "clerk"])
def test_only_administrators_reach_the_signing_pages(app, make_client, world, username):
    client = make_client()
    assert client.login(username).status_code == 302
    before, files = _keys_of(app, world.health), _stored_files(app)
    assert client.get(f"/admin/units/{world.health}/signing").status_code == 403
    assert client.get(f"/admin/units/{world.health}/seal.png").status_code == 403
    response = _upload(client, world.health, p12=_p12(app), password=NEW_PASSWORD,
                       seal=_png())
    assert response.status_code == 403
    assert _keys_of(app, world.health) == before
    assert _stored_files(app) == files


def test_anonymous_users_are_sent_to_login(app, client, world):
    for path in (f"/admin/units/{world.health}/signing", f"/admin/units/{world.health}/seal.png"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
