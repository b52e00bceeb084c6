package audit

import (
	"context"
	"fmt"
	"strings"
	"time"

	"supportline/errcode"
	"supportline/store"
)

// MaxQueryLimit is the most events one [Service.Query] returns.
const MaxQueryLimit = 10000

// Query narrows [Service.Query]: every condition set must hold. It is
// [Filter] with the conditions the admin API offers besides (subject,
// actor, an end of the window).
type Query struct {
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
	// MaxQueryLimit; 0 means DefaultListLimit.
	Limit int
}

// Query returns the newest events matching q, oldest first, like
// [Service.List]. A limit outside 0 to MaxQueryLimit, or Since not before
// Until, is errcode.Invalid.
func (s *Service) Query(ctx context.Context, q Query) ([]Event, error) {
	switch {
	case q.Limit < 0 || q.Limit > MaxQueryLimit:
		return nil, errcode.Errorf(errcode.Invalid, "limit must be 1 to %d, not %d", MaxQueryLimit, q.Limit)
	case q.Limit == 0:
		q.Limit = DefaultListLimit
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until) {
		return nil, errcode.Errorf(errcode.Invalid, "since %s must be before until %s",
			q.Since.UTC().Format(time.RFC3339), q.Until.UTC().Format(time.RFC3339))
	}
	var where []string
	var args []any
	cond := func(c string, a any) { where, args = append(where, c), append(args, a) }
	if v := strings.TrimSpace(q.SupportID); v != "" {
		cond("c.support_id = ?", v)
	}
	if v := strings.TrimSpace(q.Subject); v != "" {
		cond("e.subject = ?", v)
	}
	if v := strings.TrimSpace(q.Actor); v != "" {
		cond("e.actor = ?", v)
	}
	if !q.Since.IsZero() {
		cond("e.at >= ?", q.Since.UTC())
	}
	if !q.Until.IsZero() {
		cond("e.at < ?", q.Until.UTC())
	}
	stmt := `SELECT e.id, e.at, e.actor, e.action, e.account_id, e.contact_id, e.subject, e.caller, e.result, e.detail,
			a.number AS account_number, c.support_id AS support_id
		FROM audit_events e
		LEFT JOIN contacts c ON c.id = e.contact_id
		LEFT JOIN accounts a ON a.id = COALESCE(e.account_id, c.account_id)`
	if len(where) > 0 {
		stmt += ` WHERE ` + strings.Join(where, " AND ")
	}
	stmt += fmt.Sprintf(` ORDER BY e.at DESC, e.id DESC LIMIT %d`, q.Limit)
	var out []Event
	err := s.DB.InTx(ctx, func(tx *store.Tx) error { return tx.Select(ctx, &out, stmt, args...) })
	if err != nil {
		return nil, fmt.Errorf("query audit events: %w", err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	for i := range out {
		out[i].At = out[i].At.UTC()
	}
	if out == nil {
		out = []Event{}
	}
	return out, nil
}
