"""Accounts: authentication with lockout, user and unit management, API tokens."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from tracker.accounts.models import ApiToken, Role, Section, TokenScope, Unit, User
from tracker.accounts.passwords import DUMMY_HASH, hash_password, policy_problems, verify_password
from tracker.audit import log as audit
from tracker.core.errors import ValidationFailed
from tracker.core.time import utcnow
from tracker.extensions import db

# One answer for an unknown user, a locked account and a wrong password, so that the answer
# does not tell which user names exist or are locked (nor does the time: see authenticate).
LOGIN_FAILED = "用户名或密码错误，或账户因多次登录失败已暂时锁定，请稍后再试。"


@dataclass
class LoginResult:
    user: User | None
    message: str = ""


def authenticate(username: str, password: str) -> LoginResult:
    """Check a login; count failures in the database and lock after too many."""
    username = (username or "").strip()
    user = db.session.scalar(select(User).where(User.username == username))
    now = utcnow()
    # Every failed path does exactly one argon2 verification, so the time taken does not tell
    # an unknown or a locked account from a wrong password either.
    if user is None:
        verify_password(DUMMY_HASH, password or "")
        audit.record("login_failed", outcome="failure", actor_name=username[:60],
                     details={"reason": "unknown_user"})
        return LoginResult(None, LOGIN_FAILED)
    if user.locked_until and user.locked_until > now:
        # Not the real hash: a locked account must not confirm a guessed password.
        verify_password(DUMMY_HASH, password or "")
        audit.record("login_locked", outcome="denied", actor=user,
                     details={"locked_until": user.locked_until.isoformat()})
        return LoginResult(None, LOGIN_FAILED)
    ok, needs_rehash = verify_password(user.password_hash, password or "")
    if not ok:
        threshold = current_app.config["LOCKOUT_THRESHOLD"]
        # Increment in SQL: concurrent workers must not lose a failure.
        failures = db.session.execute(
            update(User).where(User.id == user.id)
            .values(failed_logins=User.failed_logins + 1)
            .returning(User.failed_logins)
        ).scalar_one()
        details = {"failures": failures}
        if failures >= threshold:
            until = now + timedelta(minutes=current_app.config["LOCKOUT_MINUTES"])
            db.session.execute(update(User).where(User.id == user.id).values(
                locked_until=until, failed_logins=0))
            audit.record("account_locked", outcome="denied", actor=user,
                         details={"locked_until": until.isoformat()})
        db.session.expire(user)
        audit.record("login_failed", outcome="failure", actor=user, details=details)
        return LoginResult(None, LOGIN_FAILED)
    if not user.is_enabled:
        audit.record("login_failed", outcome="denied", actor=user, details={"reason": "disabled"})
        return LoginResult(None, "该账户已停用，请联系系统管理员。")
    if needs_rehash:
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record("login", actor=user)
    return LoginResult(user)


def end_sessions(user: User) -> None:
    """Invalidate every session of the user (logout, password change, disabling)."""
    db.session.execute(update(User).where(User.id == user.id).values(
        session_version=User.session_version + 1))
    db.session.expire(user, ["session_version"])


def change_password(user: User, current: str, new: str, actor: User | None = None) -> None:
    """Change a password (the user's own when current is given) and end every session."""
    if current is not None:
        ok, _ = verify_password(user.password_hash, current)
        if not ok:
            raise ValidationFailed("当前密码不正确。", {"current": ["当前密码不正确。"]})
    problems = _password_problems(new or "", user)
    if problems:
        raise ValidationFailed("新密码不符合要求。", {"new": problems})
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    user.is_demo = False
    end_sessions(user)
    audit.record("password_changed", actor=actor or user, object_type="user",
                 object_id=user.id)


def _password_problems(password: str, user: User) -> list[str]:
    """The policy's refusals of a password for this user (name, full name and unit included)."""
    unit = user.unit if user.unit_id is not None else None
    return policy_problems(password, user.username, full_name=user.full_name,
                           unit_names=(unit.name, unit.short_name) if unit else ())


def create_unit(actor: User | None, *, name: str, short_name: str = "",
                is_supervising: bool = False, sections: list[str] | None = None) -> Unit:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("请填写单位名称。", {"name": ["单位名称不能为空。"]})
    if db.session.scalar(select(Unit.id).where(Unit.name == name)):
        raise ValidationFailed("单位名称重复。", {"name": [f"已有名为「{name}」的单位。"]})
    unit = Unit(name=name, short_name=(short_name or "").strip(), is_supervising=is_supervising)
    for section in dict.fromkeys(s.strip() for s in sections or []):
        if section:
            unit.sections.append(Section(name=section))
    db.session.add(unit)
    db.session.flush()
    audit.record("create_unit", actor=actor, object_type="unit", object_id=unit.id,
                 details={"name": name}, actor_name=None if actor else "system")
    return unit


def update_unit(actor: User, unit: Unit, *, name: str, short_name: str, is_active: bool,
                is_supervising: bool) -> Unit:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("请填写单位名称。", {"name": ["单位名称不能为空。"]})
    other = db.session.scalar(select(Unit.id).where(Unit.name == name, Unit.id != unit.id))
    if other:
        raise ValidationFailed("单位名称重复。", {"name": [f"已有名为「{name}」的单位。"]})
    unit.name, unit.short_name = name, (short_name or "").strip()
    unit.is_active, unit.is_supervising = is_active, is_supervising
    db.session.flush()
    audit.record("update_unit", actor=actor, object_type="unit", object_id=unit.id,
                 details={"name": name, "is_active": is_active})
    return unit


def add_section(actor: User, unit: Unit, name: str) -> Section:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("请填写处室名称。", {"name": ["处室名称不能为空。"]})
    if any(s.name == name for s in unit.sections):
        raise ValidationFailed("处室重复。", {"name": [f"本单位已有「{name}」。"]})
    section = Section(unit_id=unit.id, name=name)
    db.session.add(section)
    db.session.flush()
    audit.record("create_section", actor=actor, object_type="section", object_id=section.id,
                 details={"unit": unit.name, "name": name})
    return section


def _check_user_fields(username: str, unit: Unit | None, section: Section | None,
                       roles: set[Role], user_id: int | None = None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    clash = select(User.id).where(User.username == username)
    if user_id is not None:
        clash = clash.where(User.id != user_id)
    if db.session.scalar(clash):
        errors["username"] = [f"用户名「{username}」已被使用。"]
    if unit is None:
        errors["unit_id"] = ["请选择所属单位。"]
    elif section is not None and section.unit_id != unit.id:
        errors["section_id"] = ["所选处室不属于该单位。"]
    if unit is not None and Role.supervisor in roles and not unit.is_supervising:
        errors["roles"] = ["交办员必须属于交办（督办）单位。"]
    return errors


def create_user(actor: User | None, *, username: str, full_name: str, password: str,
                unit: Unit | None, roles: set[Role], section: Section | None = None,
                phone: str = "", email: str = "", is_demo: bool = False) -> User:
    username = (username or "").strip()
    errors = _check_user_fields(username, unit, section, roles)
    problems = policy_problems(password or "", username, full_name=full_name or "",
                               unit_names=(unit.name, unit.short_name) if unit else ())
    if problems:
        errors["password"] = problems
    if errors:
        raise ValidationFailed("用户信息有误，请按提示修改。", errors)
    user = User(username=username, full_name=full_name.strip(), unit_id=unit.id,
                section_id=section.id if section else None, phone=phone or "",
                email=email or "", password_hash=hash_password(password), is_demo=is_demo,
                password_changed_at=utcnow())
    user.set_roles(set(roles))
    db.session.add(user)
    db.session.flush()
    audit.record("create_user", actor=actor, object_type="user", object_id=user.id,
                 details={"username": username, "roles": sorted(r.value for r in roles)},
                 actor_name=None if actor else "system")
    return user


def update_user(actor: User, user: User, *, full_name: str, unit: Unit | None,
                section: Section | None, roles: set[Role], phone: str, email: str,
                is_enabled: bool) -> User:
    errors = _check_user_fields(user.username, unit, section, roles, user_id=user.id)
    if user.id == actor.id and (not is_enabled or Role.admin not in roles):
        errors["roles"] = ["不能停用自己的账户或取消自己的管理员角色。"]
    if errors:
        raise ValidationFailed("用户信息有误，请按提示修改。", errors)
    was_enabled, old_roles = user.is_enabled, user.roles
    user.full_name = full_name.strip()
    user.unit_id = unit.id
    user.section_id = section.id if section else None
    user.phone, user.email = phone or "", email or ""
    user.set_roles(set(roles))
    user.is_enabled = is_enabled
    if was_enabled and not is_enabled:
        end_sessions(user)
        revoke_user_tokens(actor, user)
        audit.record("disable_user", actor=actor, object_type="user", object_id=user.id)
    db.session.flush()
    audit.record("update_user", actor=actor, object_type="user", object_id=user.id, details={
        "roles": sorted(r.value for r in roles), "old_roles": sorted(r.value for r in old_roles),
        "is_enabled": is_enabled})
    return user


def reset_password(actor: User, user: User, new: str) -> None:
    """An administrator sets a new password; every session of the user ends."""
    problems = _password_problems(new or "", user)
    if problems:
        raise ValidationFailed("新密码不符合要求。", {"password": problems})
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    user.failed_logins = 0
    user.locked_until = None
    end_sessions(user)
    audit.record("reset_password", actor=actor, object_type="user", object_id=user.id)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


TOKEN_NAME_MAX = 80


def token_max_days() -> int:
    """The longest life an API token may get (TRACKER_API_TOKEN_MAX_DAYS, set by the admin)."""
    return int(current_app.config["API_TOKEN_MAX_DAYS"])


def issue_token(user: User, name: str, days: int | None = None,
                scope: TokenScope | str = TokenScope.act, *, actor: User | None = None) -> str:
    """Create an API token for the user and return it (it is never shown again).

    days defaults to the longest life allowed; actor None means the command line.
    """
    name = (name or "").strip()
    longest = token_max_days()
    days = longest if days is None else days
    errors: dict[str, list[str]] = {}
    if not name:
        errors["token_name"] = ["请填写令牌用途。"]
    elif len(name) > TOKEN_NAME_MAX:
        errors["token_name"] = [f"令牌用途最多 {TOKEN_NAME_MAX} 个字符。"]
    if not isinstance(days, int) or not 1 <= days <= longest:
        errors["token_days"] = [f"有效期须在 1 至 {longest} 天之间（系统管理员设定的上限）。"]
    try:
        scope = TokenScope(scope)
    except ValueError:
        errors["token_scope"] = ["请选择令牌权限：只读或读写。"]
    if not user.is_enabled:
        errors["token_name"] = ["该用户已停用，不能签发令牌。"]
    if errors:
        raise ValidationFailed("令牌信息有误，请按提示修改。", errors)
    token = "trk_" + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, token_hash=token_digest(token),
                   prefix=token[:10], scope=scope, expires_at=utcnow() + timedelta(days=days))
    db.session.add(row)
    db.session.flush()
    audit.record("issue_token", actor=actor, object_type="api_token", object_id=row.id,
                 details={"user": user.username, "name": name, "prefix": row.prefix,
                          "days": days, "scope": scope.value},
                 actor_name=None if actor else "system")
    return token


def issue_token_by(actor: User, user: User, *, name: str, days: int,
                   scope: TokenScope | str) -> str:
    """An administrator issues an API token for the user; return it (it is never shown again)."""
    return issue_token(user, name, days, scope, actor=actor)


def token_in_use(token: str) -> ApiToken | None:
    """The working token with this value, its use recorded (flushed); None when refused."""
    user = joinedload(ApiToken.user)
    row = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == token_digest(token))
        .options(user.joinedload(User.role_rows), user.joinedload(User.unit)))
    now: datetime = utcnow()
    if row is None or row.refusal(now) is not None:
        return None
    # Every use is recorded; the caller commits it apart from the request's own work.
    db.session.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
    db.session.expire(row, ["last_used_at"])
    return row


