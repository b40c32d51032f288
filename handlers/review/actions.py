"""The review's buttons: one typed codec per kind (the wire formats are kept: messages already
sent carry them). ``rv:x:<dossier>:<rev>`` view, ``rv:n:<dossier>`` pick an item,
``rv:i:<dossier>:<item>`` comment on an item, ``rv:t:<dossier>:<rev>`` return,
``rv:a:<dossier>:<rev>`` approve, ``rv:ok:<comment>`` / ``rv:ko:<comment>`` resolve / keep
open, ``rv:del:<comment>`` delete one's draft, ``rv:o:<dossier>`` reopen, ``rv:c:<dossier>``
post the card here again (/hoso), ``rv:f:<dossier>`` the final .docx, privately, for a
secretary of the deciding unit."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.routing import ActionCodec


@dataclass(frozen=True, slots=True)
class DossierRef:
    dossier: int


@dataclass(frozen=True, slots=True)
class CardRef:
    """A card's dossier and the revision it shows."""

    dossier: int
    revision: int


@dataclass(frozen=True, slots=True)
class ItemRef:
    dossier: int
    item: int


@dataclass(frozen=True, slots=True)
class CommentRef:
    comment: int


VIEW = ActionCodec("rv", "x", CardRef, heavy=True)  # renders the draft .docx
PICK_ITEM = ActionCodec("rv", "n", DossierRef)
COMMENT_ITEM = ActionCodec("rv", "i", ItemRef)
RETURN = ActionCodec("rv", "t", CardRef)
APPROVE = ActionCodec("rv", "a", CardRef, heavy=True)  # the last level renders the final .docx
RESOLVE = ActionCodec("rv", "ok", CommentRef)
KEEP_OPEN = ActionCodec("rv", "ko", CommentRef)
DELETE_DRAFT = ActionCodec("rv", "del", CommentRef)
REOPEN = ActionCodec("rv", "o", DossierRef)
SHOW_CARD = ActionCodec("rv", "c", DossierRef)
FINAL_DOCX = ActionCodec("rv", "f", DossierRef, heavy=True)  # renders the final .docx
