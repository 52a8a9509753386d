"""A change refused because another request changed the same thing at the same moment."""

from __future__ import annotations


class Conflict(Exception):
    """The later of two concurrent changes: nothing was written; reload and try again (409).

    The message names the field first, like every other refusal. A stale optimistic version
    (SQLAlchemy's ``StaleDataError`` on a ``lock_version`` table) answers the same way.
    """
