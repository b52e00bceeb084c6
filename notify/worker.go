package notify

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"supportline/store"
)

// Defaults of a Worker's zero fields.
const (
	DefaultInterval    = 2 * time.Second
	DefaultClaimFor    = time.Minute
	DefaultMaxAttempts = 8
	DefaultBatchSize   = 10
)

// released is the outcome of a claim handed back unsent at shutdown.
const released Status = "released"

// recordTimeout bounds writing a send's outcome. It runs even after the
// worker's context ends: an outcome not recorded means the message is
// sent again once its claim expires.
const recordTimeout = 10 * time.Second

// maxErrorLen caps the error text stored on a row.
const maxErrorLen = 500

// DefaultBackoff waits 10 s after the first failed attempt and doubles
// with each further one, up to 10 minutes: with DefaultMaxAttempts a
// message is given up about 20 minutes after its first try.
func DefaultBackoff(attempt int) time.Duration {
	const base, ceiling = 10 * time.Second, 10 * time.Minute
	if attempt < 1 {
		attempt = 1
	}
	d := base
	for i := 1; i < attempt; i++ {
		d *= 2
		if d >= ceiling {
			return ceiling
		}
	}
	return d
}

// Worker delivers the outbox. Each pass claims due rows in a short
// transaction (pending rows whose next attempt is due, and rows whose
// claim expired because a worker died between claim and outcome), sends
// them outside any transaction, and records each outcome in a transaction
// of its own. Any number of workers may share one database: on PostgreSQL
// rows are claimed with FOR UPDATE SKIP LOCKED, on SQLite the immediate
// transaction serialises claims, and a claim is only ever recorded by the
// worker holding it (the attempt count fences stale workers).
//
// Delivery is at least once: a worker that dies after Twilio accepted a
// message but before recording it leaves a claim that expires, and the
// message is sent again. That window is one database write wide.
type Worker struct {
	DB     *store.DB
	Sender Sender
	Log    *slog.Logger // nil: slog.Default()
	// Interval between passes of Run when there is no backlog;
	// DefaultInterval when zero.
	Interval time.Duration
	// ClaimFor is how long a claimed row is reserved for its sender; after
	// that another worker may take it over. It must exceed the sender's
	// timeout (DefaultTwilioTimeout) or a slow send may be repeated.
	// DefaultClaimFor when zero.
	ClaimFor time.Duration
	// MaxAttempts is the number of sends a message gets before a temporary
	// failure becomes final; DefaultMaxAttempts when zero.
	MaxAttempts int
	// Backoff is the wait after failed attempt n (1-based) before the next;
	// DefaultBackoff when nil.
	Backoff func(attempt int) time.Duration
	// BatchSize is how many rows one claim takes; they are sent
	// concurrently. DefaultBatchSize when zero.
	BatchSize int
}

// Run makes a pass at once, then one every Interval (at once again while a
// pass finds a full batch) until ctx ends. It returns after the sends in
// flight have finished and been recorded. Pass failures are logged; the
// next pass tries again.
func (w *Worker) Run(ctx context.Context) {
	interval := w.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		if _, _, err := w.Tick(ctx); err != nil && ctx.Err() == nil {
			w.log().Error("outbox pass failed", "err", err)
		}
		timer.Reset(interval)
	}
}

