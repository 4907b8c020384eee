"""What /imagine says to people: escaping, the file comment, the DM note and failure wording."""

from __future__ import annotations

from bot.errors import ModelRateLimited, ModelRefused, ModelStatusError, SlackDeliveryError
from bot.images.notices import failure_notice, image_comment, moved_to_dm_notice
from bot.openai_api.images import GeneratedImage


def test_comment_escapes_user_text_so_a_prompt_cannot_ping_a_channel() -> None:
    comment = image_comment("U1", "a <!channel> sign & <https://x.org|link>", [])
    assert comment == "<@U1> asked for “a &lt;!channel&gt; sign &amp; &lt;https://x.org|link&gt;”"


def test_comment_lists_each_distinct_revised_prompt_once_and_skips_an_unchanged_one() -> None:
    images = [
        GeneratedImage(b"1", "a cat, detailed"),
        GeneratedImage(b"2", "a cat, detailed"),
        GeneratedImage(b"3", "a cat"),
        GeneratedImage(b"4", None),
    ]
    assert image_comment("U1", "a cat", images) == (
        "<@U1> asked for “a cat”\n_Revised prompt:_ “a cat, detailed”"
    )


def test_dm_note_says_where_the_image_could_not_go_and_how_to_add_the_bot() -> None:
    channel = moved_to_dm_notice("C9", "U0BOT")
    assert "<#C9>" in channel and "/invite <@U0BOT>" in channel
    assert "/invite @the-bot" in moved_to_dm_notice("C9", None)
    assert "direct message" in moved_to_dm_notice("D9", "U0BOT")


def test_failures_are_plain_words_with_the_reference_and_never_the_raw_error() -> None:
    cases = {
        ModelRefused(
            "safety system said no", status=400, code="content_policy_violation"
        ): "declined",
        ModelRateLimited("Rate limit reached", retry_after=3): "busy",
        ModelStatusError("upstream exploded", status=502): "had a problem",
        SlackDeliveryError("files_upload_v2", "invalid_auth"): "couldn't post it",
        RuntimeError("boom"): "something went wrong",
    }
    for error, words in cases.items():
        text = failure_notice(error, "ref-1234")
        assert words in text and text.endswith("(reference: `ref-1234`)")
        assert str(error) not in text
