// Package audit records who did what, and when, to accounts, contacts,
// PINs, engineers, schedules and tickets, and every PIN verification. An
// event is written in the same transaction as the change it describes
// ([Record], called by every domain), so the log and the data never
// disagree; [Service] reads the log. Events never hold a PIN or a hash.
package audit

import (
	"context"
	"fmt"
	"strings"
	"time"

	"supportline/errcode"
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

// DefaultListLimit is how many of the newest events [Service.List] returns
// when Filter.Limit is 0; MaxListLimit is the most it returns.
const (
	DefaultListLimit = 1000
	MaxListLimit     = 10000
)

// Filter narrows [Service.List]: every condition set must hold.
type Filter struct {
	SupportID string // only events about this contact
	// Subject keeps events whose subject is exactly this, e.g.
	// "ticket:100001" or "token crm".
	Subject string
	// Actor keeps events by this actor exactly, e.g. "token:crm".
	Actor string
	// Since and Until, when set, keep events at or after Since and before
	// Until.
	Since, Until time.Time
	// Limit is how many of the newest matching events to return, 1 to
	// MaxListLimit; 0 means DefaultListLimit.
	Limit int
}

// List returns the newest events matching f, oldest first (a log reads
// top to bottom). A limit outside 0 to MaxListLimit, or Since not before
// Until, is errcode.Invalid.
func (s *Service) List(ctx context.Context, f Filter) ([]Event, error) {
	switch {
	case f.Limit < 0 || f.Limit > MaxListLimit:
		return nil, errcode.Errorf(errcode.Invalid, "limit must be 1 to %d, not %d", MaxListLimit, f.Limit)
	case f.Limit == 0:
		f.Limit = DefaultListLimit
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return nil, errcode.Errorf(errcode.Invalid, "since %s must be before until %s",
			f.Since.UTC().Format(time.RFC3339), f.Until.UTC().Format(time.RFC3339))
	}
	var where []string
	var args []any
	cond := func(c string, a any) { where, args = append(where, c), append(args, a) }
	if v := strings.TrimSpace(f.SupportID); v != "" {
		cond("c.support_id = ?", v)
	}
	if v := strings.TrimSpace(f.Subject); v != "" {
		cond("e.subject = ?", v)
	}
	if v := strings.TrimSpace(f.Actor); v != "" {
		cond("e.actor = ?", v)
	}
	if !f.Since.IsZero() {
		cond("e.at >= ?", f.Since.UTC())
	}
	if !f.Until.IsZero() {
		cond("e.at < ?", f.Until.UTC())
	}
	q := `SELECT e.id, e.at, e.actor, e.action, e.account_id, e.contact_id, e.subject, e.caller, e.result, e.detail,
			a.number AS account_number, c.support_id AS support_id
		FROM audit_events e
		LEFT JOIN contacts c ON c.id = e.contact_id
		LEFT JOIN accounts a ON a.id = COALESCE(e.account_id, c.account_id)`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += fmt.Sprintf(` ORDER BY e.at DESC, e.id DESC LIMIT %d`, f.Limit)
	out := []Event{}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error { return tx.Select(ctx, &out, q, args...) })
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	for i := range out {
		out[i].At = out[i].At.UTC()
	}
	return out, nil
}
