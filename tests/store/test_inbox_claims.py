"""Claims at the repository level: an attempt that lost its row can no longer write to it, even
when the process that claimed the row again is its own; batches are written in key order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.inbox import Delivery
from bot.store.conversations_repo import ConversationRepository, NewConversation
from bot.store.inbox_repo import InboxRepository
from bot.store.models import Conversation, InboxStatus

OWNER = "host:1:abcd"


async def test_an_attempt_whose_row_was_claimed_again_by_its_own_process_writes_nothing(
    session: AsyncSession,
) -> None:
    inbox = InboxRepository(session)
    now = datetime.now(UTC)
    ids = await inbox.add_many([(Delivery("Ev1", "T0001", "probe", "{}"), OWNER, now)])
    # Its renewals failed (a database outage), the lease ran out, and its own sweep took it.
    [again] = await inbox.claim_due(
        owner=OWNER, now=now + timedelta(seconds=1), lease_expires_at=now, limit=10
    )
    assert (again.id, again.attempts) == (ids["Ev1"], 2)

    later = now + timedelta(minutes=1)
    assert not await inbox.renew(ids["Ev1"], owner=OWNER, attempt=1, lease_expires_at=later)
    assert not await inbox.set_reply_ts(ids["Ev1"], owner=OWNER, attempt=1, reply_ts="1.2")
    assert not await inbox.finish(ids["Ev1"], owner=OWNER, attempt=1, status=InboxStatus.DONE)
    assert await inbox.renew(ids["Ev1"], owner=OWNER, attempt=2, lease_expires_at=later)


async def test_a_batch_is_written_in_key_order_whatever_order_it_arrived_in(
    session: AsyncSession,
) -> None:
    """Two replicas writing overlapping batches lock the unique keys in one order (no
    PostgreSQL deadlock): rows go in event_id order, conversations in thread order."""
    events = ["EvC", "EvA", "EvB"]
    ids = await InboxRepository(session).add_many(
        [(Delivery(e, "T0001", "probe", "{}"), None, None) for e in events]
    )
    assert sorted(ids, key=ids.__getitem__) == sorted(events)

    conversations = ConversationRepository(session)
    threads = [("T0001", "C0001", ts) for ts in ("1700000003.0", "1700000001.0", "1700000002.0")]
    await conversations.ensure(
        [NewConversation(t, None, "channel_thread") for t in [*threads, threads[0]]]
    )
    stored = await session.execute(select(Conversation.thread_ts).order_by(Conversation.id))
    assert list(stored.scalars()) == sorted(t[2] for t in threads)
