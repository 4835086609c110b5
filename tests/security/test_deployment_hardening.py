"""Deployment hardening (issue 14, findings 9–11): the demo CA refused in production however
the trust roots are configured, the client's address behind the trusted proxy, private file
modes, secrets masked in gunicorn's access log."""
from __future__ import annotations

import datetime as dt
import importlib.util
import io
import os
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from tests.support.base import ON_POSTGRES, build_app, fresh_database
from tracker import create_app
from tracker.extensions import db

PROJECT = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask():
    """The umask most shells start with, so that loose defaults would show."""
    old = os.umask(0o022)
    yield
    os.umask(old)


# -- finding 9: the demo CA is never trusted in production ------------------------------------

def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def office_root(common_name: str = "某市政务服务根证书") -> x509.Certificate:
    """A self-signed root that is not the demo CA's."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))


def production(tmp_path: Path, **extra) -> dict:
    config = {
        "ENV": "production", "SECRET_KEY": "p" * 40,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "PUBLIC_BASE_URL": "https://jianyi.example.gov.cn",
        "UPLOAD_DIR": str(tmp_path / "uploads"), "LETTER_DIR": str(tmp_path / "letters"),
        "SIGNING_DIR": str(tmp_path / "signing"), "TRUST_ROOTS": "",
    }
    config.update(extra)
    return config


def start(config: dict):
    app = create_app(config)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return app


@pytest.fixture
def demo_root(tmp_path) -> x509.Certificate:
    """The demo CA made by `flask letters demo-ca`, in a folder production does not use."""
    from tracker.signing import democa

    _, cert = democa.ensure_ca(tmp_path / "demo-signing")
    return cert


def test_production_refuses_the_trust_folder_that_holds_the_demo_ca(tmp_path, demo_root):
    # The finding: TRACKER_TRUST_ROOTS naming the folder skipped the check.
    trust = tmp_path / "demo-signing" / "trust"
    assert (trust / "demo-ca.pem").is_file()
    with pytest.raises(RuntimeError, match="演示根证书"):
        start(production(tmp_path, TRUST_ROOTS=str(trust)))


@pytest.mark.parametrize("where", ["renamed file", "DER in a folder", "bundle among paths",
                                   "default trust folder"])
def test_production_recognises_the_demo_ca_by_content(tmp_path, demo_root, where):
    place = tmp_path / "roots"
    place.mkdir()
    office = tmp_path / "office-root.pem"
    office.write_bytes(pem(office_root()))
    extra: dict = {}
    if where == "renamed file":
        (place / "root.pem").write_bytes(pem(demo_root))
        extra["TRUST_ROOTS"] = str(place / "root.pem")
    elif where == "DER in a folder":
        (place / "office.crt").write_bytes(demo_root.public_bytes(serialization.Encoding.DER))
        extra["TRUST_ROOTS"] = str(place)
    elif where == "bundle among paths":
        (place / "bundle.pem").write_bytes(pem(office_root("另一根证书")) + pem(demo_root))
        extra["TRUST_ROOTS"] = os.pathsep.join([str(office), str(place / "bundle.pem")])
    else:
        trust = tmp_path / "signing" / "trust"
        trust.mkdir(parents=True)
        (trust / "root-2024.cer").write_bytes(pem(demo_root))
    with pytest.raises(RuntimeError, match="演示根证书"):
        start(production(tmp_path, **extra))


def test_production_recognises_this_installation_s_demo_ca_by_fingerprint(tmp_path):
    """A certificate kept under SIGNING_DIR/demo-ca/ is the demo CA whatever its subject."""
    other = office_root("看似正式的根证书")
    ca_dir = tmp_path / "signing" / "demo-ca"
    ca_dir.mkdir(parents=True)
    (ca_dir / "ca.pem").write_bytes(pem(other))
    (tmp_path / "root.pem").write_bytes(pem(other))
    with pytest.raises(RuntimeError, match="演示根证书"):
        start(production(tmp_path, TRUST_ROOTS=str(tmp_path / "root.pem")))


def test_production_starts_with_a_real_root_only(tmp_path, demo_root):
    roots = tmp_path / "roots"
    roots.mkdir()
    (roots / "office.pem").write_bytes(pem(office_root()))
    app = start(production(tmp_path, TRUST_ROOTS=str(roots)))
    assert app.config["ENV"] == "production"


# -- finding 10: the client's address behind the trusted proxy ---------------------------------

@pytest.fixture(scope="module")
def proxied_app(tmp_path_factory):
    """An app that trusts one proxy in front of it, on its own database."""
    tmp = tmp_path_factory.mktemp("proxied")
    with fresh_database(tmp) as url:
        app = build_app(url, tmp, TRUSTED_PROXIES=1)

        @app.get("/_whoami")
        def whoami():
            from flask import request

            return {"addr": request.remote_addr, "scheme": request.scheme,
                    "host": request.host}

        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def failed_login_ip(app, client, **headers) -> str:
    from tracker.audit.models import AuditEvent

    client.fetch_token("/login")
    name = "nobody-" + os.urandom(4).hex()
    response = client.post("/login", data={"username": name, "password": "wrong-password",
                                           "csrf_token": client.token}, headers=headers)
    assert response.status_code == 200
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "login_failed", AuditEvent.actor_name == name)).one()
        db.session.remove()
        return event.ip


def test_behind_the_proxy_the_audit_log_records_the_client(proxied_app):
    from tests.support.base import Client

    proxied_app.test_client_class = Client
    client = proxied_app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.0.2"  # the proxy
    assert failed_login_ip(proxied_app, client,
                           **{"X-Forwarded-For": "198.51.100.7"}) == "198.51.100.7"
    # A client's own X-Forwarded-For is kept by the proxy in front of the address it adds.
    assert failed_login_ip(proxied_app, client,
                           **{"X-Forwarded-For": "6.6.6.6, 198.51.100.8"}) == "198.51.100.8"
    seen = client.get("/_whoami", headers={"X-Forwarded-For": "198.51.100.7",
                                           "X-Forwarded-Proto": "https",
                                           "X-Forwarded-Host": "jianyi.example.gov.cn"}).json
    assert seen == {"addr": "198.51.100.7", "scheme": "https",
                    "host": "jianyi.example.gov.cn"}


def test_without_trusted_proxies_forwarded_headers_are_ignored(app, make_client):
    assert app.config["TRUSTED_PROXIES"] == 0
    client = make_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.0.2"
    assert failed_login_ip(app, client, **{"X-Forwarded-For": "6.6.6.6"}) == "10.0.0.2"


# -- finding 11a: files and folders only the app's user can read -------------------------------

def test_uploads_and_letters_are_private(app, ctx, tmp_path, usual_umask):
    from werkzeug.datastructures import FileStorage

    from tracker.files import storage

    folder = tmp_path / "letters"
    folder.mkdir(mode=0o755)
    app.config["LETTER_DIR"], before = str(folder), app.config["LETTER_DIR"]
    try:
        storage.put_in_transaction("letters/letter.pdf", b"%PDF-1.7 letter")
        ctx.commit()
    finally:
        app.config["LETTER_DIR"] = before
    assert mode(folder / "letter.pdf") == 0o600
    assert mode(folder) == 0o700
    assert [p.name for p in folder.iterdir()] == ["letter.pdf"]  # no partial file left

    content, _ = storage.check_upload(
        FileStorage(io.BytesIO(b"%PDF-1.7 upload"), filename="a.pdf"), "file")
    target = storage.upload_dir() / "probe.pdf"
    storage.put_in_transaction("uploads/probe.pdf", content)
    ctx.commit()
    try:
        assert mode(target) == 0o600
        assert mode(storage.upload_dir()) == 0o700
    finally:
        target.unlink()


def test_signing_keys_and_the_demo_ca_are_private(app, ctx, world, usual_umask):
    from tracker.accounts.models import Unit
    from tracker.signing import democa, keys

    folder = Path(app.config["SIGNING_DIR"])
    unit = db.session.get(Unit, world.health)
    democa.provision(unit)
    units = keys.signing_dir() / "units"
    assert mode(folder) == 0o700
    for sub in (units, folder / "demo-ca", folder / "trust"):
        assert mode(sub) == 0o700, sub
    for path in [units / unit.sign_p12_name, units / unit.seal_name,
                 *(folder / "demo-ca").iterdir(), *(folder / "trust").iterdir(),
                 Path(app.config["SIGNING_PASSWORDS_FILE"])]:
        assert mode(path) == 0o600, path


@pytest.mark.skipif(ON_POSTGRES, reason="the SQLite file")
def test_the_sqlite_database_and_its_folder_are_private(tmp_path, usual_umask):
    folder = tmp_path / "instance"
    folder.mkdir(mode=0o755)
    app = build_app(f"sqlite:///{folder / 'tracker.sqlite3'}", tmp_path)
    with app.app_context():
        db.session.execute(select(1))
        # With the connection open: the database and its -wal and -shm files.
        modes = {p.name: mode(p) for p in folder.glob("tracker.sqlite3*")}
        db.session.remove()
        db.engine.dispose()
    assert mode(folder) == 0o700
    assert modes == {"tracker.sqlite3": 0o600, "tracker.sqlite3-wal": 0o600,
                     "tracker.sqlite3-shm": 0o600}


# -- finding 11b: no secrets in gunicorn's access log -------------------------------------------

def gunicorn_config_module():
    spec = importlib.util.spec_from_file_location("tracker_gunicorn_conf",
                                                  PROJECT / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    old = os.umask(0o022)
    try:
        spec.loader.exec_module(module)
    finally:
        os.umask(old)
    return module


TOKEN = "q3V8yZx0cD_-4mKp2LrT9sWnB7fHjA1eGuIoQwEtYa0"
CODE = "ABCD-EFGH-JKLM-NPQR"


@pytest.mark.parametrize("line, masked", [
    (f"GET /rate/{TOKEN} HTTP/1.1", "GET /rate/«…» HTTP/1.1"),
    (f"POST /rate/{TOKEN}?x=1 HTTP/1.1", "POST /rate/«…»?x=1 HTTP/1.1"),
    (f"GET /verify/{CODE} HTTP/1.1", "GET /verify/«…» HTTP/1.1"),
    (f"GET /verify/{CODE}/letter.pdf HTTP/1.1", "GET /verify/«…»/letter.pdf HTTP/1.1"),
    (f"GET /verify?code={CODE} HTTP/1.1", "GET /verify?code=«…» HTTP/1.1"),
    (f"GET /x?a=1&token={TOKEN}&b=2", "GET /x?a=1&token=«…»&b=2"),
    (f"code={CODE}&x=1", "code=«…»&x=1"),
    ("GET /proposals?encode=1 HTTP/1.1", "GET /proposals?encode=1 HTTP/1.1"),
    (f"https://jianyi.example.gov.cn/rate/{TOKEN}", "https://jianyi.example.gov.cn/rate/«…»"),
    ("GET /verify HTTP/1.1", "GET /verify HTTP/1.1"),
    ("POST /verify HTTP/1.1", "POST /verify HTTP/1.1"),
    ("GET /proposals/12 HTTP/1.1", "GET /proposals/12 HTTP/1.1"),
])
def test_the_masking_function(line, masked):
    assert gunicorn_config_module().mask_secrets(line) == masked


def test_gunicorn_access_log_masks_tokens(tmp_path):
    from gunicorn.config import Config

    conf = gunicorn_config_module()
    cfg = Config()
    for name in ("logger_class", "accesslog", "access_log_format"):
        if hasattr(conf, name):
            cfg.set(name, getattr(conf, name))
    cfg.set("accesslog", str(tmp_path / "access.log"))
    logger = cfg.logger_class(cfg)
    from gunicorn.glogging import Logger

    assert isinstance(logger, Logger) and type(logger) is not Logger
    requests = [("GET", f"/rate/{TOKEN}", "", ""),
                ("GET", f"/verify/{CODE}/letter.pdf", "", f"https://x.example/verify/{CODE}"),
                ("GET", "/verify", f"code={CODE}", f"https://x.example/rate/{TOKEN}")]
    for method, path, query, referer in requests:
        environ = {"REQUEST_METHOD": method, "RAW_URI": path + ("?" + query if query else ""),
                   "PATH_INFO": path, "QUERY_STRING": query, "SERVER_PROTOCOL": "HTTP/1.1",
                   "REMOTE_ADDR": "10.0.0.2", "HTTP_REFERER": referer or "-",
                   "HTTP_USER_AGENT": "pytest"}
        response = SimpleNamespace(status="200 OK", sent=10, headers=[])
        request = SimpleNamespace(headers=[("REFERER", referer)] if referer else [])
        logger.access(response, request, environ, dt.timedelta(milliseconds=5))
        # Every atom a custom format could use is masked too.
        atoms = logger.atoms(response, request, environ, dt.timedelta(milliseconds=5))
        assert not any(TOKEN in str(v) or CODE in str(v) for v in atoms.values()), atoms
    for handler in logger.access_log.handlers:
        handler.flush()
    text = (tmp_path / "access.log").read_text(encoding="utf-8")
    assert text.count("\n") == 3
    assert TOKEN not in text and CODE not in text
    assert '"GET /rate/«…» HTTP/1.1"' in text
    assert '"GET /verify/«…»/letter.pdf HTTP/1.1"' in text
    assert '"GET /verify?code=«…» HTTP/1.1"' in text


def test_make_serve_prod_uses_the_gunicorn_config():
    makefile = (PROJECT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("serve-prod:", 1)[1].split("\n\n", 1)[0]
    assert "gunicorn" in recipe and "--config gunicorn.conf.py" in recipe
    assert "--access-logfile" not in recipe  # the config's masking logger writes it
    conf = gunicorn_config_module()
    assert conf.wsgi_app == "wsgi:app" and conf.accesslog == "-"


def test_a_shared_folder_such_as_tmp_is_never_closed(tmp_path):
    """A database or upload folder placed directly in a shared, sticky folder (/tmp) must not
    take the machine's /tmp away from its other users."""
    import stat as stat_module

    from tracker.files.storage import private_folder, private_sqlite_file

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    private_sqlite_file(str(shared / "tracker.sqlite3"))
    private_folder(shared)
    assert stat_module.S_IMODE(shared.stat().st_mode) == 0o1777
    assert stat_module.S_IMODE((shared / "tracker.sqlite3").stat().st_mode) == 0o600


@pytest.mark.parametrize("time_cost, memory_kib, parallelism", [
    (1, 8, 1),          # the suite's cheap parameters
    (1, 19456, 4),      # one pass needs 46 MiB
    (2, 19455, 1),
    (5, 7167, 1),
    (3, 65536, 0),
])
def test_production_refuses_weak_password_hashing(tmp_path, time_cost, memory_kib, parallelism):
    # The suite's cheap argon2 parameters are configuration: production must not accept them.
    config = production(tmp_path, ARGON2_TIME_COST=time_cost, ARGON2_MEMORY_KIB=memory_kib,
                        ARGON2_PARALLELISM=parallelism)
    with pytest.raises(RuntimeError, match=f"参数过低（TRACKER_ARGON2_TIME_COST={time_cost}"):
        start(config)


@pytest.mark.parametrize("time_cost, memory_kib", [(1, 47104), (2, 19456), (5, 7168), (3, 65536)])
def test_production_accepts_owasp_argon2_configurations(tmp_path, time_cost, memory_kib):
    start(production(tmp_path, ARGON2_TIME_COST=time_cost, ARGON2_MEMORY_KIB=memory_kib,
                     ARGON2_PARALLELISM=1))
