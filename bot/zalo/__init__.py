"""The Zalo Bot Platform channel: our own thin API client, receiving (webhook or polling)
through the update inbox, replies drawn for a text-only platform (numbered options, links),
and the service that composes them on the same engine, inbox and outbox as Telegram.

Zalo's types stay in this package; past ``bot/zalo`` there are only handlers' Events and
Replies."""
