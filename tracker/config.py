"""Configuration defaults; every key can be overridden by a TRACKER_<KEY> environment variable."""
from __future__ import annotations

import os
import re
import secrets
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("TRACKER_INSTANCE_DIR", PROJECT_ROOT / "instance"))

DEFAULTS: dict[str, object] = {
    # "development" (embedded SQLite, demo data allowed) or "production".
    "ENV": "development",
    "DATABASE_URL": f"sqlite:///{INSTANCE_DIR / 'tracker.sqlite3'}",
    "SECRET_KEY": None,
    "UPLOAD_DIR": str(INSTANCE_DIR / "uploads"),
    # Issued letters, stored once and served unchanged.
    "LETTER_DIR": str(INSTANCE_DIR / "letters"),
    # Extra font files for the letters (the Fandol fonts from `make fonts`), render limit.
    "LETTER_FONTS_DIR": str(INSTANCE_DIR / "fonts"),
    "LETTER_RENDER_TIMEOUT": 30,
    # Signing issued letters: the units' PKCS#12 files and seal images live under SIGNING_DIR;
    # their passwords in TRACKER_SIGNING_PASSWORD_<unit id> or in the JSON file named here.
    "SIGNING_DIR": str(INSTANCE_DIR / "signing"),
    "SIGNING_PASSWORDS_FILE": str(INSTANCE_DIR / "signing" / "passwords.json"),
    # Where uploads, issued letters and the units' keys and seals are kept (tracker/files/
    # store.py): "" = the local folders above (UPLOAD_DIR, LETTER_DIR, SIGNING_DIR/units);
    # "s3://bucket[/prefix]" = an S3-compatible server shared by every app server. The
    # signing passwords and trust roots stay local files whatever this says.
    "STORAGE_URL": "",
    # The S3 server (empty: AWS itself), its region, and keys (empty: boto3's usual chain).
    "S3_ENDPOINT_URL": "",
    "S3_REGION": "us-east-1",
    "S3_ACCESS_KEY": "",
    "S3_SECRET_KEY": "",
    # Trusted root certificates for verification: PEM/DER files or folders separated by
    # os.pathsep; empty means every certificate file in SIGNING_DIR/trust.
    "TRUST_ROOTS": "",
    # The address printed in the letters' QR codes (never taken from a request's Host).
    "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
    "VERIFY_MAX_MB": 10,
    # Satisfaction: how long a rating link works, and the re-handling deadline after 不满意.
    "RATING_DAYS": 60,
    "REHANDLE_MONTHS": 1,
    # Outgoing e-mail (rating links). No host: messages wait in the outbox table.
    "SMTP_HOST": "",
    "SMTP_PORT": 25,
    "SMTP_USER": "",
    "SMTP_PASSWORD": "",
    "SMTP_FROM": "tracker@localhost",
    "SMTP_STARTTLS": False,
    "SMTP_TIMEOUT": 10,
    # The job queue: empty = a SQLite file in the instance folder; postgresql://… or
    # redis://… in production; memory:// (the tests). See tracker/jobs/queue.py.
    "QUEUE_URL": "",
    # How long a job sending a message holds it before another may try (a dead consumer's).
    "JOB_LEASE_SECONDS": 300,
    # The pause after a message's first failed attempt; it doubles after each further one.
    "OUTBOX_RETRY_SECONDS": 60,
    # SMS through an HTTP gateway (no URL: no SMS). The URL and the body are templates with
    # $phone, $text and $id (the message's number, for the gateway's de-duplication), filled
    # in URL-encoded (URL, form body) or JSON-escaped (JSON body); see notifications/sms.py.
    "SMS_GATEWAY_URL": "",
    "SMS_GATEWAY_METHOD": "POST",
    "SMS_GATEWAY_BODY": "",
    "SMS_GATEWAY_CONTENT_TYPE": "application/json",
    # Extra request headers, "Name: value" pairs split by ";" (e.g. an API key).
    "SMS_GATEWAY_HEADERS": "",
    # Text the gateway's answer must contain to count as sent (empty: any 2xx answer).
    "SMS_GATEWAY_SUCCESS": "",
    "SMS_TIMEOUT": 10,
    "SMS_SIGNATURE": "【建议提案办理】",
    # The daily deadline reminders (7:30 China time, before the 8:00 digests) look this many
    # working days ahead.
    "REMIND_DAYS": 3,
    "MAX_UPLOAD_MB": 20,
    "ITEMS_PER_PAGE": 30,
    # The to-do list's rows per page, as its user may choose them; the first is the default:
    # the most urgent work on one screen (the list is ordered by deadline).
    "TODO_PAGE_SIZES": (15, 30, 50),
    # 办理结果公开: a unit's 索引号 unless the unit sets its own format ({code}: its 统一社会信用代码,
    # {year}, {serial}: the unit's count of publications in the year).
    "PUBLIC_INDEX_FORMAT": "{code}/{year}-{serial:05d}",
    # The public portal's heading (办理结果公开: /public/).
    "PORTAL_NAME": "建议提案办理结果公开",
    # The working days after the issue within which a reply's public version is due.
    "PUBLICATION_WORKDAYS": 20,
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_ABSOLUTE_HOURS": 12,
    "LOCKOUT_THRESHOLD": 5,
    "LOCKOUT_MINUTES": 15,
    # argon2id's cost for password hashes (RFC 9106's low-memory profile; the tests lower it).
    "ARGON2_TIME_COST": 3,
    "ARGON2_MEMORY_KIB": 65536,
    "ARGON2_PARALLELISM": 4,
    # The longest life an API token may be given, in days (the issue form offers up to it).
    "API_TOKEN_MAX_DAYS": 90,
    "RETURN_WINDOW_WORKDAYS": 7,
    # The reply result classes offered to drafters: "code=description" pairs split by ";".
    "RESULT_CLASSES": "A=所提问题已经解决或基本解决;B=所提问题正在解决或列入计划逐步解决;"
                      "C=所提问题因条件限制暂时不能解决或留作参考",
    # How many reverse proxies in front of the app to believe (X-Forwarded-For/-Proto/-Host):
    # 1 behind the office's HTTPS proxy; 0 (no proxy) ignores those headers entirely.
    "TRUSTED_PROXIES": 0,
}

