// Package notify sends SMS to engineers through Twilio's REST API, behind an
// outbox table.
//
// A message is written with [Enqueue] inside the transaction of the event
// that causes it (a voicemail, an SLA warning), so the event and its
// message commit or roll back together, and each (event, recipient) pair
// has at most one message. A [Worker] in `supportline serve` delivers the
// rows through a [Sender]: [TwilioSender] when Twilio credentials are in the
// environment, [LogSender] (one structured log line per SMS) otherwise.
// Delivery is retried with backoff on temporary failures, stops at once on
// permanent ones (Twilio's 4xx, recorded with Twilio's error code), and
// survives restarts because every state lives in the database. Replicas
// sharing one PostgreSQL claim rows with FOR UPDATE SKIP LOCKED and never
// send a row twice while its claim holds.
package notify

import (
	"context"
	"fmt"
	"strings"
	"time"

	"supportline/contactinfo"
	"supportline/errcode"
	"supportline/store"
)

// MaxBodyLen is the longest SMS body Enqueue stores, in UTF-16 code units
// (how Twilio counts characters); Twilio refuses bodies over 1600. Longer
// bodies are cut and end with an ellipsis.
const MaxBodyLen = 1600

// Message is an SMS to enqueue.
type Message struct {
	// EventKey names what caused the message, e.g. "ticket:100123:warning".
	// With To it identifies the message: enqueuing the same pair twice
	// stores one row.
	EventKey string
	// To is the recipient in strict E.164 (+17205550111).
	To string
	// Body is the text; it must not be blank.
	Body string
}

// Status is where a delivery stands.
type Status string

// The statuses of a delivery.
const (
	// Pending waits for its next attempt (next_attempt_at).
	Pending Status = "pending"
	// Sending is claimed by a worker until claimed_until; a claim that
	// expires (the worker died) is taken over by another worker.
	Sending Status = "sending"
	// Sent was accepted by the provider (provider_sid holds Twilio's SM...).
	Sent Status = "sent"
	// Failed will not be tried again: a permanent error, or too many
	// temporary ones.
	Failed Status = "failed"
)

// Delivery is one row of the outbox: a message and what happened to it.
type Delivery struct {
	ID            int64      `db:"id" json:"id"`
	EventKey      string     `db:"event_key" json:"event_key"`
	To            string     `db:"recipient" json:"to"`
	Body          string     `db:"body" json:"body"`
	Status        Status     `db:"status" json:"status"`
	Attempts      int        `db:"attempts" json:"attempts"`
	NextAttemptAt time.Time  `db:"next_attempt_at" json:"next_attempt_at"`
	ClaimedUntil  *time.Time `db:"claimed_until" json:"claimed_until,omitempty"`
	SentAt        *time.Time `db:"sent_at" json:"sent_at,omitempty"`
	// ProviderSID is Twilio's message SID (SM...); empty for the log sender.
	ProviderSID string `db:"provider_sid" json:"provider_sid,omitempty"`
	// ErrorCode is the provider's error code of the last failure (Twilio's,
	// e.g. 21211), nil when there was none or it had no code.
	ErrorCode *int `db:"error_code" json:"error_code,omitempty"`
	// Error is the last failure's message; a retry that succeeds clears it
	// and ErrorCode.
	Error     string    `db:"error" json:"error,omitempty"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

func (d *Delivery) normalize() {
	d.NextAttemptAt, d.CreatedAt = d.NextAttemptAt.UTC(), d.CreatedAt.UTC()
	for _, p := range []**time.Time{&d.ClaimedUntil, &d.SentAt} {
		if *p != nil {
			u := (**p).UTC()
			*p = &u
		}
	}
}

const deliveryColumns = `id, event_key, recipient, body, status, attempts, next_attempt_at, claimed_until,
	sent_at, provider_sid, error_code, error, created_at`

// Enqueue writes m to the outbox in the caller's transaction, due at once
// (tx.Now).
//
// It stays a function on the transaction, like audit.Record, rather than a
// Service method: it is only ever called inside another domain's
// transaction (the breach watcher's, the phone line's), touches nothing but
// that transaction, and a method would make every caller carry a Service
// whose DB it never uses. It returns false, and changes nothing, when a message for the
// same (EventKey, To) already exists, so an event handler that runs twice
// texts each recipient once. Bodies longer than MaxBodyLen are cut with an
// ellipsis. Invalid input is an errcode.Invalid error.
//
// A duplicate is skipped with ON CONFLICT DO NOTHING rather than caught as
// a unique violation: on PostgreSQL a failed statement aborts the caller's
// whole transaction.
func Enqueue(ctx context.Context, tx *store.Tx, m Message) (bool, error) {
	key := strings.TrimSpace(m.EventKey)
	if key == "" {
		return false, errcode.New(errcode.Invalid, "an SMS needs an event key saying what caused it, e.g. ticket:100123:warning")
	}
	if err := contactinfo.ValidPhone(m.To); err != nil {
		return false, errcode.Errorf(errcode.Invalid, "SMS recipient %q is not an E.164 number: %v", m.To, err)
	}
	body := strings.TrimSpace(m.Body)
	if body == "" {
		return false, errcode.Errorf(errcode.Invalid, "SMS for %s to %s has an empty body", key, m.To)
	}
	body = fitBody(body)
	res, err := tx.Exec(ctx, `INSERT INTO outbox (event_key, recipient, body, status, attempts, next_attempt_at, created_at)
		VALUES (?, ?, ?, 'pending', 0, ?, ?)
		ON CONFLICT (event_key, recipient) DO NOTHING`, key, m.To, body, tx.Now, tx.Now)
	if err != nil {
		return false, fmt.Errorf("enqueue SMS %s to %s: %w", key, m.To, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("enqueue SMS %s to %s: %w", key, m.To, err)
	}
	return n == 1, nil
}

// fitBody cuts s to at most MaxBodyLen UTF-16 code units, ending a cut
// body with an ellipsis.
func fitBody(s string) string { return Cut(s, MaxBodyLen) }

// Service reads the outbox for people (the CLI's `outbox list`, the admin
// API, the console). Writing is [Enqueue], inside the transaction of the event
// that causes a message, and delivery is the [Worker].
type Service struct {
	DB *store.DB
}

// DefaultListLimit is how many deliveries [Service.List] returns when
// Filter.Limit is zero.
const DefaultListLimit = 50

// Filter selects deliveries for [Service.List].
type Filter struct {
	// FailedOnly keeps only failed deliveries.
	FailedOnly bool
	// Limit caps the result (newest first); DefaultListLimit when zero.
	Limit int
}

// List returns deliveries, newest first. A limit below 0 is
// errcode.Invalid.
func (s *Service) List(ctx context.Context, f Filter) ([]Delivery, error) {
	if f.Limit < 0 {
		return nil, errcode.Errorf(errcode.Invalid, "limit must be at least 1, not %d", f.Limit)
	}
	if f.Limit == 0 {
		f.Limit = DefaultListLimit
	}
	q := `SELECT ` + deliveryColumns + ` FROM outbox`
	var args []any
	if f.FailedOnly {
		q += ` WHERE status = ?`
		args = append(args, string(Failed))
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, f.Limit)
	var out []Delivery
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		return tx.Select(ctx, &out, q, args...)
	})
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	for i := range out {
		out[i].normalize()
	}
	return out, nil
}
