"""The JSON API under /api/v1, token-authenticated, calling the same operations as the pages."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__)
