"""The base of every rule's refusal: a translated message for the person.

Operations raise a subclass (``SignupError``, ``AccountError``, ``ClashError``,
…) and never an HTTP error, so the command line and the views share them.
Views catch them to show the message next to the field it is about; one that
no view catches becomes a 409 page in :mod:`readingroom.errors`.
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule refused the change; ``messages`` are translated; ``field`` names the form
    field they belong to, when there is one."""

    def __init__(self, *messages: str, field: str | None = None):
        super().__init__(" ".join(messages))
        self.messages = list(messages)
        self.field = field

    @property
    def message(self) -> str:
        return " ".join(self.messages)
