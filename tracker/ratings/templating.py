"""The ratings helpers of the templates: the item page's ratings panel and its buttons."""
from __future__ import annotations

from flask import Flask
from flask_login import current_user

from tracker.core.states import Grade, Satisfaction
from tracker.handling.models import Assignment
from tracker.proposals.models import Proposal
from tracker.ratings import permissions, queries
from tracker.ratings.choices import RatingChannel


def rating_panel(proposal: Proposal) -> dict:
    """The ratings panel of the item page, as far as the current user may see it."""
    return queries.rating_panel(proposal, current_user)


def can_print_rating_form(assignment: Assignment) -> bool:
    """The same rule as the 征询意见表 route: the supervising office and the unit's clerk."""
    return permissions.can_print_rating_form(current_user, assignment)


def can_mint_rating_link(assignment: Assignment) -> bool:
    """A new rating link on the printed form: the supervising office only."""
    return permissions.can_mint_rating_link(current_user, assignment)


def score_with_band(score: int) -> str:
    """A score with the band it falls in, as the pages show it: 95 分，满意（90 分及以上）."""
    band = Satisfaction.for_score(score)
    return f"{score} 分，{band.label}（{band.band_label}）"


def register(app: Flask) -> None:
    app.jinja_env.globals.update(rating_panel=rating_panel,
                                 can_print_rating_form=can_print_rating_form,
                                 can_mint_rating_link=can_mint_rating_link,
                                 score_with_band=score_with_band,
                                 Satisfaction=Satisfaction, RatingChannel=RatingChannel,
                                 Grade=Grade)
