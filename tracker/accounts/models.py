"""Units, sections, users, roles and API tokens."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.accounts.roles import (  # noqa: F401  (re-exported)
    ROLE_LABELS,
    TOKEN_SCOPE_LABELS,
    Role,
    TokenScope,
)
from tracker.core.dbtypes import enum_type, one_of
from tracker.core.time import utcnow
from tracker.extensions import db


class Unit(db.Model):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    short_name: Mapped[str] = mapped_column(String(40), default="")
    # The supervising office (交办/督办) registers and assigns items.
    is_supervising: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Reply handling: the review chain (an ordered subset of first,second,final), whether one
    # person may approve two levels of a draft, the principal leader (signs key items), the
    # default closing sentence and the document-number prefixes (e.g. 吉卫复议字).
    review_levels: Mapped[str] = mapped_column(String(40), default="first,second,final")
    allow_multi_level: Mapped[bool] = mapped_column(Boolean, default=False)
    # Separation of duties: whoever saved a version of the round's draft may not approve or
    # sign it off, unless the unit allows it (one-person offices).
    allow_author_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    principal_leader_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", use_alter=True, ondelete="SET NULL"))
    closing_default: Mapped[str] = mapped_column(String(200), default="")
    # 办理结果公开: the unit's 统一社会信用代码 and the format of its 索引号 (empty: the
    # installation's PUBLIC_INDEX_FORMAT).
    credit_code: Mapped[str] = mapped_column(String(18), default="", server_default="")
    index_format: Mapped[str] = mapped_column(String(80), default="", server_default="")
    # No longer read: 信函格式 is a choice of the letter styles (tracker.replies.styles),
    # which took this value over; the column goes in a later revision.
    letterhead: Mapped[bool] = mapped_column(Boolean, default=False)
    # 领导批示: the unit's principal or deputy leader instructs (办理意见) before the item is
    # passed to a drafter; the request goes to them at 签收 (tracker.instructions).
    instruction_before_dispatch: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false())
    prefix_suggestion: Mapped[str] = mapped_column(String(30), default="")
    prefix_proposal: Mapped[str] = mapped_column(String(30), default="")
    prefix_co_opinion: Mapped[str] = mapped_column(String(30), default="")
    # Signing the issued letters (tracker.signing): the unit's PKCS#12 file and transparent
    # seal image under SIGNING_DIR (random names); the password is never in the database.
    sign_p12_name: Mapped[str | None] = mapped_column(String(80))
    seal_name: Mapped[str | None] = mapped_column(String(80))
    sign_subject: Mapped[str] = mapped_column(String(200), default="")
    sign_not_after: Mapped[datetime | None] = mapped_column(DateTime)

    sections: Mapped[list[Section]] = relationship(
        back_populates="unit", order_by="Section.name", cascade="all, delete-orphan"
    )
    users: Mapped[list[User]] = relationship(
        back_populates="unit", order_by="User.username", foreign_keys="User.unit_id")
    principal_leader: Mapped[User | None] = relationship(foreign_keys=[principal_leader_id])

    @property
    def chain(self) -> list[str]:
        """The review levels in order, e.g. ["first", "second", "final"]."""
        return [level for level in (self.review_levels or "").split(",") if level]

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


class Section(db.Model):
    __tablename__ = "sections"
    __table_args__ = (UniqueConstraint("unit_id", "name", name="uq_sections_unit_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))

    unit: Mapped[Unit] = relationship(back_populates="sections")


class UserRole(db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role", name="uq_user_roles_user_role"),
                      one_of("role", Role))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_type(Role, 30))


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    full_name: Mapped[str] = mapped_column(String(60))
    password_hash: Mapped[str] = mapped_column(String(255))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    section_id: Mapped[int | None] = mapped_column(ForeignKey("sections.id", ondelete="SET NULL"))
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(120), default="")
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Demo accounts are refused in production mode.
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped on logout, password change and disabling: every older session stops working.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    unit: Mapped[Unit] = relationship(back_populates="users", foreign_keys=[unit_id])
    section: Mapped[Section | None] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    # Flask-Login: the id carries the session version, so a bumped version logs the cookie out.
    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.is_enabled

    @property
    def roles(self) -> frozenset[Role]:
        # Asked for every row of a list (the workflow's who-may checks): kept until the
        # rows change (set_roles, or a reload that gives a new list).
        rows = self.role_rows
        cached = self.__dict__.get("_roles_cache")
        if cached is None or cached[0] is not rows or cached[1] != len(rows):
            cached = self.__dict__["_roles_cache"] = (rows, len(rows),
                                                      frozenset(r.role for r in rows))
        return cached[2]

    def has_role(self, *roles: Role) -> bool:
        return not self.roles.isdisjoint(roles)

    def set_roles(self, roles: set[Role]) -> None:
        """Replace the user's roles with exactly these."""
        current = {r.role: r for r in self.role_rows}
        for role, row in current.items():
            if role not in roles:
                self.role_rows.remove(row)
        for role in roles - set(current):
            self.role_rows.append(UserRole(role=role))
        self.__dict__.pop("_roles_cache", None)

    @property
    def role_labels(self) -> list[str]:
        return [r.label for r in Role if r in self.roles]


class ApiToken(db.Model):
    __tablename__ = "api_tokens"
    __table_args__ = (one_of("scope", TokenScope),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    # SHA-256 of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    scope: Mapped[TokenScope] = mapped_column(
        enum_type(TokenScope, 10),
        default=TokenScope.read)
    # The issue time: a password changed later ends the token.
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()

    def refusal(self, now: datetime) -> str | None:
        """Why the token is refused at this moment (a label), or None when it works."""
        user = self.user
        if self.revoked_at is not None:
            return "已吊销"
        if self.expires_at is not None and self.expires_at <= now:
            return "已过期"
        if not user.is_enabled:
            return "用户已停用"
        if user.password_changed_at is not None and user.password_changed_at > self.created_at:
            return "密码已更改，已失效"
        if user.locked_until is not None and user.locked_until > now:
            return "账户锁定中"
        return None
