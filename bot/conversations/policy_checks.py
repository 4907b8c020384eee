"""The policy's questions about one message, asked by the conversation service: may this person
be answered here (before any work), and may this prompt go to the model (once it is built)?
A refused message gets its notice through the refusal desk, and the model is not called."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversations.prompt import Prompt
from bot.conversations.values import IncomingMessage
from bot.policy.decision import Refusal
from bot.policy.refusals import Asker, RefusalDesk
from bot.policy.rules import Policies, PolicyRequest, RequestKind
from bot.store.conversations_repo import MessageRepository


def _request(message: IncomingMessage, prompt: Prompt | None = None) -> PolicyRequest:
    content = prompt.newest["content"] if prompt is not None else ""
    images = tuple(
        part["image_url"]["url"]
        for part in (content if isinstance(content, list) else ())
        if part["type"] == "image_url"
    )
    return PolicyRequest(
        kind=RequestKind.ANSWER,
        team_id=message.team_id,
        channel_id=message.channel_id,
        user_id=message.user_id,
        user_team_id=message.user_team_id,
        is_dm=message.is_dm,
        model=prompt.model if prompt is not None else "",
        text="\n\n".join(t for t in (message.text, prompt.files_text if prompt else "") if t),
        images=images,
    )


def _asker(message: IncomingMessage) -> Asker:
    return Asker(
        RequestKind.ANSWER, message.team_id, message.channel_id, message.user_id, message.thread_ts
    )


class PolicyChecks:
    def __init__(
        self,
        policies: Policies,
        desk: RefusalDesk,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        self._policies = policies
        self._desk = desk
        self._sessions = sessions

    async def refused_access(self, message: IncomingMessage) -> bool:
        """Whether the person may not be answered here (told so, once per thread)."""
        refusal = await self._policies.access.check(_request(message))
        if refusal is not None:
            await self._desk.refuse(_asker(message), refusal)
        return refusal is not None

    async def refused_content(self, message: IncomingMessage, prompt: Prompt) -> bool:
        """Whether the prompt may not go to the model. A refused message leaves the
        conversation: its stored text is erased, so no later prompt carries it."""
        refusal = await self._policies.content.check(_request(message, prompt))
        if refusal is None:
            return False
        async with self._sessions.begin() as session:
            await MessageRepository(session).erase(message.team_id, message.channel_id, message.ts)
        await self._desk.refuse(_asker(message), refusal)
        return True

    async def refuse(self, message: IncomingMessage, refusal: Refusal) -> None:
        """Another check said no (a budget, or output moderation withheld the answer): recorded,
        counted and told like every refusal."""
        await self._desk.refuse(_asker(message), refusal)
