"""The review: cards in the reviewers' group chats, comments anchored to items, return,
approval level by level, the final document, reopening.

How a review runs
-----------------
* The candidate's /nop calls :meth:`ReviewFlow.on_submitted`: the dossier is put at the level
  that reviews it now (:meth:`storage.reviews.Reviews.start_review`) and a *card* goes to that
  unit's group chat: number, name, unit, status, completeness, counts of errors, warnings and
  comments, who wrote which comment — never content (no flag's text, explanation, comment or
  change); buttons Xem / Nhận xét / Trả lại / Duyệt.
* Only holders of the unit's reviewer role act on the card, whoever else sits in the group
  (:mod:`handlers.access`). "Xem" sends the draft .docx and a text summary with the flags,
  explanations, comments and changes to the reviewer's PRIVATE chat, through the access gate
  (recorded as a view, protected from forwarding); the group only learns that it was sent.
* Comments — typed in the group in reply to the card or an item prompt, or with /nhanxet —
  are stored as drafts and acknowledged without repeating them, until "Trả lại", which sends
  them all to the candidate at once, each with a button that opens its item in the
  candidate's conversation. "Duyệt" is refused while drafts are unsent (they would ride up to
  the next level).
* A decision names the revision on the card; the storage refuses a decision on an older
  revision and lets one decision win when two reviewers tap at once.
* /hoso lists the dossiers waiting for the actor's units with a button each that posts the
  card again where it was tapped (a card far up a busy group, or one never posted because
  nobody could receive it; the unit's secretaries are told when that happens). A card in a
  chat that may no longer follow the review (a revoked reviewer's private chat, a group
  bound to another unit) is withdrawn instead of edited.
* The last level's approval locks the dossier and sends the final .docx (no draft mark)
  privately to the candidate; the deciding unit's secretaries are told privately and get the
  .docx on request ("Bản chính thức"). No document is posted in a group. Reopening is an
  explicit, recorded action, refused once the admission decision is recorded.

Everything the flow writes happens in the router's transaction for the event; the replies go
out after the commit. Every view, comment, decision and reopening is appended to audit_log.

Where things are: ``flow`` (routes, dispatch tables, the submission hook), ``actions`` (the
typed button codecs, ≤ 64 bytes), ``acting`` (who acts for which unit), ``cards`` (posting,
refreshing, closing and withdrawing cards), ``comments``, ``decisions`` (return, approve,
reopen), ``viewing`` ("Xem", /hoso), ``facts`` and ``changes`` (what reviewers are shown of
a dossier, and what changed since a revision), ``context`` (the set-up and the event being
handled). The lifecycle's rules are :mod:`admission.lifecycle`'s.
"""

from __future__ import annotations

from handlers.review.changes import Changes, changes_since
from handlers.review.facts import completeness, summarize
from handlers.review.flow import ReviewFlow

__all__ = ["Changes", "ReviewFlow", "changes_since", "completeness", "summarize"]
