"""Hand-written tricky English cases for the service markers (known answers)."""

from __future__ import annotations

import pytest

from omotenashi_research.markers import get_matcher

CASES = [
    # (text, marker, expected count)
    ("I'm sorry to hear that.", "empathy", 1),
    ("I'm sorry to hear that.", "apology", 0),
    ("I'm so sorry you had to wait that long.", "empathy", 1),
    ("I'm so sorry you had to wait that long.", "apology", 0),
    ("Sorry, could you repeat that?", "apology", 0),
    ("Sorry? What was that?", "apology", 0),
    ("Sorry for the delay, and sorry again about the noise.", "apology", 2),
    ("No need to apologize!", "apology", 0),
    ("Thank you for waiting.", "gratitude", 1),
    ("Thanks to the storm, all trains are late.", "gratitude", 0),
    ("Thank you so much, thanks a lot!", "gratitude", 2),
    ("OK.", "empathy", 0),
    ("Okay, I see.", "empathy", 0),
    ("I completely understand your frustration.", "empathy", 1),
    ("You're welcome!", "greeting", 0),
    ("Welcome to the Grand Hotel!", "greeting", 1),
    ("Take care!", "closing", 1),
    ("I'll take care of it.", "closing", 0),
    ("I'll take care of it.", "ownership", 1),
    ("Let me check that for you.", "knowledge_gap", 1),
    ("Let me check that for you.", "ownership", 0),
    ("I'll make sure the room is ready.", "ownership", 1),
    ("Please make sure you bring your passport.", "ownership", 0),
    ("You'll have to contact the airline.", "deflection", 1),
    ("I'll contact the airline for you.", "deflection", 0),
    ("There's nothing I can do.", "deflection", 1),
    ("Is there anything I can do for you?", "deflection", 0),
    ("That's not our department.", "deflection", 1),
    ("It's not our fault.", "ownership", 0),
    ("Is there anything else I can help you with today?", "closing_offer", 1),
    ("No, I don't need anything else, thanks.", "closing_offer", 0),
    ("What kind of room would you like?", "hedge", 0),
    ("What kind of room would you like?", "anticipation_cue", 1),
    ("That's very kind of you.", "hedge", 0),
    ("Certainly, sir.", "deference", 2),
    ("May I have your name?", "deference", 1),
    ("Good morning, Mr. Tanaka.", "personalization_cue", 1),
    ("I miss the old menu.", "personalization_cue", 0),
    # politeness ports: sentence position matters
    ("Please wait. Could you please wait?", "pol_convokit_please_start", 1),
    ("Please wait. Could you please wait?", "pol_convokit_please", 1),
    ("I agree. So I will go. I am sure.", "pol_convokit_1st_person_start", 2),
    ("Where is it? Is it open? Ok.", "pol_r_wh_questions", 1),
    ("Where is it? Is it open? Ok.", "pol_r_yesno_questions", 1),
    ("I don't know, I can't and won't.", "pol_r_negation", 3),
]


@pytest.mark.parametrize(("text", "marker", "expected"), CASES, ids=[f"{m}:{t}" for t, m, _ in CASES])
def test_tricky_case(text, marker, expected):
    got = get_matcher("en").count(text)[marker]
    assert got == expected, [s for s in get_matcher("en").spans(text) if s.marker == marker]
