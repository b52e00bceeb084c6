-- +goose Up
-- What a caller keys at the support-ID prompt may be their PIN (both have
-- eight digits). A call keeps it only once it has matched a contact (then
-- it is that contact's support ID, in support_id); otherwise it keeps the
-- entry's keyed hash (pins.Claim), which the PIN step's lockout of unknown
-- entries is counted under and which holds no digit.
ALTER TABLE calls ADD COLUMN entry_key TEXT NOT NULL DEFAULT '';

-- Earlier versions stored every entry in full and audited its first four
-- digits: forget those that matched no contact.
UPDATE calls SET support_id = ''
    WHERE support_id <> '' AND support_id NOT IN (SELECT support_id FROM contacts);
UPDATE audit_events SET subject = 'unmatched entry (forgotten)'
    WHERE action = 'pin.verify' AND contact_id IS NULL AND subject <> '';

-- +goose Down
ALTER TABLE calls DROP COLUMN entry_key;
