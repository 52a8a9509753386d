"""The one base of refusals caused by bad input: each names its field, and answers 422.

A message reads ``"field: what is wrong"``, so that every door (form, JSON API, CLI) can show
it next to the field it names. Domain packages subclass :class:`InputError` for their own
refusals; the web layer maps every subclass to 422 in one place.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad input for a change: nothing was written."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        if field is not None and not message.startswith(f"{field}:"):
            message = f"{field}: {message}"
        super().__init__(message)

    @property
    def field(self) -> str:
        head, sep, _ = str(self).partition(":")
        return head.strip() if sep and " " not in head.strip() else "body"

    @property
    def problem(self) -> str:
        head, sep, rest = str(self).partition(":")
        return rest.strip() if sep and " " not in head.strip() else str(self)
