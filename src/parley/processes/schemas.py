"""Input models of the processes package's JSON routes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class MemberRole(BaseModel):
    """A member's role in the delegation (adding someone, or changing their role)."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["head", "member", "viewer"]
