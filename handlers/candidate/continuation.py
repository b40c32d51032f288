"""A long answer sent in several messages: on a phone, «Tự nhận xét» or a parent's political
history often goes out as two or three bubbles ("Ưu điểm: …", then "Khuyết điểm: …"). The
first is stored and the next question asked, so the second lands on a question it does not
answer (the pledge refused it). When the text is no answer to the question asked but would
answer the long-text question just answered, the chat goes back to that question and offers
the two parts joined, stored only once taken (the same offer as "như trên": `questions.py`);
declined, the earlier answer stays and the chat goes on where it was. Reached through
:meth:`.navigation.Navigator.continue_long_answer` (this module reads the history)."""

from __future__ import annotations

from forms.model import Kind
from handlers.candidate.core import Turn
from handlers.candidate.intent import read
from handlers.candidate.questions import Question
from handlers.candidate.state import screen_at
from handlers.candidate.texts import joined

#: Only these are joined: a short answer (a date, a name) is never the first part of a text.
_LONG = frozenset({Kind.LONG_TEXT})
#: A reply this short ("có ạ", "tôi cam đoan") is an attempt at the question asked.
_FEWEST_WORDS = 4


def offer_continuation(turn: Turn, text: str) -> bool:
    """Whether ``text`` (no answer to the question asked) was taken as the next part of the
    long answer stored just before, and that question asked again with the parts joined."""
    conv = turn.conversation
    if not conv.back or len(text.split()) < _FEWEST_WORDS:
        return False
    previous = screen_at(conv.back[-1])
    if not isinstance(previous, Question) or previous.suggestion:
        return False
    fdef = previous.field_def(turn)
    stored = str(previous.values(turn).get(fdef.id, "") or "").strip()
    if fdef.kind not in _LONG or not stored or not read(text, fdef).is_answer:
        return False
    here = conv.screen
    conv.back = conv.back[:-1]
    conv.forward = [*conv.forward, here.address]  # asked again once this is settled
    offer = previous.settled(suggestion=joined(stored, text), reason="append")
    conv.screen = offer
    turn.nav.ask(offer)
    return True
