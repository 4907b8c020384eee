"""The policy's lookups against the fakes, with an injected clock: group members and roles are
asked of Slack again only once their cache has expired, and a failing moderation server warns
at most once a minute."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.metrics import Metrics
from bot.openai_api.client import OpenAIClient
from bot.openai_api.retry import RetryPolicy
from bot.policy.moderation import ModerationRule, ModerationSettings
from bot.policy.rules import PolicyRequest, RequestKind
from bot.policy.settings_access import SettingsAccess
from bot.policy.usergroups import FAILED_SECONDS, MEMBERS_SECONDS, UserGroups
from bot.slack_input.people import SlackPeople
from tests.fakes.openai import Error, FakeOpenAI
from tests.fakes.slack import FakeSlack


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def people(fake_slack: FakeSlack) -> SlackPeople:
    return SlackPeople(AsyncWebClient(base_url=fake_slack.api_url, token=fake_slack.token))


@pytest.fixture
async def openai_client(fake_openai: FakeOpenAI) -> AsyncIterator[OpenAIClient]:
    client = OpenAIClient(
        fake_openai.base_url, fake_openai.api_key, retry=RetryPolicy(max_attempts=1)
    )
    yield client
    await client.aclose()


async def test_group_members_are_asked_again_only_after_the_cache_expires(
    fake_slack: FakeSlack, people: SlackPeople
) -> None:
    clock = Clock()
    fake_slack.add_usergroup("S0TEAM", ["U0ONE"])
    groups = UserGroups(people, clock=clock)
    assert await groups.includes(["S0TEAM"], "U0ONE", team_id="T0001")
    fake_slack.add_usergroup("S0TEAM", ["U0ONE", "U0NEW"])
    # Still the cached members:
    assert not await groups.includes(["S0TEAM"], "U0NEW", team_id="T0001")
    clock.now += MEMBERS_SECONDS + 1
    assert await groups.includes(["S0TEAM"], "U0NEW", team_id="T0001")
    assert len(fake_slack.calls_to("usergroups.users.list")) == 2
    # Ids need no lookup:
    assert await groups.includes(["U0DIRECT", "S0TEAM"], "U0DIRECT", team_id="T0001")
    assert len(fake_slack.calls_to("usergroups.users.list")) == 2


async def test_a_group_slack_will_not_expand_is_asked_again_sooner(
    fake_slack: FakeSlack, people: SlackPeople
) -> None:
    clock = Clock()
    groups = UserGroups(people, clock=clock)
    # no_such_subteam: empty
    assert not await groups.includes(["S0LATER"], "U0ONE", team_id="T0001")
    fake_slack.add_usergroup("S0LATER", ["U0ONE"])
    assert not await groups.includes(["S0LATER"], "U0ONE", team_id="T0001")
    clock.now += FAILED_SECONDS + 1
    assert await groups.includes(["S0LATER"], "U0ONE", team_id="T0001")


async def test_groups_and_roles_are_cached_per_workspace(
    fake_slack: FakeSlack, people: SlackPeople
) -> None:
    """OAuth mode serves many workspaces: what one workspace's token could (or could not) see
    is never taken for another's."""
    groups = UserGroups(people, clock=Clock())
    assert not await groups.includes(["S0LATER"], "U0ONE", team_id="T0OTHER")  # not expandable
    fake_slack.add_usergroup("S0LATER", ["U0ONE"])
    assert await groups.includes(["S0LATER"], "U0ONE", team_id="T0001")
    access = SettingsAccess(people, admin_users=(), default_model="m", allowed_models=())
    assert await access.may_change("U0USER", team_id="T0OTHER") is not None
    fake_slack.set_role("U0USER", "is_admin")
    assert await access.may_change("U0USER", team_id="T0001") is None


