"""The factory of the JSON webhook adapter, called by the composition root.

Why apart from the codec and the transport: building an adapter reads the
environment (its secret) — neither pure nor about one request.
"""

from __future__ import annotations

from joignable.channels.base import AdapterContext, ChannelAdapter, ChannelSetupError
from joignable.channels.webhook.codec import WebhookCodec
from joignable.channels.webhook.transport import WebhookTransport
from joignable.schema.channels import ChannelMount


def webhook_adapter(mount: ChannelMount, context: AdapterContext) -> ChannelAdapter:
    """The adapter of a `kind: webhook` entry; raises `ChannelSetupError` when
    the environment variable `mount.secret_env` is unset or empty."""
    secret = context.env.get(mount.secret_env, "").strip()
    if not secret:
        raise ChannelSetupError(
            f"channel webhook/{mount.name}: set ${mount.secret_env} to its signing secret"
        )
    codec = WebhookCodec(mount.name, secret, queue=mount.queue, channel=mount.channel)
    transport = WebhookTransport(codec, context.admission, mount.name)
    return ChannelAdapter(mount, codec, transport)
