import json
from pathlib import Path

import pytest
from answers import seed_answer
from openai_server import Answer, OpenAIServer

from summarizer import summarize
from summarizer.config import Settings
from summarizer.errors import RecordingError
from summarizer.recording import diff_paths

SECRET = "sk-test-secret-123456"


def test_record_writes_one_readable_file_per_exchange_without_secrets(server: OpenAIServer, settings: Settings,
                                                                      seed_text: str, tmp_path: Path) -> None:  # fmt: skip
    server.enqueue(Answer(seed_answer()))
    summarize(seed_text, settings=settings, record=tmp_path)
    files = list(tmp_path.rglob("*.json"))
    assert len(files) == 1
    raw = files[0].read_text()
    data = json.loads(raw)
    assert set(data) == {"request", "response", "meta"}
    assert data["meta"]["provenance"] == "recorded"
    assert data["meta"]["model"] == "test-model"
    assert data["meta"]["prompt_version"] and data["meta"]["recorded_at"]
    assert data["request"]["path"].endswith("/chat/completions")
    assert data["response"]["status"] == 200
    assert SECRET not in raw and "authorization" not in raw.lower() and "headers" not in data["request"]


def test_replay_serves_the_recording_offline_through_the_full_pipeline(server, settings, seed_text, tmp_path) -> None:
    bad = "NATO refuses to shoot down any missiles at all"
    reask = seed_answer()
    reask["positions"][0]["evidence"] = [bad]
    server.enqueue(Answer(reask), Answer(seed_answer()))
    live = summarize(seed_text, settings=settings, record=tmp_path)
    offline = Settings(model="test-model", base_url="http://127.0.0.1:9/v1", api_key=None)
    replayed = summarize(seed_text, settings=offline, replay=tmp_path)
    assert replayed.metadata.attempts == live.metadata.attempts == 2
    assert replayed.model_dump(exclude={"metadata"}) == live.model_dump(exclude={"metadata"})
    assert len(server.requests) == 2  # replay sent nothing


def test_replay_miss_names_nearest_recording_and_what_differs(server, settings, seed_text, tmp_path) -> None:
    server.enqueue(Answer(seed_answer()))
    summarize(seed_text, settings=settings, record=tmp_path)
    with pytest.raises(RecordingError) as info:
        summarize(seed_text, settings=Settings(model="other-model", api_key=None), replay=tmp_path)
    message = str(info.value)
    assert "nearest is" in message and str(tmp_path) in message and "model" in message
    assert info.value.exit_code == 7


def test_stale_recording_reports_the_prompt_version_it_was_made_with(server, settings, seed_text, tmp_path) -> None:
    server.enqueue(Answer(seed_answer()))
    summarize(seed_text, settings=settings, record=tmp_path)
    path = next(tmp_path.rglob("*.json"))
    data = json.loads(path.read_text())
    data["request"]["body"]["messages"][0]["content"] += " (old wording)"
    data["meta"]["prompt_version"] = "0123456789ab"
    path.write_text(json.dumps(data))
    with pytest.raises(RecordingError) as info:
        summarize(seed_text, settings=Settings(model="test-model", api_key=None), replay=tmp_path)
    assert "messages[0].content" in str(info.value) and "0123456789ab" in str(info.value)


def test_missing_replay_directory_is_a_clear_error(seed_text, tmp_path) -> None:
    with pytest.raises(RecordingError, match="not found"):
        summarize(seed_text, settings=Settings(api_key=None), replay=tmp_path / "nope")


def test_diff_paths_lists_json_paths_that_differ() -> None:
    a = {"model": "a", "messages": [{"content": "x"}, {"content": "y"}], "tools": [1]}
    b = {"model": "b", "messages": [{"content": "x"}, {"content": "z"}]}
    assert diff_paths(a, b) == ["messages[1].content", "model", "tools only in recording"]
