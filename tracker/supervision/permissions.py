"""Who sees which supervision figures: the supervising office all units, a unit only itself."""
from __future__ import annotations

from tracker.accounts.models import User
from tracker.core.errors import Hidden, PermissionDenied
from tracker.handling.models import Assignment
from tracker.handling.permissions import is_supervisor


def can_view_dashboard(user: User) -> bool:
    """Supervising clerks, and the users of a handling unit (for their own unit)."""
    if is_supervisor(user):
        return True
    return bool(user and user.is_authenticated and user.unit is not None
                and not user.unit.is_supervising)


def scope_unit(user: User, requested: int | None) -> int | None:
    """The unit whose figures the user gets: the requested one for supervisors (None: all),
    always the user's own for a unit (asking for another unit's is answered as not found)."""
    if not can_view_dashboard(user):
        raise PermissionDenied("只有交办员和承办单位可以查看督办统计。")
    if is_supervisor(user):
        return requested
    if requested not in (None, user.unit_id):
        raise Hidden()
    return user.unit_id


def can_urge(user: User, assignment: Assignment) -> bool:
    """Supervising clerks urge an assignment whose deadline still runs (not finished)."""
    return is_supervisor(user) and not assignment.is_finished


def can_urge_unit(user: User) -> bool:
    """Supervising clerks urge a unit on all its overdue assignments."""
    return is_supervisor(user)


def can_view_urge(user: User, urge) -> bool:
    """The 督办函: for the supervising office and the urged unit's users."""
    return is_supervisor(user) or bool(
        user and user.is_authenticated and user.unit_id == urge.unit_id)