# Allowed attachment types: extension -> (mime type, magic prefix check name).
ALLOWED_UPLOADS = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/msword",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
}


def _coerce(value: str, default: object) -> object:
    if isinstance(default, bool):
        return value.lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(value)
    if isinstance(default, tuple):  # numbers separated by commas: TODO_PAGE_SIZES=20,50
        return tuple(int(n) for n in value.split(","))
    return value


def load(overrides: dict | None = None) -> dict:
    """Build the Flask config from defaults, the environment and explicit overrides."""
    cfg: dict[str, object] = {}
    for key, default in DEFAULTS.items():
        env = os.environ.get(f"TRACKER_{key}")
        cfg[key] = _coerce(env, default) if env is not None else default
    if overrides:
        cfg.update(overrides)

    if cfg["ENV"] not in ("development", "production"):
        # A typo must not quietly give development behaviour (no Secure cookie, demo data).
        raise RuntimeError(
            f"TRACKER_ENV 只能是 development 或 production，现在是「{cfg['ENV']}」。")
    production = cfg["ENV"] == "production"
    if not cfg.get("SECRET_KEY"):
        if production:
            raise RuntimeError("生产模式必须设置 TRACKER_SECRET_KEY。")
        cfg["SECRET_KEY"] = _development_secret()

    base_url = str(cfg["PUBLIC_BASE_URL"]).strip().rstrip("/")
    if not re.fullmatch(r"https?://[^/\s?#]+(/[^\s?#]*)?", base_url):
        raise RuntimeError(
            f"TRACKER_PUBLIC_BASE_URL 应为 http(s)://主机[/路径]，现在是「{base_url}」。")
    cfg["PUBLIC_BASE_URL"] = base_url
    try:
        cfg["STORAGE_URL"] = check_storage_url(str(cfg["STORAGE_URL"] or ""))
    except ValueError as exc:
        raise RuntimeError(f"TRACKER_STORAGE_URL 有误：{exc}") from None
    cfg["RESULT_CLASS_MAP"] = parse_result_classes(str(cfg["RESULT_CLASSES"]))
    cfg["SQLALCHEMY_DATABASE_URI"] = normalise_db_url(str(cfg["DATABASE_URL"]))
    # No pool_pre_ping: a dead PostgreSQL connection is found on checkout without a round
    # trip (tracker._check_connections_on_checkout).
    cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {}
    cfg["MAX_CONTENT_LENGTH"] = int(cfg["MAX_UPLOAD_MB"]) * 1024 * 1024 + 64 * 1024
    cfg["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=int(cfg["SESSION_IDLE_MINUTES"]))
    cfg["SESSION_REFRESH_EACH_REQUEST"] = True
    cfg["SESSION_COOKIE_HTTPONLY"] = True
    cfg["SESSION_COOKIE_SAMESITE"] = "Lax"
    cfg["SESSION_COOKIE_SECURE"] = production
    cfg["SESSION_COOKIE_NAME"] = "tracker_session"
    cfg["WTF_CSRF_TIME_LIMIT"] = None  # the token lives as long as the session
    cfg["WTF_I18N_ENABLED"] = False  # use WTForms' own Chinese messages
    cfg.setdefault("TESTING", False)
    if cfg["TESTING"] and not cfg["QUEUE_URL"]:
        cfg["QUEUE_URL"] = "memory://"  # a test runs its jobs itself (jobs.queue.run_pending)
    return cfg


def parse_result_classes(text: str) -> dict[str, str]:
    """'A=…;B=…' -> {"A": "A类：…", ...}, in order; at least one class is required."""
    classes: dict[str, str] = {}
    for part in text.split(";"):
        code, _, description = part.partition("=")
        code = code.strip()
        if code:
            classes[code[:5]] = f"{code[:5]}类：{description.strip()}" if description else code
    if not classes:
        raise RuntimeError("TRACKER_RESULT_CLASSES 至少要有一个办理结果类别。")
    return classes


_S3_URL = re.compile(r"s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(/[A-Za-z0-9_.\-/]*)?")


def check_storage_url(url: str) -> str:
    """A store address (tracker.files.store), normalised: "" or "file:" (the configured
    folders), "file:/root", or "s3://bucket[/prefix]"; ValueError otherwise."""
    url = url.strip()
    if url in ("", "file:") or url.startswith("file:/"):
        return url
    if _S3_URL.fullmatch(url):
        return url.rstrip("/")
    raise ValueError(f"存储地址应为空、file: 或 s3://存储桶[/前缀]，现在是「{url}」。")


def s3_bucket_and_prefix(url: str) -> tuple[str, str]:
    match = _S3_URL.fullmatch(check_storage_url(url))
    if match is None:
        raise ValueError(f"不是 S3 存储地址：「{url}」。")
    return match.group(1), (match.group(2) or "").strip("/")


def normalise_db_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgresql:// URLs."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _development_secret() -> str:
    """Return a per-installation random key kept under instance/ (never a fixed default)."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
