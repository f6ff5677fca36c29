from openai_server import Answer, OpenAIServer

from summarizer import summarize
from summarizer.config import Settings


def seed_answer() -> dict:
    return {
        "summary": "NATO rejects shooting down Russian missiles over Ukraine.",
        "actors": [{"name": "NATO", "type": "organization", "affiliation": None}],
        "positions": [
            {"actor": "NATO", "topic": "direct involvement", "stance": "oppose",
             "statement": "NATO will not participate.", "evidence": ["we will not participate in this conflict"]}
        ],
        "proposals": [], "risks": [], "support_commitments": [],
    }


def test_happy(server: OpenAIServer, settings: Settings, seed_text: str) -> None:
    server.enqueue(Answer(seed_answer()))
    s = summarize(seed_text, settings=settings)
    assert s.positions[0].evidence[0].match == "exact"
    assert s.metadata.attempts == 1
