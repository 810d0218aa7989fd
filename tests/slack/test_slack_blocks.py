"""Rendering is pure: a BriefResult dict (the --json contract) in, Block Kit out, within Slack's
limits and with customer text unable to ping anyone."""

from __future__ import annotations

import json

from slack_sdk.models.blocks import Block
from slack_testkit import all_text, buttons

from bot import blocks, picker, views


def brief(**over):
    base = {
        "question": "what is going on with Globex?",
        "customer": {"customer_id": "globex-1", "name": "Globex Industries"},
        "candidates": [],
        "answer": "Globex has an open billing complaint [complaint:c-g1].",
        "sections": [
            {"title": "Profile", "items": [{"text": "ARR: $90,000", "citations": ["customer:globex-1"]},
                                           {"text": "Emails: ops@globex.example", "citations": ["customer:globex-1"]}]},
            {"title": "Open complaints", "items": [{"text": "Double charge (21 days)", "citations": ["complaint:c-g1"]}]},
        ],
        "next_actions": [{"text": "Refund invoice 4471", "reason": "open billing complaint", "citations": ["complaint:c-g1"]}],
        "citations": [{"record_id": "complaint:c-g1", "kind": "complaint", "customer_id": "globex-1", "occurred_at": None, "snippet": "Double charge",
                       "label": "Complaint c-g1, billing, opened 1 Sep", "url": None}],
        "logged_moment_id": "x-1",
    }  # fmt: skip
    base.update(over)
    return base


def test_customer_text_is_escaped_so_it_cannot_ping_anyone():
    hostile = brief(
        sections=[
            {
                "title": "Open complaints",
                "items": [
                    {
                        "text": "<!channel> <!here> <@U0BOB00002> & <https://evil.example|click>",
                        "citations": ["complaint:c-g2"],
                    }
                ],
            }
        ]
    )
    text = all_text(blocks.brief_messages(hostile)[0]["blocks"])
    assert "<!channel>" not in text and "<!here>" not in text and "<@U0BOB00002>" not in text
    assert (
        "&lt;!channel&gt; &lt;!here&gt; &lt;@U0BOB00002&gt; &amp; &lt;https://evil.example|click&gt;"
        in text
    )


def test_a_brief_is_one_message_with_feedback_buttons_and_cited_lines():
    messages = blocks.brief_messages(brief())
    assert len(messages) == 1
    text = all_text(messages[0]["blocks"])
    # lines name their sources in words; the raw ids are listed once, in the Sources line
    assert "Double charge (21 days) _(Complaint c-g1, billing, opened 1 Sep)_" in text
    assert "_why: open billing complaint_" in text
    assert "Sources: `complaint:c-g1`" in text
    values = [json.loads(b["value"]) for b in buttons(messages[0]["blocks"])]
    assert [v["v"] for v in values] == ["helpful", "not_helpful", "wrong_customer"]
    assert all(v["m"] == "x-1" for v in values)


def test_share_button_closes_the_private_brief():
    messages = blocks.brief_messages(brief(), share={"c": "globex-1", "q": "q"})
    share = [b for b in buttons(messages[-1]["blocks"]) if b["action_id"] == blocks.ACTION_SHARE]
    assert share and json.loads(share[0]["value"])["c"] == "globex-1"


def test_a_long_brief_is_split_within_block_kit_limits_and_nothing_is_lost():
    items = [
        {"text": f"moment number {n} " + "word " * 60, "citations": [f"moment:m{n}"]}
        for n in range(400)
    ]
    sections = [{"title": f"Section {s}", "items": items[s * 40 : (s + 1) * 40]} for s in range(10)]
    messages = blocks.brief_messages(brief(sections=sections))
    assert len(messages) > 1
    for message in messages:
        assert len(message["blocks"]) <= blocks.MAX_BLOCKS_PER_MESSAGE
        for block in message["blocks"]:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= blocks.MAX_SECTION_TEXT
            Block.parse(block)  # slack_sdk accepts it
    text = "\n".join(all_text(m["blocks"]) for m in messages)
    assert all(f"_(moment:m{n})_" in text for n in range(400))  # no label known: the id
    assert buttons(messages[-1]["blocks"]) and not any(buttons(m["blocks"]) for m in messages[:-1])


def test_an_answer_without_sections_is_shown_split_within_limits():
    messages = blocks.brief_messages(brief(sections=[], answer="word " * 3000))
    sections = [b for b in messages[0]["blocks"] if b["type"] == "section"]
    assert len(sections) >= 5 and all(
        len(b["text"]["text"]) <= blocks.MAX_SECTION_TEXT for b in sections
    )


def test_split_text_never_exceeds_the_limit_even_without_spaces():
    pieces = blocks.split_text("a" * 7000 + "\n" + "b " * 2000, limit=3000)
    assert all(len(p) <= 3000 for p in pieces) and "".join(pieces).count("a") == 7000


