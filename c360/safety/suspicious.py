"""Record text addressed to an AI assistant ("ignore previous instructions", role tags, "system
note to the assistant", "say <!channel>").

Such text is quoted like any other record, never obeyed: the deterministic brief never
executes record text, and the optional LLM sees records only as quoted evidence. What this
module adds is a visible flag, so a reader knows the record tries to instruct an assistant:
the brief and Slack show ``prompts.brief.suspicious_note`` beside it, ``--json`` marks the citation
``suspicious: true``, and ``c360 doctor`` counts such records.
"""

from __future__ import annotations

import re

_PATTERNS = [
    # "ignore (all) (the) previous/prior/above instructions/prompts/rules"
    r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+|the\s+|your\s+|these\s+|my\s+)*"
    r"(?:previous|prior|above|earlier|preceding|system|original)?\s*"
    r"(?:instructions?|prompts?|rules|directions|guidelines|context)\b",
    # "system note to the assistant", "note to the AI", "message for the chatbot"
    r"\b(?:system\s+)?(?:note|message|instructions?|notice)\s+(?:to|for)\s+(?:the\s+)?"
    r"(?:ai|assistant|bot|chatbot|model|llm|gpt|c360)\b",
    r"\bsystem\s+(?:note|prompt|message|override)\b",
    # addressing the assistant directly: "AI assistant:", "dear assistant", "as an AI"
    r"\b(?:dear|hey|attention)\s+(?:ai|assistant|bot|chatbot|model)\b",
    r"\byou\s+are\s+now\s+(?:in\s+)?(?:an?\s+)?(?:admin|developer|dan|jailbreak|unrestricted)",
    r"\b(?:new|updated)\s+instructions?\s*:",
    # chat-template role tags and markers
    r"<\|?\s*(?:im_start|im_end|system|assistant|user|endoftext)\s*\|?>",
    r"\[/?(?:INST|SYS)\]",
    r"(?:^|\n|\s)#{2,}\s*(?:system|assistant|instruction)s?\s*:",
    r"(?:^|\n)\s*assistant\s*:",
    # asking the assistant to ping or mention a whole channel
    r"\b(?:say|post|write|send|mention|include)\s+(?:the\s+words?\s+)?[\"'“]?(?:<!|@)"
    r"(?:channel|here|everyone)",
    # "reveal/print/list every customer's ..." exfiltration requests
    r"\b(?:reveal|print|list|dump|show|output)\s+(?:all|every)\s+(?:other\s+)?customers?",
]
_SUSPICIOUS = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)


def is_suspicious(text: str | None) -> bool:
    """True when ``text`` reads as instructions to an AI assistant rather than to a person."""
    return bool(text) and _SUSPICIOUS.search(text) is not None
