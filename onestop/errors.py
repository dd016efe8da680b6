"""Domain errors raised by services; the web layer maps them to responses."""


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The object does not exist or is outside the actor's reach."""


class NotAllowed(DomainError):
    """The actor may see the object but not do this to it."""


class InvalidTransition(DomainError):
    """The lifecycle does not allow this move from the current state."""


class Conflict(DomainError):
    """Someone changed the object meanwhile."""


class StaleVersion(Conflict):
    """The change was based on a version of the object that is no longer the stored one."""


class Invalid(DomainError):
    """Input breaks a domain rule."""


class TooManyAttempts(DomainError):
    """The actor must wait before trying this again (sign-in throttling)."""
