"""Optional LLM prose (C360_LLM): the model rewrites only the answer, from exactly the records
the brief would cite; each sentence must cite given records (``grounding``), or it is dropped.
Any failure falls back to the deterministic lines (the caller keeps them)."""

from __future__ import annotations

import logging
from typing import Any

from c360.brief.facts import Facts
from c360.brief.grounding import Citations, grounded_sentences, prose
from c360.brief.result import Item
from c360.domain import Customer, record_time
from prompts import answer_llm

log = logging.getLogger(__name__)


def message_text(message: Any) -> str:
    content = getattr(message, "content", message)
    if isinstance(content, list):  # content blocks
        return " ".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    return str(content)


def llm_items(
    chat_model, question: str | None, facts: Facts, evidence: list[Any], reg: Citations
) -> tuple[list[Item], list[str]]:
    """(items, dropped sentences): the model's sentences that cite only the given records."""
    from langchain_core.messages import HumanMessage, SystemMessage

    cust: Customer = facts.customer
    # The answer's evidence first, then what the brief shows anyway (latest moments, open
    # complaints), so the prose can connect them; nothing outside this customer.
    given = [cust, *evidence, *facts.recent[:3], *facts.open_complaints[:3]]
    records, allowed = [], set()
    for rec in given:
        rid = reg.add(rec)
        if rid is None or rid in allowed:
            continue
        allowed.add(rid)
        text = rec.text() if isinstance(rec, Customer) else rec.text
        records.append((rid, rec.kind, record_time(rec), text))
    messages = [
        SystemMessage(content=answer_llm.SYSTEM_PROMPT),
        HumanMessage(
            content=answer_llm.evidence_message(cust.name, cust.record_id, question, records)
        ),
    ]
    try:
        reply = chat_model.invoke(messages)
    except Exception as exc:  # the deterministic answer is always there to fall back on
        log.warning("chat model failed (%s); using the deterministic answer", exc)
        return [], []
    kept, dropped = grounded_sentences(message_text(reply), allowed)
    if dropped:
        log.info("grounding check dropped %d sentence(s)", len(dropped))
    # The ids move to the item's citations; the text keeps the prose only.
    return [Item(prose(sentence), ids) for sentence, ids in kept], dropped