// Tick makes one pass: it claims and sends due rows, batch after batch,
// until none is left, and returns how many it sent and how many failed for
// good. Rows that failed temporarily go back to pending for a later pass.
// Time is the database clock's (store.DB.Now), so tests can freeze it.
func (w *Worker) Tick(ctx context.Context) (sent, failed int, err error) {
	if w.DB == nil || w.Sender == nil {
		return 0, 0, errors.New("outbox worker needs a DB and a Sender")
	}
	for ctx.Err() == nil {
		batch, err := w.claim(ctx)
		if err != nil {
			return sent, failed, err
		}
		if len(batch) == 0 {
			return sent, failed, nil
		}
		var mu sync.Mutex
		var errs []error
		var wg sync.WaitGroup
		for _, c := range batch {
			wg.Go(func() {
				o, err := w.deliver(ctx, c)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil:
					errs = append(errs, err)
				case o == Sent:
					sent++
				case o == Failed:
					failed++
				}
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return sent, failed, err
		}
		if len(batch) < w.batchSize() {
			return sent, failed, nil
		}
	}
	return sent, failed, ctx.Err()
}

// claimed is a row a worker holds: Attempts is the count after its claim,
// which fences the outcome update.
type claimed struct {
	ID       int64  `db:"id"`
	EventKey string `db:"event_key"`
	To       string `db:"recipient"`
	Body     string `db:"body"`
	Attempts int    `db:"attempts"`
}

func (w *Worker) claim(ctx context.Context) ([]claimed, error) {
	const due = `(status = 'pending' AND next_attempt_at <= ?) OR (status = 'sending' AND claimed_until < ?)`
	var batch []claimed
	err := w.DB.InTx(ctx, func(tx *store.Tx) error {
		batch = nil
		var ids []int64
		q := fmt.Sprintf(`SELECT id FROM outbox WHERE %s ORDER BY id LIMIT %d`, due, w.batchSize()) + tx.SkipLocked()
		if err := tx.Select(ctx, &ids, q, tx.Now, tx.Now); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		// The rows are locked now; repeating the condition makes the
		// update claim only what is still due whatever the engine did.
		args := []any{tx.Now.Add(w.claimFor())}
		for _, id := range ids {
			args = append(args, id)
		}
		args = append(args, tx.Now, tx.Now)
		marks := store.Marks(len(ids))
		if err := tx.Select(ctx, &batch, `UPDATE outbox SET status = 'sending', claimed_until = ?, attempts = attempts + 1
			WHERE id IN (`+marks+`) AND (`+due+`)
			RETURNING id, event_key, recipient, body, attempts`, args...); err != nil {
			return err
		}
		slices.SortFunc(batch, func(a, b claimed) int { return cmp.Compare(a.ID, b.ID) })
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim outbox rows: %w", err)
	}
	return batch, nil
}

// deliver sends one claimed row and records the outcome: Sent, Failed, or
// Pending (retry later). The outcome is written even if ctx has ended
// meanwhile, since the send itself cannot be taken back.
func (w *Worker) deliver(ctx context.Context, c claimed) (Status, error) {
	log := w.log().With("outbox_id", c.ID, "event", c.EventKey, "to", c.To, "attempt", c.Attempts)
	sid, sendErr := w.Sender.Send(withEvent(ctx, c.EventKey), c.To, c.Body)

	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	outcome := Sent
	var code *int
	var msg string
	var retryAt time.Time
	err := w.DB.InTx(rctx, func(tx *store.Tx) error {
		const fence = ` WHERE id = ? AND status = 'sending' AND attempts = ?`
		var q string
		var args []any
		switch {
		case sendErr == nil:
			q = `UPDATE outbox SET status = 'sent', sent_at = ?, provider_sid = ?, claimed_until = NULL, error_code = NULL, error = ''` + fence
			args = []any{tx.Now, sid}
		case ctx.Err() != nil && errors.Is(sendErr, ctx.Err()):
			// Shutting down before (or while) sending: hand the row back
			// as it was, without spending an attempt.
			outcome = released
			q = `UPDATE outbox SET status = 'pending', claimed_until = NULL, attempts = attempts - 1` + fence
		default:
			var permanent bool
			code, msg, permanent = classify(sendErr)
			if permanent || c.Attempts >= w.maxAttempts() {
				outcome = Failed
				q = `UPDATE outbox SET status = 'failed', claimed_until = NULL, error_code = ?, error = ?` + fence
				args = []any{code, msg}
			} else {
				outcome = Pending
				retryAt = tx.Now.Add(w.backoff(c.Attempts))
				q = `UPDATE outbox SET status = 'pending', claimed_until = NULL, next_attempt_at = ?, error_code = ?, error = ?` + fence
				args = []any{retryAt, code, msg}
			}
		}
		res, err := tx.Exec(rctx, q, append(args, c.ID, c.Attempts)...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			// The claim expired and another worker took the row over; its
			// outcome is the one that counts.
			outcome = ""
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("record outcome of outbox row %d (send error: %v): %w", c.ID, sendErr, err)
	}
	switch outcome {
	case Sent:
		if sid == "" {
			// The log sender: its own line already shows the SMS.
			log.Debug("sms handed to a sender without message ids")
		} else {
			log.Info("sms sent", "sid", sid)
		}
	case Failed:
		log.Error("sms failed for good", "error_code", derefInt(code), "err", msg)
	case Pending:
		log.Warn("sms send failed; will retry", "error_code", derefInt(code), "err", msg, "retry_at", retryAt.Format(time.RFC3339))
	case released:
		log.Info("sms not sent: stopping; left pending for the next worker")
	default:
		log.Warn("sms outcome not recorded: the claim expired and another worker took the row over", "send_err", sendErr)
	}
	return outcome, nil
}

// classify turns a send error into what the row stores and whether to
// retry. Errors without a *SendError are temporary.
func classify(err error) (code *int, msg string, permanent bool) {
	var se *SendError
	if errors.As(err, &se) {
		if se.Code != 0 {
			c := se.Code
			code = &c
		}
		msg, permanent = se.Message, se.Permanent
	}
	if msg == "" {
		msg = err.Error()
	}
	if len(msg) > maxErrorLen {
		cut := maxErrorLen
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut]
	}
	return code, msg, permanent
}

func derefInt(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func (w *Worker) log() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.Default()
}

func (w *Worker) batchSize() int {
	if w.BatchSize > 0 {
		return w.BatchSize
	}
	return DefaultBatchSize
}

func (w *Worker) claimFor() time.Duration {
	if w.ClaimFor > 0 {
		return w.ClaimFor
	}
	return DefaultClaimFor
}

func (w *Worker) maxAttempts() int {
	if w.MaxAttempts > 0 {
		return w.MaxAttempts
	}
	return DefaultMaxAttempts
}

func (w *Worker) backoff(attempt int) time.Duration {
	if w.Backoff != nil {
		return w.Backoff(attempt)
	}
	return DefaultBackoff(attempt)
}
