package pins

import (
	"context"
	"strings"
	"testing"
	"time"

	"supportline/store"
	"supportline/store/storetest"
)

// TestRefusalsCommitLax: a wrong PIN's failure (the counter and the calling
// number's failure row) commits durably, and the audit row of a refusal
// (a locked contact, refused by precheck or by reserve) commits without
// waiting for the disk (refusals): on
// PostgreSQL a deferred trigger records the synchronous_commit each commit
// used. Both engines record the same rows.
func TestRefusalsCommitLax(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		pg := db.Engine() == store.Postgres
		if pg {
			for _, q := range []string{
				`CREATE TABLE commit_log (tbl TEXT NOT NULL, what TEXT NOT NULL, setting TEXT NOT NULL)`,
				`CREATE FUNCTION log_commit() RETURNS trigger LANGUAGE plpgsql AS $$
				BEGIN
					INSERT INTO commit_log VALUES (TG_TABLE_NAME, TG_ARGV[0], current_setting('synchronous_commit'));
					RETURN NULL;
				END $$`,
				`CREATE CONSTRAINT TRIGGER audit_logged AFTER INSERT ON audit_events DEFERRABLE INITIALLY DEFERRED
					FOR EACH ROW WHEN (NEW.action = 'pin.verify') EXECUTE FUNCTION log_commit('verify')`,
				`CREATE CONSTRAINT TRIGGER failures_logged AFTER INSERT ON pin_failures DEFERRABLE INITIALLY DEFERRED
					FOR EACH ROW EXECUTE FUNCTION log_commit('failure')`,
				`CREATE CONSTRAINT TRIGGER credentials_logged AFTER UPDATE ON pin_credentials DEFERRABLE INITIALLY DEFERRED
					FOR EACH ROW WHEN (OLD.failures IS DISTINCT FROM NEW.failures) EXECUTE FUNCTION log_commit('counter')`,
			} {
				if _, err := db.SQL().ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
		}
		f := newFixture(t, db, testPolicy())
		id, pin := f.contact("+15555550100")
		f.expect(id, wrongPIN(pin), "+15555550101", Wrong, 1, 0)
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE pin_credentials SET locked_until = ?
				WHERE contact_id = (SELECT id FROM contacts WHERE support_id = ?)`, tx.Now.Add(time.Hour), id)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		f.expect(id, pin, "+15555550102", Locked, 0, 0)
		// The refusal reserve decides under its locks (precheck let the
		// attempt through a moment before the lock): the transaction turns
		// lax midway.
		a, err := f.svc.newAttempt(KnownClaim(id), "+15555550103")
		if err != nil {
			t.Fatal(err)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return f.svc.reserve(ctx, tx, a) }); err != nil || a.result != Locked {
			t.Fatalf("reserve on a locked contact: %q, %v; want Locked", a.result, err)
		}

		var results []string
		if err := db.Statements(ctx, func(q *store.Q) error {
			return q.Select(ctx, &results, `SELECT result FROM audit_events WHERE action = 'pin.verify' ORDER BY id`)
		}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(results, " "); got != "wrong locked locked" {
			t.Fatalf("verifications audited: %s, want wrong locked locked", got)
		}
		if !pg {
			return
		}
		var log []string
		if err := db.Statements(ctx, func(q *store.Q) error {
			return q.Select(ctx, &log, `SELECT what || ' ' || setting FROM commit_log ORDER BY what, ctid`)
		}); err != nil {
			t.Fatal(err)
		}
		want := "counter on, failure on, verify on, verify off, verify off"
		if got := strings.Join(log, ", "); got != want {
			t.Fatalf("commits: %s; want %s (the wrong PIN durable, the refusal lax)", got, want)
		}
	})
}
