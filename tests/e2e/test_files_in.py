"""Issue 16, files: attached text, CSV, PDF and Word files reach the model as text within the
context budget, are kept with the turn (a follow-up never downloads them again), and what
cannot be read gets a note; signed events into the real app, files served by the fake Slack."""

from __future__ import annotations

from typing import Any

from bot.conversations.tokens import TokenCounter
from bot.store.models import MessageFile
from tests.conftest import RunningBot, SettingsFactory, start_bot
from tests.db_reads import stored
from tests.db_statements import failing, storing_assistant_turn
from tests.fakes.documents import make_docx, make_pdf
from tests.fakes.openai import FakeOpenAI, Reply
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import event_body, mention_event, message_event

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _shared(slack: FakeSlack, name: str, data: bytes, mimetype: str) -> dict[str, Any]:
    """A file as Slack puts it in a message event, hosted by the fake Slack."""
    url = slack.add_file(name, data, mimetype)
    file_id = url.split("/")[-2].rpartition("-")[2]
    return {
        "id": file_id,
        "name": name,
        "mimetype": mimetype,
        "size": len(data),
        "url_private": url,
    }


async def _mention_with(bot: RunningBot, slack: FakeSlack, text: str, *files: Any) -> str:
    event = {**mention_event(text), "files": list(files)}
    assert (await bot.post(event_body(event))).status_code == 200
    await slack.wait_for_calls("chat.stopStream", 1)
    return str(event["ts"])


async def _answered_once(
    make_settings: SettingsFactory, slack: FakeSlack, settings: dict[str, str], *files: Any
) -> str:
    """Start a bot with ``settings``, mention it with ``files``, and stop it once answered."""
    bot = await start_bot(make_settings(**settings))
    try:
        return await _mention_with(bot, slack, "read these", *files)
    finally:
        await bot.close()


def _newest(openai: FakeOpenAI, index: int = 0) -> str:
    content = openai.chat_requests()[index]["messages"][-1]["content"]
    assert isinstance(content, str)
    return content


