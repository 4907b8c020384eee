from __future__ import annotations

import re

import pytest

from bot.errors import BotError
from bot.images.help_text import usage_text
from bot.images.options import ImagineHelp, ImagineRequest, ImagineUsageError, parse_imagine

GPT = "gpt-image-1"
MODELS = ["gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5", "gpt-image-2", "dall-e-3", "dall-e-2"]
ALL_MODELS = [*MODELS, "my-local-sdxl"]


def _request(text: str, model: str = GPT, **kwargs: int) -> ImagineRequest:
    result = parse_imagine(text, model, **kwargs)
    assert isinstance(result, ImagineRequest), result
    return result


def _error(text: str, model: str = GPT, **kwargs: int) -> str:
    with pytest.raises(ImagineUsageError) as caught:
        parse_imagine(text, model, **kwargs)
    assert caught.value.message == str(caught.value)
    return caught.value.message


@pytest.mark.parametrize(
    ("text", "model", "expected"),
    [
        (
            "a lighthouse at dawn, oil painting --size 1536x1024 --quality high --n 2",
            GPT,
            ImagineRequest("a lighthouse at dawn, oil painting", 2, "1536x1024", "high"),
        ),
        ("a fox", GPT, ImagineRequest("a fox")),
        ("a fox --size=1024x1536", GPT, ImagineRequest("a fox", size="1024x1536")),
        ("a fox size=1024x1536", GPT, ImagineRequest("a fox", size="1024x1536")),
        ("a fox --size auto", GPT, ImagineRequest("a fox", size="auto")),
        ("a fox --SIZE 1536X1024", GPT, ImagineRequest("a fox", size="1536x1024")),
        ("a fox --size 1536×1024", GPT, ImagineRequest("a fox", size="1536x1024")),
        ('a fox --size "1536x1024"', GPT, ImagineRequest("a fox", size="1536x1024")),
        ("a fox --size landscape", GPT, ImagineRequest("a fox", size="1536x1024")),
        ("a fox --square", GPT, ImagineRequest("a fox", size="1024x1024")),
        ("a fox --landscape", GPT, ImagineRequest("a fox", size="1536x1024")),
        ("a fox --portrait", GPT, ImagineRequest("a fox", size="1024x1536")),
        ("a fox --landscape", "dall-e-3", ImagineRequest("a fox", size="1792x1024")),
        ("a fox --portrait", "dall-e-3", ImagineRequest("a fox", size="1024x1792")),
        ("a fox --square", "dall-e-2", ImagineRequest("a fox", size="1024x1024")),
        ("a fox --size 256x256", "dall-e-2", ImagineRequest("a fox", size="256x256")),
        ("a fox --quality low", GPT, ImagineRequest("a fox", quality="low")),
        ("a fox quality=medium", "gpt-image-1.5", ImagineRequest("a fox", quality="medium")),
        ("a fox --quality hd", "dall-e-3", ImagineRequest("a fox", quality="hd")),
        ("a fox --n 4", GPT, ImagineRequest("a fox", n=4)),
        ("a fox --count=3", GPT, ImagineRequest("a fox", n=3)),
        ("a fox n=2", "dall-e-2", ImagineRequest("a fox", n=2)),
        ("a fox --n 1", "dall-e-3", ImagineRequest("a fox", n=1)),
        (
            "a fox --background transparent",
            GPT,
            ImagineRequest("a fox", extra={"background": "transparent"}),
        ),
        ("a fox --bg opaque", GPT, ImagineRequest("a fox", extra={"background": "opaque"})),
        (
            "a fox --transparent",
            "gpt-image-1-mini",
            ImagineRequest("a fox", extra={"background": "transparent"}),
        ),
        ("a fox --style natural", "dall-e-3", ImagineRequest("a fox", extra={"style": "natural"})),
        ("a fox --size 1536x864", "gpt-image-2", ImagineRequest("a fox", size="1536x864")),
        ("a fox --size 3840x2160", "gpt-image-2", ImagineRequest("a fox", size="3840x2160")),
        ("a fox --size 1024x1024", "gpt-image-2", ImagineRequest("a fox", size="1024x1024")),
        # Options anywhere; the remaining prompt keeps its own spacing and line breaks.
        ("--n 2 a fox", GPT, ImagineRequest("a fox", n=2)),
        ("a fox --n 2 in the snow", GPT, ImagineRequest("a fox in the snow", n=2)),
        (
            "a fox\n\nin  the snow --square",
            GPT,
            ImagineRequest("a fox\n\nin  the snow", size="1024x1024"),
        ),
        # Slack smart punctuation turns -- into an em dash (or en dash).
        ("a fox —size 1024x1536", GPT, ImagineRequest("a fox", size="1024x1536")),
        ("a fox –landscape", GPT, ImagineRequest("a fox", size="1536x1024")),
        # Unknown models: permissive, values passed through.
        ("a fox --size 768x768", "my-local-sdxl", ImagineRequest("a fox", size="768x768")),
        ("a fox --landscape", "my-local-sdxl", ImagineRequest("a fox", size="1536x1024")),
        ("a fox --quality ultra", "my-local-sdxl", ImagineRequest("a fox", quality="ultra")),
        (
            "a fox --style anime --bg auto",
            "my-local-sdxl",
            ImagineRequest("a fox", extra={"style": "anime", "background": "auto"}),
        ),
        # Model names match case-insensitively, dated snapshots by prefix.
        ("a fox --size 1792x1024", "DALL-E-3", ImagineRequest("a fox", size="1792x1024")),
        (
            "a fox --bg auto",
            "gpt-image-2-2026-04-21",
            ImagineRequest("a fox", extra={"background": "auto"}),
        ),
    ],
)
def test_options_are_parsed(text: str, model: str, expected: ImagineRequest) -> None:
    assert _request(text, model) == expected


