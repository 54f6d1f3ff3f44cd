"""Domain errors: a machine-readable code, a plain English message and parameters.

Entry points never build their own explanations: the bot renders `error-<code>` from its
locale files with `params`, the CLI prints `message`.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.params = params

    def __str__(self) -> str:
        return self.message


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class InvalidInput(DomainError):
    code = "invalid_input"


class PermissionDenied(DomainError):
    code = "permission_denied"


class QuotaExceeded(DomainError):
    code = "quota_exceeded"


class CapacityFull(DomainError):
    code = "capacity_full"


class NotAllowed(DomainError):
    code = "not_allowed"


class WrongState(DomainError):
    code = "wrong_state"


class ExportFailed(DomainError):
    """An export could not be written (a part read by another process failed)."""

    code = "export_failed"
