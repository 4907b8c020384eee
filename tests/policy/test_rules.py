"""The policy's pieces without Slack: rules asked in order, categories in plain words, the
settings that configure them, and the cache that keeps Slack lookups rare."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.errors import ConfigError
from bot.policy.decision import Refusal
from bot.policy.moderation import plain_categories
from bot.policy.rules import Policy, PolicyRequest, RequestKind
from bot.policy.ttl_cache import TtlCache

REQUEST = PolicyRequest(RequestKind.ANSWER, "T0001", "C0001", "U0USER")


class _Rule:
    def __init__(self, answer: Refusal | None) -> None:
        self.answer = answer
        self.asked: list[PolicyRequest] = []

    async def check(self, request: PolicyRequest) -> Refusal | None:
        self.asked.append(request)
        return self.answer


async def test_the_first_refusal_wins_and_later_rules_are_not_asked() -> None:
    passing, refusing, later = _Rule(None), _Rule(Refusal("no", "No.")), _Rule(Refusal("x", "X"))
    assert await Policy([passing, refusing, later]).check(REQUEST) == Refusal("no", "No.")
    assert passing.asked == [REQUEST] and refusing.asked == [REQUEST] and later.asked == []
    assert await Policy().check(REQUEST) is None


@pytest.mark.parametrize(
    ("categories", "words"),
    [
        (["violence"], "violence"),
        (["violence/graphic", "harassment"], "graphic violence and harassment"),
        (["self-harm", "self-harm/intent", "hate"], "hate and self-harm"),
        (
            ["sexual", "illicit", "hate/threatening"],
            "hateful threats, help with wrongdoing and sexual content",
        ),
        (["something-new/kind"], "something-new kind"),
        ([], "content it does not allow"),
    ],
)
def test_categories_read_as_plain_words(categories: list[str], words: str) -> None:
    assert plain_categories(categories) == words


def _settings(**values: str) -> Settings:
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "OPENAI_API_KEY": "k"}
    return Settings.from_env({**env, **values})


def test_lists_and_choices_are_parsed_once_at_start_up() -> None:
    settings = _settings(
        ALLOWED_USERS=" U0ONE , S0TEAM,W0GRID ",
        ALLOWED_CHANNELS="C0001,G0002",
        ALLOWED_MODELS="gpt-4.1, o4-",
        MODERATION="Input, Output",
        MODERATION_API_KEY="sk-secret-moderation",
    )
    assert settings.allowed_users == ("U0ONE", "S0TEAM", "W0GRID")
    assert settings.allowed_channels == ("C0001", "G0002")
    assert settings.allowed_models == ("gpt-4.1", "o4-")
    assert settings.moderation == frozenset({"input", "output"})
    assert "sk-secret-moderation" not in repr(settings)
    defaults = _settings()
    assert (defaults.allowed_users, defaults.admin_users, defaults.moderation) == (
        (),
        (),
        frozenset(),
    )
    assert (defaults.external_users, defaults.moderation_on_error) == ("refuse", "allow")


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("ALLOWED_USERS", "U0ONE,@dana", "user or user group ids like U012AB3CD,S0614TZR7"),
        ("BLOCKED_USERS", "C0001", "user or user group ids"),
        ("ALLOWED_CHANNELS", "#general", "DM or channel ids like C012AB3CD"),
        ("ADMIN_USERS", "S0TEAM", "user ids like U012AB3CD"),
        ("MODERATION", "output", "must be off, input or input,output"),
        ("MODERATION_ON_ERROR", "ignore", "must be one of allow, refuse"),
        ("EXTERNAL_USERS", "yes", "must be one of refuse, allow"),
        ("MODERATION_BASE_URL", "moderation.local", "must be an http(s) URL"),
    ],
)
def test_bad_values_name_the_variable_and_the_fix(name: str, value: str, says: str) -> None:
    with pytest.raises(ConfigError) as raised:
        _settings(**{name: value})
    assert raised.value.variable == name and says in raised.value.fix


async def test_cached_values_expire_and_the_oldest_go_first() -> None:
    now = [0.0]
    cache: TtlCache[str, int] = TtlCache(seconds=60, max_entries=2, clock=lambda: now[0])
    loads: list[str] = []

    async def load(key: str, value: int) -> int:
        loads.append(key)
        return value

    assert await cache.get("a", lambda: load("a", 1)) == 1
    assert await cache.get("a", lambda: load("a", 2)) == 1
    now[0] = 61
    assert await cache.get("a", lambda: load("a", 3)) == 3
    await cache.get("b", lambda: load("b", 4))
    await cache.get("c", lambda: load("c", 5))  # "a" is the oldest of three: dropped
    assert await cache.get("a", lambda: load("a", 6)) == 6
    assert loads == ["a", "a", "b", "c", "a"]
