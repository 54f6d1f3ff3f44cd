"""Messages that go out later, through the outbox.

- outbox.py: `enqueue`/`enqueue_many` (idempotent by dedup key), claims with short leases and
  fencing tokens, and what the sender records after each try (sent, retry, failed).
- broadcasts.py: one message from the organisers to an audience, its progress and report.

The sender (`bot/sender.py`) is the entry point: one unit of work per step. What each kind
of message says is its renderer in `bot/outbox_texts.py`. Services here never commit.
"""
