package tickets

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"supportline/store"
)

// DefaultWatchInterval is how often [Watcher.Run] looks for due work when
// Interval is not set.
const DefaultWatchInterval = 15 * time.Second

// claimBatch is how many tickets one transaction of a pass claims.
const claimBatch = 100

// Watcher is the breach watcher. For open tickets without a first response
// it records a `warning` event once warn_at has passed and a `breach` event
// once response_due has passed, each exactly once per ticket, however many
// watchers (replicas) run against one database: work is claimed with
// FOR UPDATE SKIP LOCKED on PostgreSQL (SQLite has one writer at a time),
// and the partial unique index on ticket_events refuses a second warning or
// breach even if two watchers ever claimed the same ticket.
//
// A responded or resolved ticket never warns or breaches afterwards; the
// watcher reads only the instants stored on the ticket, never the policy.
type Watcher struct {
	DB  *store.DB
	Log *slog.Logger // nil: slog.Default()
	// Interval between passes of Run; DefaultWatchInterval when zero.
	Interval time.Duration
	// OnEvent, if set, is called for each recorded event inside the
	// transaction that records it (the notification outbox writes there).
	// When it fails, the event is rolled back and retried on the next pass,
	// and the error is logged.
	OnEvent func(ctx context.Context, tx *store.Tx, ev Event, t Ticket) error
	// AfterPass, if set, is called by Run after each pass has committed or
	// failed, with what Tick returned: for whoever must know that a pass
	// ended (a test waiting for the first one, later a health figure)
	// without reading the log.
	AfterPass func(recorded int, err error)
}

