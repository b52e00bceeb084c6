package ivr

import (
	"context"
	"strings"
	"testing"
	"time"

	"supportline/store"
	"supportline/store/storetest"
)

// durabilityTriggers make PostgreSQL refuse to commit, in this test's
// schema, any change that must survive a database crash when it is about
// to commit without waiting for the disk: a ticket (opened, answered,
// given its voicemail, resolved), a ticket event other than a whisper (the
// whispers of engineers who did not accept are menu moves), an SMS in the
// outbox, and a PIN counter (a failure, a lock). The triggers are
// deferred constraint triggers, so they run at COMMIT and see the
// synchronous_commit the commit uses, wherever in the transaction it was
// set. Every commit of the calls table is logged with its setting, so the
// test also sees that menu moves really are lax.
var durabilityTriggers = []string{
	`CREATE FUNCTION must_be_durable() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		IF current_setting('synchronous_commit') <> 'on' THEN
			RAISE EXCEPTION 'durability: % of % would commit with synchronous_commit %',
				TG_OP, TG_TABLE_NAME, current_setting('synchronous_commit');
		END IF;
		RETURN NULL;
	END $$`,
	`CREATE CONSTRAINT TRIGGER tickets_durable AFTER INSERT OR UPDATE ON tickets
		DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION must_be_durable()`,
	`CREATE CONSTRAINT TRIGGER ticket_events_durable AFTER INSERT OR UPDATE ON ticket_events
		DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.kind <> 'whisper') EXECUTE FUNCTION must_be_durable()`,
	`CREATE CONSTRAINT TRIGGER outbox_durable AFTER INSERT OR UPDATE ON outbox
		DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION must_be_durable()`,
	`CREATE CONSTRAINT TRIGGER pin_failures_durable AFTER INSERT ON pin_failures
		DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION must_be_durable()`,
	`CREATE CONSTRAINT TRIGGER pin_credentials_durable AFTER UPDATE ON pin_credentials
		DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
		WHEN (OLD.failures IS DISTINCT FROM NEW.failures OR OLD.lockouts IS DISTINCT FROM NEW.lockouts
			OR OLD.locked_until IS DISTINCT FROM NEW.locked_until)
		EXECUTE FUNCTION must_be_durable()`,
	`CREATE CONSTRAINT TRIGGER pin_entries_counted AFTER INSERT ON pin_entries
		DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.failures > 0 OR NEW.locked_until IS NOT NULL)
		EXECUTE FUNCTION must_be_durable()`,
	`CREATE CONSTRAINT TRIGGER pin_entries_durable AFTER UPDATE ON pin_entries
		DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
		WHEN (OLD.failures IS DISTINCT FROM NEW.failures OR OLD.lockouts IS DISTINCT FROM NEW.lockouts
			OR OLD.locked_until IS DISTINCT FROM NEW.locked_until)
		EXECUTE FUNCTION must_be_durable()`,

	`CREATE TABLE commit_log (tbl TEXT NOT NULL, setting TEXT NOT NULL)`,
	`CREATE FUNCTION log_commit() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		INSERT INTO commit_log VALUES (TG_TABLE_NAME, current_setting('synchronous_commit'));
		RETURN NULL;
	END $$`,
	`CREATE CONSTRAINT TRIGGER calls_logged AFTER INSERT OR UPDATE ON calls
		DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION log_commit()`,
}

// TestDurableWrites drives calls that open a ticket and connect an engineer
// (the first response), leave a voicemail that texts the engineer on call,
// and key wrong PINs for a known and an unknown support ID, on PostgreSQL
// with durabilityTriggers installed: any of those writes committing
// without waiting for the disk fails its webhook, and so the call. A
// direct lax write to a ticket shows that the triggers can fail.
func TestDurableWrites(t *testing.T) {
	db := storetest.Open(t, store.Postgres)
	ctx := context.Background()
	for _, q := range durabilityTriggers {
		if _, err := db.SQL().ExecContext(ctx, q); err != nil {
			t.Fatalf("install the durability triggers: %v\n%s", err, q)
		}
	}
	h := newHarness(t, db)
	bad := wrongPIN(h.pin)
	h.secret(bad)

	accepted := h.call(premiumPhone, bad+"#", h.pin+"#", "1", "1")
	accepted.EngineerKeys[alicePhone] = "1"
	res := h.run(accepted)
	if tk := h.ticketOf(res.CallSid); tk.Responder != "alice" || tk.RespondedAt == nil {
		t.Errorf("accepted call: ticket responder %q at %v, want alice", tk.Responder, tk.RespondedAt)
	}
	if st := h.pinStatus(h.contact.SupportID); st.Failures != 0 {
		t.Errorf("after the right PIN: %d failures, want the count reset", st.Failures)
	}

	h.clock.Advance(time.Minute)
	res = h.run(h.severity1("The database cluster is down#", map[string]string{alicePhone: "2", carolPhone: ""}))
	if tk := h.ticketOf(res.CallSid); tk.RecordingURL == "" {
		t.Errorf("voicemail call: ticket has no recording\n%s", res)
	}
	if sms := h.outbox(); len(sms) != 1 {
		t.Errorf("outbox %+v, want the voicemail's SMS", sms)
	}

	h.clock.Advance(time.Minute)
	h.run(h.call(premiumPhone, bad+"#"))
	if st := h.pinStatus(h.contact.SupportID); st.Failures != 1 {
		t.Errorf("after a wrong PIN: %d failures, want 1", st.Failures)
	}
	unknown := "99999999"
	if h.contact.SupportID == unknown || h.stdContact.SupportID == unknown {
		unknown = "88888888"
	}
	h.run(h.call(strangerPhone, unknown+"#", bad+"#"))
	if n := h.count("pin_entries", "failures = 1"); n != 1 {
		t.Errorf("%d unmatched entries with a failure, want 1", n)
	}

	var lax, durable int
	if err := db.Statements(ctx, func(q *store.Q) error {
		return q.Get(ctx, &lax, `SELECT count(*) FROM commit_log WHERE setting = 'off'`)
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Statements(ctx, func(q *store.Q) error {
		return q.Get(ctx, &durable, `SELECT count(*) FROM commit_log WHERE setting = 'on'`)
	}); err != nil {
		t.Fatal(err)
	}
	if lax == 0 || durable == 0 {
		t.Errorf("call rows committed %d times lax and %d durably; want menu moves lax, tickets and PIN claims durable", lax, durable)
	}

	err := db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE tickets SET responder = responder`)
		return err
	}, store.Lax)
	if err == nil || !strings.Contains(err.Error(), "durability: UPDATE of tickets") {
		t.Fatalf("a lax write to a ticket committed (%v): the triggers prove nothing", err)
	}
}
