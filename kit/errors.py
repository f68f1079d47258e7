"""Domain errors: raised by `domain.py` code, turned into gRPC status codes by the server interceptor and into
HTTP problems by the gateway. Messages are written for the person who sees them (Chinese); `details` carries
machine-readable extras such as the list of missing materials."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    kind = "invalid"

    def __init__(self, message: str, **details: Any):
        super().__init__(message)
        self.message = message
        self.details = details


class Invalid(DomainError):
    """The request itself is wrong (bad value, unknown code)."""

    kind = "invalid"


class NotFound(DomainError):
    """No such thing, or the caller may not know that it exists."""

    kind = "not_found"


class Forbidden(DomainError):
    """The caller may see the thing but not do this to it."""

    kind = "forbidden"


class Conflict(DomainError):
    """The request is valid but the current state does not allow it (wrong status, missing materials)."""

    kind = "conflict"


class AlreadyExists(DomainError):
    kind = "exists"


class UnsupportedMedia(DomainError):
    kind = "unsupported_media"


class TooLarge(DomainError):
    kind = "too_large"


class Unavailable(DomainError):
    """A service this one depends on did not answer; try again later."""

    kind = "unavailable"
