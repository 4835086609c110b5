"""Who may print the 征询意见表 and who may make a rating link.

A rating link answers for the author, so the rated unit never makes one: links come from the
system at 发文 (the e-mails) or from the supervising office by hand, with a reason.
"""
from __future__ import annotations

from sqlalchemy import select

from tracker.accounts.models import User
from tracker.extensions import db
from tracker.handling import permissions
from tracker.handling.models import Assignment
from tracker.handling.permissions import is_supervisor, is_unit_clerk_of
from tracker.ratings.models import Rating

MINT_REFUSED = ("只有督办单位的交办员可以生成评价链接；承办单位可以打印不含评价链接的"
                "纸质征询意见表。")


def can_print_rating_form(user: User, assignment: Assignment) -> bool:
    """The paper form (without a link): the supervising office and the unit's clerk."""
    return is_supervisor(user) or is_unit_clerk_of(user, assignment)


def can_mint_rating_link(user: User, assignment: Assignment) -> bool:
    """A new personal link by hand: a supervising clerk of the supervising office only."""
    return bool(is_supervisor(user) and user.unit is not None and user.unit.is_supervising
                and user.unit_id != assignment.unit_id)


def is_made_by_rated_unit(link) -> bool:
    """The link was made by a user of the unit whose reply it rates (never a valid link)."""
    maker = link.created_by
    return maker is not None and maker.unit_id == link.reply.assignment.unit_id


def can_view_ratings(user: User, assignment: Assignment) -> bool:
    """A unit's ratings are for the supervising office and the unit itself."""
    if not permissions.can_view_assignment(user, assignment):
        return False
    return permissions.is_supervisor(user) or user.unit_id == assignment.unit_id


def download_rule(user: User, attachment) -> bool | None:
    """A scanned 征询意见表: the supervising office and the unit whose reply was rated."""
    rating = db.session.scalar(select(Rating).where(Rating.scan_id == attachment.id))
    if rating is None:
        return None
    return can_view_ratings(user, rating.reply.assignment)
