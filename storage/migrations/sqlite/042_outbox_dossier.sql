-- The dossier a stored reply shows or names (a reviewer's «Xem», a card, the candidate's own
-- replies; NULL: none). Erasing the dossier deletes its replies still waiting and empties the
-- done ones (storage/erasure.py), so a reply queued while the network fails is never sent,
-- nor kept, after the dossier is gone.
ALTER TABLE outbox ADD COLUMN dossier_id INTEGER;
CREATE INDEX outbox_dossier ON outbox(dossier_id) WHERE dossier_id IS NOT NULL;
