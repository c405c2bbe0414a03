"""Domain errors. The web turns them into a message next to the field or a
flash; the API into 403 / 404 / 409 / 422 with a JSON body."""
from __future__ import annotations

from dataclasses import dataclass, field


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: list | dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details if details is not None else []


class ValidationFailed(DomainError):
    """Input that cannot be accepted. `details` lists {field, message} (and `line` for files)."""

    status = 422
    code = "validation_failed"

    def field_errors(self) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        for item in self.details:
            errors.setdefault(item.get("field") or "", []).append(item["message"])
        return errors


class GuardFailed(DomainError):
    """A state change whose precondition does not hold; `guard` names it."""

    status = 409
    code = "guard_failed"

    def __init__(self, guard: str, message: str, details: list | dict | None = None):
        super().__init__(message, details)
        self.guard = guard


class NotFound(DomainError):
    status = 404
    code = "not_found"


class NotAllowed(DomainError):
    status = 403
    code = "forbidden"


@dataclass
class FieldErrors:
    """Collects validation problems so that all of them are reported at once."""

    items: list[dict] = field(default_factory=list)

    def add(self, field_name: str, message: str, **extra: object) -> None:
        self.items.append({"field": field_name, "message": message, **extra})

    def raise_if_any(self, message: str) -> None:
        if self.items:
            raise ValidationFailed(message, self.items)
