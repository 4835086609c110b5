"""Domain errors, each mapped to one HTTP status by the error handlers."""
from __future__ import annotations


class DomainError(Exception):
    status = 400

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class ValidationFailed(DomainError):
    """Input that breaks a rule; errors name the fields (HTTP 422)."""

    status = 422


class PermissionDenied(DomainError):
    """The actor may not take this action on this object (HTTP 403)."""

    status = 403


class NotFound(DomainError):
    status = 404


class Hidden(NotFound):
    """An object that exists but belongs to other units: answered as 404, logged as a denial."""

    def __init__(self, message: str = "找不到该页面或记录。", errors=None):
        super().__init__(message, errors)


class InvalidTransition(DomainError):
    """The move is not in the transition table, or its precondition fails (HTTP 409)."""

    status = 409


class Conflict(InvalidTransition):
    """Someone else acted first: the object changed since it was read (HTTP 409)."""
