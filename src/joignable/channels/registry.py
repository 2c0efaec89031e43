"""Which factory builds each adapter kind the configuration may name.

Why one table: `channels.KINDS` (what `schema/channels.py` accepts) and the
factories the composition root calls must not drift apart; a test checks
they name the same kinds. A new provider adds its folder and one line here.
"""

from __future__ import annotations

from collections.abc import Mapping

from joignable.channels.base import AdapterFactory
from joignable.channels.webhook.adapter import webhook_adapter

ADAPTERS: Mapping[str, AdapterFactory] = {"webhook": webhook_adapter}