async def test_a_pdf_and_a_long_csv_reach_the_model_within_the_budget(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    pdf = make_pdf(["Launch plan\nShip on March 3", "Risks: the billing migration"])
    rows = "\n".join(f"{i},customer-{i},{i * 7 % 100}" for i in range(1, 3001))
    csv = f"id,name,score\n{rows}\n".encode()
    files = [
        _shared(fake_slack, "plan.pdf", pdf, "application/pdf"),
        _shared(fake_slack, "scores.csv", csv, "text/csv"),
    ]
    fake_openai.script_chat(Reply("March 3, and the scores look fine."), Reply("Yes."))
    bot = await start_bot(make_settings(FILE_TEXT_MAX_TOKENS="1000"))
    try:
        root = await _mention_with(bot, fake_slack, "when do we ship?", *files)

        newest = _newest(fake_openai)
        assert newest.startswith("when do we ship?\n[attached: plan.pdf, scores.csv]\n\n")
        assert "----- attached file: plan.pdf -----\nLaunch plan\nShip on March 3" in newest
        assert "Risks: the billing migration\n----- end of plan.pdf -----" in newest
        assert "id,name,score\n1,customer-1,7\n" in newest
        assert "3000,customer-3000" not in newest  # the CSV is excerpted from its start
        files_part = newest.partition("\n\n")[2]
        assert TokenCounter().count_text("gpt-4o-mini", files_part) <= 1000
        [answer, note] = fake_slack.thread("C0001", root)
        assert [t["status"] for t in answer.tasks] == ["in_progress", "complete"]
        assert "scores.csv is long, so I read only the first" in note.visible_text()
        assert "plan.pdf" not in note.visible_text()  # read whole: nothing to say about it
        assert answer.visible_text().startswith("March 3")
        assert sorted(fake_slack.downloads) == sorted(f["id"] for f in files)

        # A follow-up in the thread sees the files again, from the store, not from Slack.
        await bot.post(event_body(message_event("and the risks?", thread_ts=root)))
        await fake_slack.wait_for_calls("chat.stopStream", 2)
        history = fake_openai.chat_requests()[1]["messages"]
        assert history[1]["role"] == "user" and "Ship on March 3" in history[1]["content"]
        assert "id,name,score" in history[1]["content"]
        assert history[-1] == {"role": "user", "content": "and the risks?"}
        assert len(fake_slack.downloads) == 2
    finally:
        await bot.close()
    kept = await stored(sqlite_url, MessageFile)
    assert [f.name for f in kept] == ["plan.pdf", "scores.csv"]
    assert kept[0].note is None and "read only the first" in str(kept[1].note)


async def test_a_long_pdf_is_excerpted_by_pages_and_the_note_says_how_many(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    pages = [
        f"Chapter {n}\n" + "\n".join(f"line {n}.{i} of the story" for i in range(40))
        for n in range(1, 31)
    ]
    pdf = _shared(fake_slack, "book.pdf", make_pdf(pages), "application/pdf")
    fake_openai.script_chat(Reply("It starts well."))
    root = await _answered_once(make_settings, fake_slack, {"FILE_TEXT_MAX_TOKENS": "2000"}, pdf)
    newest = _newest(fake_openai)
    assert "Chapter 1\nline 1.0 of the story" in newest and "Chapter 30" not in newest
    assert "(excerpt; book.pdf is long, so I read only its first" in newest
    [_answer, note] = fake_slack.thread("C0001", root)
    text = note.visible_text()
    assert "book.pdf is long, so I read only its first" in text and "of 30 pages" in text


async def test_a_word_document_is_read_with_its_tables(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    document = make_docx(
        ["Meeting notes", "Dana owns the rollout."], [["task", "owner"], ["docs", "Sam"]]
    )
    fake_openai.script_chat(Reply("Dana and Sam."))
    root = await _mention_with(
        bot, fake_slack, "who owns what?", _shared(fake_slack, "notes.docx", document, DOCX)
    )
    newest = _newest(fake_openai)
    assert "----- attached file: notes.docx -----\nMeeting notes\nDana owns the rollout." in newest
    assert "task\towner\ndocs\tSam" in newest
    [answer] = fake_slack.thread("C0001", root)  # nothing to note
    assert answer.visible_text().startswith("Dana and Sam.")


async def test_locked_oversized_and_unknown_files_get_a_note_and_the_text_is_answered(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    locked = make_pdf(["the secret plan"], password="hunter2")
    edit_locked = make_pdf(["anyone may read this"], password="owner-secret", owner_only=True)
    big = _shared(fake_slack, "dump.log", b"x" * 100, "text/plain")
    big["size"] = 3 * 1024 * 1024  # Slack says how large it is: too large to fetch at all
    files = [
        _shared(fake_slack, "secret.pdf", locked, "application/pdf"),
        _shared(fake_slack, "open.pdf", edit_locked, "application/pdf"),
        big,
        _shared(fake_slack, "tool.exe", b"MZ\x90\x00", "application/x-msdownload"),
        _shared(fake_slack, "broken.docx", b"not a zip at all", DOCX),
        _shared(fake_slack, "blob.txt", b"\x00\x01\x02binary", "text/plain"),
    ]
    fake_openai.script_chat(Reply("I read what I could."))
    root = await _answered_once(make_settings, fake_slack, {"MAX_FILE_MB": "2"}, *files)
    newest = _newest(fake_openai)
    assert "anyone may read this" in newest and "the secret plan" not in newest
    assert "[I couldn't read secret.pdf: it is password-protected.]" in newest
    [answer, note] = fake_slack.thread("C0001", root)
    text = note.visible_text()
    assert "I couldn't read secret.pdf: it is password-protected." in text
    assert "dump.log is 3.0 MB, more than the 2 MB I read, so I skipped it." in text
    assert "I can't read tool.exe: I read text, Markdown, CSV, JSON, source code" in text
    assert "I couldn't read broken.docx: it doesn't look like a valid Word (.docx)" in text
    assert "I couldn't read blob.txt: it doesn't look like a text file." in text
    assert "open.pdf" not in text
    assert big["id"] not in fake_slack.downloads and files[3]["id"] not in fake_slack.downloads
    assert answer.visible_text().startswith("I read what I could.")


async def test_a_file_on_another_host_is_never_fetched_with_the_token(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    foreign = f"{fake_openai.base_url.removesuffix('/v1')}/files/notes.txt"
    fake_openai.script_chat(Reply("Without it."))
    file = {"id": "F0FOREIGN", "name": "notes.txt", "mimetype": "text/plain", "size": 10}
    root = await _mention_with(bot, fake_slack, "see notes", {**file, "url_private": foreign})
    assert not any(r.path.startswith("/files/") for r in fake_openai.requests)
    [_answer, note] = fake_slack.thread("C0001", root)
    assert "I couldn't open notes.txt from Slack" in note.visible_text()


async def test_a_retried_answer_takes_its_files_from_the_store_not_from_slack(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    notes = _shared(fake_slack, "notes.md", b"# Plan\nShip on Friday.", "text/markdown")
    fake_openai.script_chat(Reply("Friday."), Reply("Friday."))
    bot = await start_bot(make_settings(INBOX_LEASE_SECONDS="2"))
    try:
        with failing(bot.server.services.engine.sync_engine, storing_assistant_turn, 1) as failed:
            root = await _mention_with(bot, fake_slack, "when?", notes)
            await fake_slack.wait_for_calls("chat.stopStream", 2)  # the retry's answer
    finally:
        await bot.close()
    assert len(failed) == 1
    first, retried = (_newest(fake_openai, i) for i in (0, 1))
    assert first == retried and "# Plan\nShip on Friday." in retried
    assert fake_slack.downloads == [notes["id"]]
    assert fake_slack.thread("C0001", root)[-1].visible_text().startswith("Friday.")
