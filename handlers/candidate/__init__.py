"""The candidate's conversation: consent, then Mẫu 2-KNĐ question by question.

Each kind of conversation step is a screen class (:mod:`.core` explains the shape): field
questions (:mod:`.questions`), a table's columns and rows menu (:mod:`.tables`), relatives
(:mod:`.relatives`), optional items' gates (:mod:`.gates`), confirmations, the end summary,
explanations of warnings (:mod:`.dialogs`, :mod:`.submission`) and the consent
(:mod:`.consent`). Every typed text a screen might store is read first by the classifier
(:mod:`.intent`: only answers are stored); an answer that would erase others asks first
(:mod:`.erasing`); "như trên" / "giống mục (6)" copy an earlier answer (:mod:`.shortcuts`).
What comes next and the back/forward history are in :mod:`.navigation`;
the stored state in :mod:`.state`; commands and the buttons of every screen in
:mod:`.commands`; the flow itself in :mod:`.flow`. Nothing in this package names an item of
the form.
"""

from handlers.candidate.actions import PREFIX, jump_action
from handlers.candidate.core import EDITABLE, Conversation, Notice, Screen
from handlers.candidate.flow import CandidateFlow
from handlers.candidate.state import decode as read_conversation
from handlers.candidate.state import encode as stored_state
from handlers.candidate.state import invite_payload
from handlers.candidate.texts import COMMANDS

__all__ = [
    "COMMANDS",
    "EDITABLE",
    "PREFIX",
    "CandidateFlow",
    "Conversation",
    "Notice",
    "Screen",
    "invite_payload",
    "jump_action",
    "read_conversation",
    "stored_state",
]