def test_masking_hides_arr_emails_and_phones_in_the_channel_view():
    masked = blocks.mask_brief(
        brief(answer="Call +1 (555) 123-4567 or ops@globex.example; ARR is $90k"),
        ["arr", "emails", "phone"],
    )
    text = json.dumps(masked)
    assert (
        "90,000" not in text
        and "$90k" not in text
        and "ops@globex.example" not in text
        and "555" not in text
    )
    assert (
        masked["sections"][1]["items"][0]["text"] == "Double charge (21 days)"
    )  # untouched facts stay


def test_ambiguous_gives_a_button_per_candidate_and_unknown_says_so():
    ambiguous = brief(customer=None, candidates=[{"customer_id": "acme-1", "name": "Acme Corp", "score": 0.9},
                                                  {"customer_id": "acme-2", "name": "Acme Corporation Ltd", "score": 0.88}])  # fmt: skip
    message = picker.candidates_message(ambiguous, context={"k": "ask", "q": "acme?"})
    picks = [json.loads(b["value"]) for b in buttons(message["blocks"])]
    assert [p["c"] for p in picks] == ["acme-1", "acme-2"] and all(p["q"] == "acme?" for p in picks)
    unknown = picker.candidates_message(brief(customer=None, question="zzz <!here>"), context={})
    assert "couldn't find a customer" in unknown["text"] and "<!here>" not in unknown["text"]


def test_button_values_stay_within_slacks_2000_characters():
    ambiguous = brief(customer=None, candidates=[{"customer_id": "a", "name": "A", "score": 1.0}])
    message = picker.candidates_message(ambiguous, context={"k": "ask", "q": "why " * 2000})
    assert all(len(b["value"]) <= 2000 for b in buttons(message["blocks"]))


def test_the_moment_modal_prefills_the_text_and_suggests_a_customer():
    view = views.moment_modal(
        "Globex asked for a refund",
        private_metadata="{}",
        initial=("globex-1", "Globex Industries"),
    )
    assert view["type"] == "modal" and view["callback_id"] == blocks.MODAL_LOG_MOMENT
    select = view["blocks"][0]["element"]
    assert select["type"] == "external_select" and select["initial_option"]["value"] == "globex-1"
    assert view["blocks"][1]["element"]["initial_value"] == "Globex asked for a refund"


def test_home_explains_an_empty_state_when_ownership_is_not_set_up():
    view = views.home_view(
        owned=None,
        waiting=None,
        recent=[{"customer": "Globex", "text": "what <!here>?", "when": "2026-11-01"}],
    )
    text = all_text(view["blocks"])
    assert (
        "Ownership alerts are not set up" in text
        and "&lt;!here&gt;" in text
        and view["type"] == "home"
    )


def test_the_short_answer_links_each_line_to_its_source_and_lists_the_raw_ids():
    lead = [
        {"text": "At risk, today: \u201cthey may leave\u201d", "citations": ["moment:m1"]},
        {"text": "2 open complaints", "citations": ["complaint:c-g1", "complaint:c-g2"]},
    ]
    cites = [
        {"record_id": "moment:m1", "label": "Email from <!here> Ann, 25 Nov",
         "url": "https://mail.example/m?a=1&b=2"},
        {"record_id": "complaint:c-g1", "label": "Complaint c-g1, billing, opened 3 Feb", "url": None},
        {"record_id": "complaint:c-g2", "label": "Complaint c-g2", "url": "javascript:alert(1)"},
    ]  # fmt: skip
    [message] = blocks.lead_messages(
        brief(lead=lead, citations=cites), full={"c": "globex-1", "q": "q"}
    )
    text = all_text(message["blocks"])
    assert (
        "• At risk, today: \u201cthey may leave\u201d "
        "_(<https://mail.example/m?a=1&amp;b=2|Email from &lt;!here&gt; Ann, 25 Nov>)_"
    ) in text
    assert "• 2 open complaints _(Complaint c-g1, billing, opened 3 Feb, +1 more)_" in text
    assert "javascript" not in text  # not a web address: the label alone
    assert "Sources: `moment:m1` `complaint:c-g1` `complaint:c-g2`" in text
    assert "*Profile*" not in text
    labels = [b["text"]["text"] for b in buttons(message["blocks"])]
    assert labels == ["Full brief", "Helpful", "Not helpful", "Wrong customer"]


def test_a_home_row_is_cut_at_a_word_and_never_inside_a_citation():
    text = "Angry call about the outage " + "word " * 30 + "[moment:m-angry-123456]"
    line = blocks.whole_line(text, 170)
    assert line.endswith("…") and "[" not in line and len(line) <= 171
    assert blocks.whole_line("short [moment:m1]", 200) == "short [moment:m1]"