def user_for_token(token: str) -> User | None:
    """The user of a working token, or None."""
    row = token_in_use(token)
    return row.user if row is not None else None


def revoke_user_tokens(actor: User | None, user: User) -> None:
    """Revoke every live token of the user (the account is being disabled)."""
    rows = db.session.scalars(select(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))).all()
    for row in rows:
        revoke_token(actor, row)


def revoke_token(actor: User | None, token: ApiToken) -> None:
    """Revoke an API token at once; requests carrying it are refused from now on."""
    if token.revoked_at is not None:
        raise ValidationFailed("该令牌已经吊销。")
    token.revoked_at = utcnow()
    db.session.flush()
    audit.record("revoke_token", actor=actor, object_type="api_token", object_id=token.id,
                 details={"user": token.user.username, "name": token.name,
                          "prefix": token.prefix}, actor_name=None if actor else "system")


REVIEW_LEVELS = ("first", "second", "final")
PREFIX_MAX = 30
PREFIX_FIELDS = {"prefix_suggestion": "建议答复", "prefix_proposal": "提案答复",
                 "prefix_co_opinion": "会办意见"}


# A unit that typed no 会办意见 prefix numbers its opinions under its short name + 会字
# (「省人社厅会字〔2026〕3号」): every unit has a series from the start, changeable in its settings.
CO_OPINION_SUFFIX = "会字"


