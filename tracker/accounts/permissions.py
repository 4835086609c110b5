"""Only administrators reach the admin pages."""
from __future__ import annotations

from functools import wraps

from flask_login import current_user

from tracker.core.errors import PermissionDenied
from tracker.handling import permissions


def admin_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not permissions.is_admin(current_user):
            raise PermissionDenied("只有系统管理员可以访问系统管理页面。")
        return view(*args, **kwargs)
    return wrapper
