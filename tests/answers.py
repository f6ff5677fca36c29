"""Hand-built model answers for the seed article, used by the pipeline tests."""

from __future__ import annotations

import copy
from typing import Any

SEED_ANSWER: dict[str, Any] = {
    "summary": "NATO's Stoltenberg rejects shooting down Russian missiles over Ukraine; Poland is considering it.",
    "actors": [
        {"name": "NATO", "type": "organization", "affiliation": None},
        {"name": "Jens Stoltenberg", "type": "person", "affiliation": "NATO"},
        {"name": "Ukraine", "type": "state", "affiliation": None},
        {"name": "Poland", "type": "state", "affiliation": None},
    ],
    "positions": [
        {
            "actor": "Jens Stoltenberg",
            "topic": "NATO shooting down Russian missiles",
            "stance": "oppose",
            "statement": "NATO will not be directly involved in the conflict.",
            "evidence": ["we will not participate in this conflict"],
        },
        {
            "actor": "Poland",
            "topic": "intercepting Russian missiles over Ukraine",
            "stance": "considering",
            "statement": "Warsaw is contemplating shooting down Russian missiles over Ukraine.",
            "evidence": ["Warsaw was contemplating the possibility of shooting down Russian missiles over Ukraine"],
        },
    ],
    "proposals": [],
    "risks": [],
    "support_commitments": [
        {
            "provider": "NATO",
            "recipient": "Ukraine",
            "support_type": "military",
            "description": "Substantial military assistance including air defence.",
            "status": "ongoing",
            "conditions": ["no direct NATO involvement"],
            "evidence": ["NATO would continue to provide substantial military assistance to Kyiv"],
        }
    ],
}


def seed_answer(**changes: Any) -> dict[str, Any]:
    answer = copy.deepcopy(SEED_ANSWER)
    answer.update(changes)
    return answer


def with_quote(category: str, index: int, quote: str) -> dict[str, Any]:
    answer = seed_answer()
    answer[category][index]["evidence"] = [quote]
    return answer
