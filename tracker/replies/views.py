"""Draft versions and their comparison (the editing and review actions go through
tracker.handling.views like every other workflow action)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("replies", __name__)
