"""The wording of Slack's assistant surface (the AI app pane): the suggested prompts a person
sees when they open a thread with c360, and the greeting when there is nothing to suggest.

Why it is shaped so:
- Slack shows at most four prompts; each is a short title and the message it sends, as the
  person's own first question, the moment it is pressed. So every message is a whole question
  the brief service answers well ("What is going on with Acme Corp?" leads with the risk
  signals), never a fragment to complete.
- The customers named are the ones the person asked about last, then ones with moments
  waiting for an owner: the likeliest next question is about an account they were just
  looking at, or one that needs someone. Names are record text: the caller escapes them, so a
  pressed prompt can never ping anyone.
- With nobody to name (a first visit, or Slack could not vouch for the person) there are no
  prompts, and one sentence says how to ask instead of a made-up customer.
"""

from __future__ import annotations

from collections.abc import Sequence

TITLE = "Pick up where you left off"
MAX_PROMPTS = 4  # Slack's limit for assistant.threads.setSuggestedPrompts

GREETING = (
    "Ask me about a customer by name, id or domain: “what is going on with …?”, “any open "
    "complaints from …?”. Every answer cites the records it rests on."
)


def suggested_prompts(recent: Sequence[str], waiting: Sequence[str] = ()) -> list[dict[str, str]]:
    """Up to four ``{"title", "message"}`` prompts: the customers asked about last (newest
    first), then customers with a moment waiting for an owner. Names arrive escaped."""
    prompts: list[dict[str, str]] = []
    seen: set[str] = set()
    for name in recent:
        if name not in seen:
            seen.add(name)
            prompts.append(
                {"title": f"Catch up on {name}", "message": f"What is going on with {name}?"}
            )
    for name in waiting:
        if name not in seen:
            seen.add(name)
            prompts.append(
                {
                    "title": f"{name}: a moment needs an owner",
                    "message": f"What is going on with {name}?",
                }
            )
    return prompts[:MAX_PROMPTS]