def co_opinion_prefix(unit: Unit) -> str:
    """The unit's 会办意见 prefix: the one typed in its settings, or the default."""
    return unit.prefix_co_opinion or default_co_opinion_prefix(unit)


def default_co_opinion_prefix(unit: Unit) -> str:
    """The short name (or, when another unit shares it or uses the result, the full name)
    followed by 会字; unique among the units, so no two opinions share a number."""
    room = PREFIX_MAX - len(CO_OPINION_SUFFIX)
    for base in dict.fromkeys(b for b in (unit.short_name, unit.name) if b):
        prefix = base[:room] + CO_OPINION_SUFFIX
        if not _prefix_user(prefix, unit):
            return prefix
    return f"{unit.name[:room - 6]}{unit.id}{CO_OPINION_SUFFIX}"


def _prefix_user(prefix: str, unit: Unit) -> tuple[str, bool] | None:
    """Another unit that has typed this prefix (its name, True) or might default to it (its
    name, False): the same short name or name before 会字, and no prefix typed."""
    typed = db.session.scalar(select(Unit.name).where(
        Unit.id != unit.id,
        (Unit.prefix_suggestion == prefix) | (Unit.prefix_proposal == prefix)
        | (Unit.prefix_co_opinion == prefix)))
    if typed:
        return typed, True
    if not prefix.endswith(CO_OPINION_SUFFIX):
        return None
    base = prefix.removesuffix(CO_OPINION_SUFFIX)
    other = db.session.scalar(select(Unit.name).where(
        Unit.id != unit.id, Unit.prefix_co_opinion == "",
        (Unit.short_name == base) | (Unit.name == base)).limit(1))
    return (other, False) if other else None