async def test_workspace_roles_come_from_users_info_and_are_cached_briefly(
    fake_slack: FakeSlack, people: SlackPeople
) -> None:
    clock = Clock()
    access = SettingsAccess(
        people, admin_users=(), default_model="m", allowed_models=(), clock=clock
    )
    fake_slack.set_role("U0OWNER", "is_primary_owner")
    assert await access.may_change("U0OWNER", team_id="T0001") is None
    refusal = await access.may_change("U0USER", team_id="T0001")
    assert refusal is not None and refusal.private and refusal.code == "settings_not_admin"
    fake_slack.set_role("U0USER", "is_admin")
    assert await access.may_change("U0USER", team_id="T0001") is not None  # cached for a minute
    clock.now += 61
    assert await access.may_change("U0USER", team_id="T0001") is None
    assert len(fake_slack.calls_to("users.info")) == 3


async def test_a_failing_moderation_server_warns_at_most_once_a_minute(
    fake_openai: FakeOpenAI, openai_client: OpenAIClient, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    metrics = Metrics()
    rule = ModerationRule(
        openai_client,
        ModerationSettings("omni-moderation-latest", True, False, refuse_on_error=False),
        metrics,
        clock=clock,
    )
    fake_openai.script_moderations(*[Error(500, "server_error")] * 4)
    request = PolicyRequest(RequestKind.ANSWER, "T0001", "C0001", "U0USER", text="secret words")
    with caplog.at_level(logging.WARNING):
        assert await rule.check(request) is None
        clock.now += 30
        assert await rule.check(request) is None
        clock.now += 31
        assert await rule.check(request) is None
    warnings = [r.getMessage() for r in caplog.records if "answering unchecked" in r.getMessage()]
    assert len(warnings) == 2
    assert not any("secret words" in r.getMessage() for r in caplog.records)
    assert (
        metrics.registry.get_sample_value(
            "slackbot_moderation_errors_total", {"code": "server_error"}
        )
        == 3
    )


async def test_text_moderation_models_get_the_text_alone(
    fake_openai: FakeOpenAI, openai_client: OpenAIClient
) -> None:
    image = "data:image/png;base64,iVBORw0KGgo="
    result = await openai_client.moderate("look", model="text-moderation-latest", images=[image])
    omni = await openai_client.moderate("look", model="omni-moderation-latest", images=[image])
    assert not result.flagged and not omni.flagged
    text_only, multimodal = fake_openai.moderation_requests()
    assert text_only["input"] == "look"
    assert multimodal["input"][1] == {"type": "image_url", "image_url": {"url": image}}


async def test_a_role_slack_will_not_tell_is_said_plainly_and_asked_again_next_time(
    fake_slack: FakeSlack, people: SlackPeople
) -> None:
    access = SettingsAccess(people, admin_users=(), default_model="m", allowed_models=())
    fake_slack.set_role("U0ADMIN", "is_admin")
    fake_slack.fail("users.info", "fatal_error")
    refusal = await access.may_change("U0ADMIN", team_id="T0001")
    assert refusal is not None and refusal.code == "settings_role_unknown"
    assert "try again" in refusal.notice
    assert await access.may_change("U0ADMIN", team_id="T0001") is None


async def test_the_app_homes_admin_check_is_the_same_cached_per_workspace_role(
    fake_slack: FakeSlack, people: SlackPeople
) -> None:
    """The App Home asks ``is_workspace_admin``: the same users.info lookup and cache as
    ``/ai-settings``; ``ADMIN_USERS`` may change settings but are no workspace admins, and a
    role Slack will not tell is no admin, asked again next time."""
    access = SettingsAccess(people, admin_users=("U0LISTED",), default_model="m", allowed_models=())
    fake_slack.set_role("U0ADMIN", "is_owner")
    assert await access.may_change("U0ADMIN", team_id="T0001") is None
    assert await access.is_workspace_admin("U0ADMIN", team_id="T0001")  # from the cache
    assert len(fake_slack.calls_to("users.info")) == 1
    await access.is_workspace_admin("U0ADMIN", team_id="T0OTHER")  # another team: asked again
    assert len(fake_slack.calls_to("users.info")) == 2
    assert await access.may_change("U0LISTED", team_id="T0001") is None
    assert not await access.is_workspace_admin("U0LISTED", team_id="T0001")
    fake_slack.set_role("U0LATER", "is_admin")
    fake_slack.fail("users.info", "fatal_error")
    assert not await access.is_workspace_admin("U0LATER", team_id="T0001")
    assert await access.is_workspace_admin("U0LATER", team_id="T0001")