@pytest.mark.parametrize(
    ("text", "prompt"),
    [
        ("a rock--paper scene", "a rock--paper scene"),
        ("a rock--paper scene --n 2", "a rock--paper scene"),
        ("a cat -- sleeping", "a cat -- sleeping"),
        ("a cat --- sleeping", "a cat --- sleeping"),
        ("arrows --> and <-- everywhere", "arrows --> and <-- everywhere"),
        ("E=mc2 on a chalkboard", "E=mc2 on a chalkboard"),
        ("the sea —calm and blue", "the sea —calm and blue"),
        ('a poster that says "--size matters"', 'a poster that says "--size matters"'),
        ("a poster that says “--help me”", "a poster that says “--help me”"),
        ('a sign saying "open', 'a sign saying "open'),
        ("  un café à Montréal 🌧️, 東京の夜  ", "un café à Montréal 🌧️, 東京の夜"),
        ("see <https://example.com/a--b|example.com/a--b>", "see example.com/a--b"),
        ("see <https://example.com>", "see https://example.com"),
        ("mail <mailto:a@b.org|a@b.org>", "mail a@b.org"),
        ("mail <mailto:a@b.org>", "mail a@b.org"),
        (
            "a portrait of <@U024BE7LH> in <#C123|general>",
            "a portrait of <@U024BE7LH> in <#C123|general>",
        ),
        ("salt &amp; pepper, 3 &lt; 4 &gt; 2", "salt & pepper, 3 < 4 > 2"),
        ("&amp;lt; stays literal", "&lt; stays literal"),
        ("help me draw a cat", "help me draw a cat"),
    ],
)
def test_prompt_text_is_kept(text: str, prompt: str) -> None:
    assert _request(text).prompt == prompt


def test_quoted_prompt_keeps_options_inside_and_parses_those_outside() -> None:
    assert _request('"a fox --n 4" --n 2') == ImagineRequest("a fox --n 4", n=2)


