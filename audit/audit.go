// Package audit records who did what, and when, to accounts, contacts,
// PINs, engineers, schedules and tickets, and every PIN verification. An
// event is written in the same transaction as the change it describes
// ([Record], called by every domain), so the log and the data never
// disagree; [Service] reads the log. Events never hold a PIN or a hash.
package audit

import (
	"context"
	"fmt"
	"time"

	"supportline/store"
)

// Event is one audited action.
type Event struct {
	ID        int64     `db:"id" json:"id"`
	At        time.Time `db:"at" json:"at"`
	Actor     string    `db:"actor" json:"actor"`   // OS user, --actor, or "caller" for the phone line
	Action    string    `db:"action" json:"action"` // e.g. contact.add, pin.rotate, pin.verify
	AccountID *int64    `db:"account_id" json:"-"`
	ContactID *int64    `db:"contact_id" json:"-"`
	// Subject is what the action was about when no contact row applies, e.g.
	// the (truncated) support ID a caller typed that matched nobody.
	Subject string `db:"subject" json:"subject,omitempty"`
	Caller  string `db:"caller" json:"caller,omitempty"` // the calling number, for phone actions
	Result  string `db:"result" json:"result,omitempty"` // e.g. ok, wrong, locked
	Detail  string `db:"detail" json:"detail,omitempty"`

	// Filled by List from the joined rows.
	AccountNumber *string `db:"account_number" json:"account,omitempty"`
	SupportID     *string `db:"support_id" json:"support_id,omitempty"`
}

// Record writes e inside tx. A zero At takes the transaction's clock.
func Record(ctx context.Context, tx *store.Tx, e Event) error {
	if e.At.IsZero() {
		e.At = tx.Now
	}
	if e.Actor == "" || e.Action == "" {
		return fmt.Errorf("audit event needs an actor and an action")
	}
	_, err := tx.Exec(ctx, `INSERT INTO audit_events (at, actor, action, account_id, contact_id, subject, caller, result, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.At, e.Actor, e.Action, e.AccountID, e.ContactID, e.Subject, e.Caller, e.Result, e.Detail)
	if err != nil {
		return fmt.Errorf("record audit event %s: %w", e.Action, err)
	}
	return nil
}

// Service reads the audit log. Writing is [Record], a function on the
// caller's transaction, because every domain writes the log inside its own
// transaction (docs/decisions.md, "one shape for domain services").
type Service struct {
	DB *store.DB
}
