-- +goose Up
-- An event that a replayed webhook may report twice (an engineer's leg at a
-- dial step: declined, not answered, ...) is recorded once per ticket and
-- key. The key names what happened in our terms (tickets.WhisperKey:
-- 'whisper:step2'), never the words shown to people, so rewording a message
-- cannot break the de-duplication. Events that need none have no key.
ALTER TABLE ticket_events ADD COLUMN dedup_key TEXT;
CREATE UNIQUE INDEX ticket_events_key ON ticket_events (ticket_id, dedup_key) WHERE dedup_key IS NOT NULL;

-- Earlier versions de-duplicated by the detail text, which ends in
-- "(step N)" for a leg's outcome: the first such event of each ticket and
-- step gets the key a replay of it would now carry. (No regular
-- expressions in SQLite: the step is what follows "(step ", which no
-- handle or status word contains.)
UPDATE ticket_events SET dedup_key = 'whisper:step' || rtrim(substr(detail, instr(detail, '(step ') + 6), ')')
WHERE kind = 'whisper' AND detail LIKE '%(step %)' AND instr(detail, '(step ') > 0
    AND id = (SELECT min(o.id) FROM ticket_events o
        WHERE o.ticket_id = ticket_events.ticket_id AND o.kind = 'whisper' AND o.detail LIKE '%(step %)'
            AND rtrim(substr(o.detail, instr(o.detail, '(step ') + 6), ')')
                = rtrim(substr(ticket_events.detail, instr(ticket_events.detail, '(step ') + 6), ')'));

-- +goose Down
DROP INDEX ticket_events_key;
ALTER TABLE ticket_events DROP COLUMN dedup_key;