// Run makes a pass at once and then every Interval until ctx ends. Pass
// failures are logged; the next pass tries again.
func (w *Watcher) Run(ctx context.Context) {
	interval := w.Interval
	if interval <= 0 {
		interval = DefaultWatchInterval
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		n, err := w.Tick(ctx)
		if err != nil && ctx.Err() == nil {
			w.log().Error("sla watcher pass failed", "err", err)
		}
		if w.AfterPass != nil {
			w.AfterPass(n, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

func (w *Watcher) log() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.Default()
}

// claimed is a ticket claimed by a pass, with what is already recorded.
type claimed struct {
	Ticket
	Warned   bool `db:"warned"`
	Breached bool `db:"breached"`
}

// cursor is where the previous batch of a pass ended.
type cursor struct {
	warnAt time.Time
	id     int64
}

// Tick makes one pass: it records every warning and breach that is due at
// the database clock's now and not yet recorded, in batches of claimBatch
// tickets per transaction, and returns how many events it recorded. A
// watcher that was down past both instants of a ticket records the warning
// and then the breach in the same pass.
func (w *Watcher) Tick(ctx context.Context) (int, error) {
	total := 0
	var after *cursor
	for {
		var recorded []recordedEvent
		n := 0
		var last cursor
		err := w.DB.InTx(ctx, func(tx *store.Tx) error {
			batch, err := claim(ctx, tx, after)
			if err != nil {
				return err
			}
			n = len(batch)
			for _, c := range batch {
				last = cursor{c.WarnAt, c.ID}
				evs, err := w.record(ctx, tx, c)
				if err != nil {
					return err
				}
				recorded = append(recorded, evs...)
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("sla watcher: %w", err)
		}
		// Logged after the commit, so a line means the event is stored.
		for _, r := range recorded {
			w.logEvent(r)
		}
		total += len(recorded)
		if n < claimBatch {
			return total, nil
		}
		after = &last
	}
}

type recordedEvent struct {
	ev Event
	t  Ticket
}

// claim locks the next batch of tickets with due, unrecorded work. Tickets
// another watcher holds are skipped; it records them.
func claim(ctx context.Context, tx *store.Tx, after *cursor) ([]claimed, error) {
	now := tx.Now
	q := `SELECT ` + ticketColumns + `,
			EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'warning') AS warned,
			EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'breach') AS breached
		FROM tickets t
		WHERE t.status = 'open' AND t.responded_at IS NULL AND t.warn_at <= ?
			AND (NOT EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'warning')
				OR (t.response_due <= ? AND NOT EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'breach')))`
	args := []any{now, now}
	if after != nil {
		// Keyset paging: a ticket whose OnEvent failed is not claimed again
		// in the same pass, so a pass always ends.
		q += ` AND (t.warn_at > ? OR (t.warn_at = ? AND t.id > ?))`
		args = append(args, after.warnAt, after.warnAt, after.id)
	}
	q += fmt.Sprintf(` ORDER BY t.warn_at, t.id LIMIT %d`, claimBatch) + tx.SkipLocked()
	var out []claimed
	if err := tx.Select(ctx, &out, q, args...); err != nil {
		return nil, fmt.Errorf("claim due tickets: %w", err)
	}
	for i := range out {
		out[i].normalize()
	}
	return out, nil
}

// record writes the due events of one claimed ticket, warning before
// breach, each in a savepoint with its OnEvent call, so that a failing
// OnEvent undoes only its own event. A breach is not recorded while its
// warning is not.
func (w *Watcher) record(ctx context.Context, tx *store.Tx, c claimed) ([]recordedEvent, error) {
	var out []recordedEvent
	type step struct {
		kind   EventKind
		due    bool
		detail string
	}
	steps := []step{
		{EventWarning, !c.Warned && !c.WarnAt.After(tx.Now),
			fmt.Sprintf("no response by the warning time %s; due %s", c.WarnAt.Format(time.RFC3339), c.ResponseDue.Format(time.RFC3339))},
		{EventBreach, !c.Breached && !c.ResponseDue.After(tx.Now),
			fmt.Sprintf("no response by the due time %s (target %s on %s)", c.ResponseDue.Format(time.RFC3339), c.Target, c.Clock)},
	}
	// Savepoints cost a round trip each; they are needed only to undo a
	// failed OnEvent.
	savepoints := w.OnEvent != nil
	for _, s := range steps {
		if !s.due {
			continue
		}
		if savepoints {
			if _, err := tx.Exec(ctx, `SAVEPOINT sla_event`); err != nil {
				return nil, fmt.Errorf("savepoint: %w", err)
			}
		}
		id, ok, err := addEvent(ctx, tx, c.ID, s.kind, tx.Now, s.detail, "")
		if err != nil {
			return nil, err
		}
		ev := Event{ID: id, TicketID: c.ID, Kind: s.kind, At: tx.Now, Detail: s.detail}
		if ok && w.OnEvent != nil {
			if err := w.OnEvent(ctx, tx, ev, c.Ticket); err != nil {
				if _, rerr := tx.Exec(ctx, `ROLLBACK TO SAVEPOINT sla_event`); rerr != nil {
					return nil, fmt.Errorf("roll back %s of ticket %d: %w (after OnEvent failed: %v)", s.kind, c.Number, rerr, err)
				}
				if _, rerr := tx.Exec(ctx, `RELEASE SAVEPOINT sla_event`); rerr != nil {
					return nil, fmt.Errorf("release savepoint: %w", rerr)
				}
				w.log().Error("sla event handler failed; will retry", "ticket", c.Number, "kind", string(s.kind), "err", err)
				return out, nil
			}
		}
		if savepoints {
			if _, err := tx.Exec(ctx, `RELEASE SAVEPOINT sla_event`); err != nil {
				return nil, fmt.Errorf("release savepoint: %w", err)
			}
		}
		if ok {
			out = append(out, recordedEvent{ev, c.Ticket})
		}
	}
	return out, nil
}

func (w *Watcher) logEvent(r recordedEvent) {
	level, msg := slog.LevelInfo, "sla warning"
	if r.ev.Kind == EventBreach {
		level, msg = slog.LevelWarn, "sla breach"
	}
	w.log().Log(context.Background(), level, msg,
		"ticket", r.t.Number, "account", r.t.AccountNumber, "plan", r.t.Plan, "priority", r.t.Priority,
		"target", r.t.Target, "clock", r.t.Clock,
		"warn_at", r.t.WarnAt.Format(time.RFC3339), "due", r.t.ResponseDue.Format(time.RFC3339))
}