@pytest.mark.parametrize(
    ("text", "model", "message"),
    [
        ("a fox --foo", GPT, "Unknown option --foo"),
        ("a fox --foo=bar", GPT, "Unknown option --foo"),
        ("a fox --Weird-Thing 3", GPT, "Unknown option --Weird-Thing"),
        (
            "a fox --size 999x999",
            "dall-e-3",
            "Size 999x999 is not supported by dall-e-3; choose 1024x1024, 1792x1024 or 1024x1792",
        ),
        (
            "a fox --size 1792x1024",
            GPT,
            "Size 1792x1024 is not supported by gpt-image-1; "
            "choose 1024x1024, 1536x1024, 1024x1536 or auto",
        ),
        (
            "a fox --size auto",
            "dall-e-2",
            "Size auto is not supported by dall-e-2; choose 256x256, 512x512 or 1024x1024",
        ),
        (
            "a fox --landscape",
            "dall-e-2",
            "Size landscape is not supported by dall-e-2; choose 256x256, 512x512 or 1024x1024",
        ),
        (
            "a fox --size big",
            "gpt-image-2",
            "Size big is not supported by gpt-image-2; "
            "choose 1024x1024, 1536x1024, 1024x1536, auto or a WIDTHxHEIGHT size",
        ),
        (
            "a fox --size 1000x1000",
            "gpt-image-2",
            "Size 1000x1000 is not supported by gpt-image-2: "
            "width and height must be multiples of 16",
        ),
        (
            "a fox --size 3200x1024",
            "gpt-image-2",
            "Size 3200x1024 is not supported by gpt-image-2: "
            "the aspect ratio must be between 1:3 and 3:1",
        ),
        (
            "a fox --size 3840x3840",
            "gpt-image-2",
            "Size 3840x3840 is not supported by gpt-image-2: the largest size is 3840x2160",
        ),
        (
            "a fox --size 4096x2048",
            "gpt-image-2",
            "Size 4096x2048 is not supported by gpt-image-2: the largest size is 3840x2160",
        ),
        (
            "a fox --size big",
            "my-local-sdxl",
            "Size big is not a size; use WIDTHxHEIGHT, e.g. 1024x1024",
        ),
        (
            "a fox --size 0x512",
            "my-local-sdxl",
            "Size 0x512 is not a size; use WIDTHxHEIGHT, e.g. 1024x1024",
        ),
        (
            "a fox --quality hd",
            GPT,
            "Quality hd is not supported by gpt-image-1; choose low, medium, high or auto",
        ),
        (
            "a fox --quality high",
            "dall-e-3",
            "Quality high is not supported by dall-e-3; choose standard or hd",
        ),
        ("a fox --quality standard", "dall-e-2", "Option --quality is not supported by dall-e-2"),
        ("a fox --style vivid", GPT, "Option --style is not supported by gpt-image-1"),
        ("a fox --transparent", "dall-e-3", "Option --transparent is not supported by dall-e-3"),
        ("a fox bg=auto", "dall-e-2", "Option --bg is not supported by dall-e-2"),
        (
            "a fox --background clear",
            GPT,
            "Background clear is not supported by gpt-image-1; choose transparent, opaque or auto",
        ),
        (
            "a fox --style anime",
            "dall-e-3",
            "Style anime is not supported by dall-e-3; choose vivid or natural",
        ),
        ("a fox --n 0", GPT, "Number of images must be 1–4"),
        ("a fox --n 5", GPT, "Number of images must be 1–4"),
        ("a fox --n two", GPT, "Number of images must be 1–4"),
        ("a fox --n -1", GPT, "Number of images must be 1–4"),
        ("a fox --count 10", "dall-e-2", "Number of images must be 1–4"),
        ("a fox --n 2", "dall-e-3", "dall-e-3 makes one image per request, so --n must be 1"),
        (
            "a fox --count 0",
            "dall-e-3",
            "dall-e-3 makes one image per request, so --count must be 1",
        ),
        ("a fox --size", GPT, "Option --size needs a value, e.g. --size 1024x1024"),
        ("a fox --size=", GPT, "Option --size needs a value, e.g. --size 1024x1024"),
        (
            "a fox --quality --n 2",
            "dall-e-3",
            "Option --quality needs a value, e.g. --quality standard",
        ),
        ("a fox --style", "my-local-sdxl", "Option --style needs a value, e.g. --style natural"),
        ("a fox --n", "dall-e-3", "Option --n needs a value, e.g. --n 1"),
        ("a fox --square=yes", GPT, "Option --square takes no value"),
        (
            "a fox --size 1024x1024 --landscape",
            GPT,
            "Size is given twice (--size and --landscape); keep one",
        ),
        ("a fox --n 1 n=2", GPT, "Number of images is given twice (--n and --n); keep one"),
        (
            "a fox --bg opaque --transparent",
            GPT,
            "Background is given twice (--bg and --transparent); keep one",
        ),
        (
            "a fox --output_format jpeg",
            GPT,
            "Option --output_format is not available: images are always posted as PNG",
        ),
        (
            "a fox --format=webp",
            GPT,
            "Option --format is not available: images are always posted as PNG",
        ),
        (
            "a fox output-format=png",
            GPT,
            "Option --output-format is not available: images are always posted as PNG",
        ),
        (
            "--square --n 2",
            GPT,
            "The prompt is empty: describe the image, "
            "e.g. /imagine a lighthouse at dawn, oil painting --square",
        ),
        (
            '"" --n 2',
            GPT,
            "The prompt is empty: describe the image, "
            "e.g. /imagine a lighthouse at dawn, oil painting --square",
        ),
    ],
)
def test_usage_errors_say_what_is_wrong(text: str, model: str, message: str) -> None:
    assert _error(text, model) == message


