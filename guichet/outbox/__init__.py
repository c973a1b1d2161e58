"""The outbox: side effects owed by committed writes (mail, alerts, pages, webhooks, statements).

A write that must cause something outside the database records a `Delivery` row in its own
transaction (`services.enqueue`), with an idempotency key. The task queue only *wakes* the relay
(`relay.deliver`); every worker also polls the table every few seconds, so what the queue lost is
delivered anyway. Delivery is at least once; the key (and each handler's own record, e.g. a mail's
Message-ID) makes it effectively once. See docs/outbox.md.
"""