def _prefix_problem(prefix: str) -> str | None:
    if len(prefix) > PREFIX_MAX:
        return f"发文字号前缀最多 {PREFIX_MAX} 个字符。"
    if any(ch in prefix for ch in "〔〕[]［］"):
        return "前缀不含年份括号：只填「吉卫复议字」，系统自动加上〔年份〕和序号。"
    if prefix[-1].isdigit():
        return "前缀不能以数字结尾（序号由系统按年度自动编排）。"
    if any(ch.isspace() for ch in prefix):
        return "前缀中不能有空格。"
    return None


def update_unit_settings(actor: User | None, unit: Unit, *, review_levels: list[str],
                         allow_multi_level: bool, principal_leader_id: int | None,
                         closing_default: str, prefix_suggestion: str, prefix_proposal: str,
                         prefix_co_opinion: str, allow_author_approval: bool = False,
                         instruction_before_dispatch: bool | None = None) -> Unit:
    """Set the unit's reply handling: review chain, principal leader, closing, number prefixes."""
    errors: dict[str, list[str]] = {}
    chosen = set(review_levels or [])
    if not chosen or not chosen <= set(REVIEW_LEVELS):
        errors["review_levels"] = ["请至少选择一级审核（初审、复审、终审）。"]
    principal_leader = db.session.get(User, principal_leader_id) if principal_leader_id else None
    if principal_leader_id and (principal_leader is None or principal_leader.unit_id != unit.id):
        errors["principal_leader_id"] = ["主要负责人必须是本单位的用户。"]
    elif principal_leader is not None and not principal_leader.is_enabled:
        errors["principal_leader_id"] = ["该用户已停用，请另选主要负责人。"]
    closing_default = (closing_default or "").strip()
    if len(closing_default) > 200:
        errors["closing_default"] = ["结束语最多 200 个字符。"]
    prefixes = {"prefix_suggestion": (prefix_suggestion or "").strip(),
                "prefix_proposal": (prefix_proposal or "").strip(),
                "prefix_co_opinion": (prefix_co_opinion or "").strip()}
    seen: dict[str, str] = {}
    for name, prefix in prefixes.items():
        if not prefix:
            continue
        problem = _prefix_problem(prefix)
        if problem is None and prefix in seen:
            problem = (f"与{PREFIX_FIELDS[seen[prefix]]}的前缀相同；"
                       "各类文件须用不同的前缀，否则字号会重复。")
        if problem is None:
            other = _prefix_user(prefix, unit)
            if other is not None:
                other_name, typed = other
                problem = (f"「{other_name}」已使用该前缀。" if typed
                           else f"「{other_name}」未设会办意见前缀，按单位简称默认使用该前缀。")
        if problem:
            errors[name] = [problem]
        seen.setdefault(prefix, name)
    if errors:
        raise ValidationFailed("单位设置有误，请按提示修改。", errors)
    old = {"review_levels": unit.review_levels, "allow_multi_level": unit.allow_multi_level,
           "allow_author_approval": unit.allow_author_approval,
           "instruction_before_dispatch": unit.instruction_before_dispatch,
           "principal_leader_id": unit.principal_leader_id,
           "closing_default": unit.closing_default,
           **{name: getattr(unit, name) for name in prefixes}}
    unit.review_levels = ",".join(level for level in REVIEW_LEVELS if level in chosen)
    unit.allow_multi_level = bool(allow_multi_level)
    unit.allow_author_approval = bool(allow_author_approval)
    if instruction_before_dispatch is not None:
        unit.instruction_before_dispatch = bool(instruction_before_dispatch)
    unit.principal_leader_id = principal_leader.id if principal_leader else None
    unit.closing_default = closing_default
    for name, prefix in prefixes.items():
        setattr(unit, name, prefix)
    db.session.flush()
    new = {"review_levels": unit.review_levels, "allow_multi_level": unit.allow_multi_level,
           "allow_author_approval": unit.allow_author_approval,
           "instruction_before_dispatch": unit.instruction_before_dispatch,
           "principal_leader_id": unit.principal_leader_id,
           "closing_default": unit.closing_default, **prefixes}
    changed = {key: {"from": old[key], "to": new[key]} for key in new if old[key] != new[key]}
    audit.record("update_unit_settings", actor=actor, object_type="unit", object_id=unit.id,
                 details={"name": unit.name, "changed": changed},
                 actor_name=None if actor else "system")
    return unit