def test_usage_error_is_a_bot_error() -> None:
    assert issubclass(ImagineUsageError, BotError)


@pytest.mark.parametrize(
    ("model", "limit"),
    [
        ("gpt-image-1", 32_000),
        ("gpt-image-1-mini", 32_000),
        ("gpt-image-1.5", 32_000),
        ("gpt-image-2", 32_000),
        ("dall-e-3", 4_000),
        ("dall-e-2", 1_000),
    ],
)
def test_prompt_limit_per_model(model: str, limit: int) -> None:
    assert _request("x" * limit, model).prompt == "x" * limit
    message = _error("x" * (limit + 1), model)
    assert (
        message
        == f"The prompt is {limit + 1:,} characters long; the limit for {model} is {limit:,}"
    )


def test_prompt_limit_counts_the_prompt_without_options() -> None:
    assert _request("x" * 1000 + " --size 512x512 --n 2", "dall-e-2").n == 2


def test_prompt_limit_counts_characters_not_bytes() -> None:
    assert _request("東" * 1000, "dall-e-2").prompt == "東" * 1000


@pytest.mark.parametrize(
    ("model", "override", "allowed", "limit"),
    [
        ("dall-e-3", 500, 500, 500),
        ("dall-e-3", 10_000, 4_000, 4_000),
        ("my-local-sdxl", 200, 200, 200),
    ],
)
def test_max_prompt_chars_only_tightens_the_limit(
    model: str, override: int, allowed: int, limit: int
) -> None:
    assert _request("x" * allowed, model, max_prompt_chars=override).prompt == "x" * allowed
    assert _error("x" * (allowed + 1), model, max_prompt_chars=override).endswith(f"is {limit:,}")


def test_unknown_models_have_no_prompt_limit_by_default() -> None:
    assert len(_request("x" * 100_000, "my-local-sdxl").prompt) == 100_000


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\n",
        "help",
        "HELP",
        " help ",
        "?",
        "-h",
        "--help",
        "—help",
        "a fox --help",
        "--n 2 --help",
    ],
)
def test_help_forms(text: str) -> None:
    assert parse_imagine(text, GPT) == ImagineHelp(usage_text(GPT))


def test_help_carries_the_operator_limit() -> None:
    result = parse_imagine("help", "dall-e-3", max_prompt_chars=500)
    assert isinstance(result, ImagineHelp)
    assert "Prompts can be up to 500 characters long." in result.text


@pytest.mark.parametrize("model", ALL_MODELS)
def test_every_example_in_the_help_works(model: str) -> None:
    commands = re.findall(r"`/imagine ([^`]*)`", usage_text(model))
    assert len(commands) >= 2
    for command in commands:
        assert isinstance(parse_imagine(command, model), ImagineRequest), command


@pytest.mark.parametrize(
    ("model", "present", "absent"),
    [
        (
            "gpt-image-1",
            ["--quality", "low, medium, high or auto", "--transparent", "1–4", "32,000"],
            ["--style", "1792"],
        ),
        ("gpt-image-2", ["multiples of 16", "3840x2160", "1:3 and 3:1"], ["--style"]),
        (
            "dall-e-3",
            ["standard or hd", "vivid or natural", "one image per request", "4,000"],
            ["--bg", "--count"],
        ),
        (
            "dall-e-2",
            ["256x256, 512x512 or 1024x1024", "`--square`", "1,000"],
            ["--quality", "--landscape", "--style"],
        ),
        ("my-local-sdxl", ["any WIDTHxHEIGHT", "--style", "--quality"], ["Prompts can be up to"]),
    ],
)
def test_help_lists_only_what_the_model_accepts(
    model: str, present: list[str], absent: list[str]
) -> None:
    text = usage_text(model)
    for fragment in present:
        assert fragment in text
    for fragment in absent:
        assert fragment not in text


@pytest.mark.parametrize("model", ALL_MODELS)
def test_help_is_deterministic_slack_safe_mrkdwn(model: str) -> None:
    text = usage_text(model)
    assert text == usage_text(model)
    assert text.startswith(f"*Create an image with {model}:*")
    assert not set("<>&") & set(text)
