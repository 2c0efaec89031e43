# Channel adapters: each turns one provider's wire format into the admission
# use case's `Arrival` and its outcome back into the wire format (a pure codec),
# behind a thin transport the composition root mounts from the configuration's
# `channels:` section (decision 0024). `base.py` holds the protocol, one folder
# per provider holds an adapter; `KINDS` names those the configuration may list.
from __future__ import annotations

KINDS: tuple[str, ...] = ("webhook",)
