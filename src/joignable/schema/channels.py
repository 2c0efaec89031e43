# Why: the channels a center takes in are configuration, like its queues — a
# `channels:` entry names an adapter kind and how to mount it, and a misspelt
# kind must get "did you mean" like any misspelt key, not a server that starts
# without its webhook. Secrets are never in the document (it is stored and
# served by GET /api/config): an entry names the environment variable that
# holds its secret. The adapters themselves are in `joignable/channels/`.
from __future__ import annotations

import difflib
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator

from joignable.channels import KINDS
from joignable.core.model import Channel
from joignable.schema.fields import Id

#: an environment variable's name, as a shell writes it
EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")]


class ChannelMount(BaseModel):
    """One channel adapter to mount: `kind` (one of `channels.KINDS`) and
    `name` (its URL: `/channels/<kind>/<name>`); `secret_env` the environment
    variable holding its signing secret; `queue` / `channel` what a contact
    that names none gets (None: the contact must name it)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)

    kind: str
    name: Id
    secret_env: EnvName
    queue: Id | None = None
    channel: Channel | None = None

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in KINDS:
            close = difflib.get_close_matches(value, KINDS, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            known = ", ".join(KINDS)
            raise ValueError(f"unknown channel adapter {value!r}{hint} (known: {known})")
        return value
