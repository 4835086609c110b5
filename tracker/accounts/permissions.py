"""Role checks that need nothing but the user: the supervising office, administrators, and
the decorator that keeps the admin pages (and the rating rule) for administrators."""
from __future__ import annotations

from functools import wraps

from flask_login import current_user

from tracker.accounts.models import Role, User
from tracker.core.errors import PermissionDenied


def is_supervisor(user: User) -> bool:
    return bool(user and user.is_authenticated and user.has_role(Role.supervisor))


def is_office_leader(user: User) -> bool:
    """A leader of a supervising office (签办、审阅办理结果): reads every item, acts on none."""
    return bool(user and user.is_authenticated and user.has_role(Role.leader)
                and user.unit is not None and user.unit.is_supervising)


def oversees(user: User) -> bool:
    """Sees every item and every unit's part of it: the supervising clerks and leaders."""
    return is_supervisor(user) or is_office_leader(user)


def is_admin(user: User) -> bool:
    return bool(user and user.is_authenticated and user.has_role(Role.admin))


def can_register(user: User) -> bool:
    return is_supervisor(user)


def admin_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not is_admin(current_user):
            raise PermissionDenied("只有系统管理员可以访问系统管理页面。")
        return view(*args, **kwargs)
    return wrapper
