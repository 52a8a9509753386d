"""What a client may send to write a note (unknown fields refused)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: str = Field(min_length=1, max_length=300)
    text: str = ""
    space: str


class NoteUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: str | None = Field(None, min_length=1, max_length=300)
    text: str | None = None
