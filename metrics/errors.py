"""The one error type a user can act on."""


class CarePulseError(Exception):
    """A problem the user can fix: `message` says what is wrong, `hint` what to do."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  → {self.hint}" if self.hint else self.message
