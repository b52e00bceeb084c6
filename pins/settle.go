package pins

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"supportline/audit"
	"supportline/sla"
	"supportline/store"
)

// settle records the outcome of a hashed attempt and returns the result.
// It may run more than once (retry): each run starts from what reserve
// left, and a run whose reservation is gone counts nothing, so an outcome
// is never counted twice.
//
// Locks are taken in reserve's order: the credential or entry row first,
// then the reservation.
func (s *Service) settle(ctx context.Context, tx *store.Tx, a *attempt, ok bool, rehash string) (Result, error) {
	now := tx.Now
	a.detail, a.lockedFor = a.why, 0
	if s.settleHook != nil {
		if err := s.settleHook(); err != nil {
			return "", err
		}
	}

	var cred *credentialRow
	var st counters
	var err error
	switch {
	case a.hash != "":
		// cred stays nil when the PIN was forgotten meanwhile.
		if cred, err = credential(ctx, tx, a.contact.ID, true); err != nil && !errors.Is(err, errNoCredential) {
			return "", err
		}
	case a.countEntry:
		if st, err = lockEntry(ctx, tx, a.key); err != nil {
			return "", err
		}
	}
	// held is false when the reservation is gone: cleared by an unlock,
	// pruned after expiring (this process stalled past reservationTTL), or
	// already settled by an earlier run whose commit we did not see.
	res, err := tx.Exec(ctx, `DELETE FROM pin_attempts WHERE id = ?`, a.reservation)
	if err != nil {
		return "", fmt.Errorf("settle reservation: %w", err)
	}
	n, _ := res.RowsAffected()
	held := n == 1
	note := func() {
		if !held {
			a.detail = join(a.detail, "reservation no longer held; not counted")
		}
	}

	if a.hash == "" {
		r := a.decoyResult
		if held {
			if err := s.failNumber(ctx, tx, a, now); err != nil {
				return "", err
			}
			if a.countEntry {
				if err := s.failEntry(ctx, tx, a, st, now); err != nil {
					return "", err
				}
			}
		}
		note()
		return r, s.record(ctx, tx, a, r)
	}

	if cred == nil || cred.RevokedAt != nil || cred.Hash != a.hash {
		// Rotated, revoked or removed while we hashed: the PIN we compared
		// with is no longer the contact's, so it proves nothing, and the
		// counters belong to the new credential. The calling number made a
		// failed attempt all the same.
		r := Wrong
		if cred == nil || cred.RevokedAt != nil {
			r = Revoked
		}
		a.detail = "PIN changed during verification"
		if held {
			if err := s.failNumber(ctx, tx, a, now); err != nil {
				return "", err
			}
		}
		note()
		return r, s.record(ctx, tx, a, r)
	}

	if ok {
		// A success resets the consecutive count (whether or not the
		// reservation is still held: a right PIN is never a failure). It
		// resets the doubling only when the contact has not been locked
		// for max_lockout: an owner who mistyped last month starts again
		// at the first lockout, while someone guessing between the owner's
		// daily calls keeps climbing to the cap.
		lockouts := cred.Lockouts
		if cred.LockedUntil == nil || !cred.LockedUntil.After(now.Add(-s.Policy.MaxLockoutDuration)) {
			lockouts = 0
		}
		hash := cred.Hash
		if rehash != "" {
			hash = rehash
			a.detail = "re-hashed with current parameters"
		}
		if cred.Failures != 0 || lockouts != cred.Lockouts || hash != cred.Hash {
			if _, err := tx.Exec(ctx, `UPDATE pin_credentials SET failures = 0, lockouts = ?, hash = ? WHERE contact_id = ?`,
				lockouts, hash, a.contact.ID); err != nil {
				return "", fmt.Errorf("reset failures: %w", err)
			}
		}
		return OK, s.record(ctx, tx, a, OK)
	}

	if held {
		if err := s.failNumber(ctx, tx, a, now); err != nil {
			return "", err
		}
		c, d := s.fail(cred.counters, now)
		if err := updateCounters(ctx, tx, `pin_credentials`, `contact_id`, a.contact.ID, c); err != nil {
			return "", err
		}
		a.detail, a.lockedFor = s.failureDetail(c, d, "contact"), d
	}
	note()
	return Wrong, s.record(ctx, tx, a, Wrong)
}

// failNumber counts a failure against the calling number.
func (s *Service) failNumber(ctx context.Context, tx *store.Tx, a *attempt, now time.Time) error {
	var contactID any
	if a.known {
		contactID = a.contact.ID
	}
	if _, err := tx.Exec(ctx, `INSERT INTO pin_failures (caller, at, contact_id) VALUES (?, ?, ?)`, a.caller, now, contactID); err != nil {
		return fmt.Errorf("count failure for calling number: %w", err)
	}
	return nil
}

// failEntry counts a failure against the attempt's entry, st being its
// counters as read under its row lock.
func (s *Service) failEntry(ctx context.Context, tx *store.Tx, a *attempt, st counters, now time.Time) error {
	c, d := s.fail(st, now)
	if err := updateCounters(ctx, tx, `pin_entries`, `entry_key`, a.key, c); err != nil {
		return err
	}
	a.detail, a.lockedFor = join(a.detail, s.failureDetail(c, d, "entry")), d
	return nil
}

// updateCounters writes c to the row of table whose column keyCol is key.
func updateCounters(ctx context.Context, tx *store.Tx, table, keyCol string, key any, c counters) error {
	if _, err := tx.Exec(ctx, `UPDATE `+table+` SET failures = ?, lockouts = ?, locked_until = ?, last_attempt_at = ? WHERE `+keyCol+` = ?`,
		c.Failures, c.Lockouts, c.LockedUntil, c.LastAttemptAt, key); err != nil {
		return fmt.Errorf("count failure: %w", err)
	}
	return nil
}

// failureDetail is the audit detail of a counted failure; d is the lock it
// caused (zero for none), what the contact or entry.
func (s *Service) failureDetail(c counters, d time.Duration, what string) string {
	detail := "failure " + strconv.Itoa(c.Failures) + " of " + strconv.Itoa(s.Policy.MaxFailures)
	if d > 0 {
		detail += "; " + what + " locked for " + sla.FormatDuration(d)
	}
	return detail
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// release gives back the room of an attempt that was not hashed (Busy),
// and records the answer.
func (s *Service) release(ctx context.Context, tx *store.Tx, a *attempt) error {
	if a.reservation != 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM pin_attempts WHERE id = ?`, a.reservation); err != nil {
			return fmt.Errorf("release reservation: %w", err)
		}
	}
	return s.record(ctx, tx, a, Busy)
}

// keepEntries is how long an entry's counters are kept once it is unlocked
// and idle: the longer of max_lockout (within which a real contact's
// doubling would still climb) and the throttle's hour.
func (s *Service) keepEntries() time.Duration {
	return max(s.Policy.MaxLockoutDuration, window)
}

// pruneThrottle deletes up to batch rows of each kind that no longer count,
// and reports how many it deleted: calling-number failures and lock rows
// older than the window, expired reservations, and entries unlocked and
// idle for keepEntries. SKIP LOCKED (on PostgreSQL) keeps replicas pruning
// at once from waiting on, or deadlocking over, the same rows, and keeps
// Prune off the rows verifications are working on.
func (s *Service) pruneThrottle(ctx context.Context, tx *store.Tx, batch int) (int64, error) {
	now := tx.Now
	cutoff, idle := now.Add(-window), now.Add(-s.keepEntries())
	var total int64
	for _, p := range []struct {
		what, q string
		args    []any
	}{
		{"old failures", `DELETE FROM pin_failures WHERE id IN
			(SELECT id FROM pin_failures WHERE at <= ? ORDER BY at LIMIT ?` + tx.SkipLocked() + `)`, []any{cutoff, batch}},
		{"old calling numbers", `DELETE FROM pin_callers WHERE caller IN
			(SELECT caller FROM pin_callers WHERE last_attempt_at <= ? ORDER BY last_attempt_at LIMIT ?` + tx.SkipLocked() + `)`, []any{cutoff, batch}},
		{"expired reservations", `DELETE FROM pin_attempts WHERE id IN
			(SELECT id FROM pin_attempts WHERE started_at <= ? ORDER BY started_at LIMIT ?` + tx.SkipLocked() + `)`, []any{now.Add(-reservationTTL), batch}},
		{"idle entries", `DELETE FROM pin_entries WHERE entry_key IN
			(SELECT entry_key FROM pin_entries
			WHERE (locked_until IS NULL OR locked_until <= ?) AND (last_attempt_at IS NULL OR last_attempt_at <= ?)
			LIMIT ?` + tx.SkipLocked() + `)`, []any{idle, idle, batch}},
	} {
		res, err := tx.Exec(ctx, p.q, p.args...)
		if err != nil {
			return total, fmt.Errorf("prune %s: %w", p.what, err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
}

// Prune deletes the throttle rows that no longer count: the failures
// counted against calling numbers and the numbers' lock rows once they have
// left the one-hour window, reservations once expired (reservationTTL), and
// the counters of unmatched entries once unlocked and idle for the longer
// of max_lockout and an hour. Verifications never prune (it would cost each
// more statements, on the path an attacker hammers); serve runs Prune every
// few minutes, so the tables hold about an hour and a few minutes of
// attempts (entries: about a day, with the default max_lockout). It works
// in batches of 1,000 rows of each kind, one short transaction each, and
// reports how many rows it deleted.
func (s *Service) Prune(ctx context.Context) (int64, error) {
	const batch = 1000
	var total int64
	for {
		var n int64
		err := s.DB.InTx(ctx, func(tx *store.Tx) (err error) {
			n, err = s.pruneThrottle(ctx, tx, batch)
			return err
		})
		total += n
		if err != nil || n < batch {
			return total, err
		}
	}
}

// record writes the verification's audit event. An attempt that matched no
// contact shows only its subject (a few letters of the entry's key).
func (s *Service) record(ctx context.Context, tx *store.Tx, a *attempt, r Result) error {
	e := audit.Event{Actor: "caller", Action: "pin.verify", Caller: a.caller, Result: string(r), Detail: a.detail}
	if a.known {
		e.AccountID, e.ContactID = &a.contact.AccountID, &a.contact.ID
	} else {
		e.Subject = a.subject
	}
	return audit.Record(ctx, tx, e)
}

// logResult writes the one log line of a verification.
func (s *Service) logResult(a *attempt, r Result) {
	if a.known {
		s.log().Info("PIN verification", "result", string(r), "support_id", a.contact.SupportID, "caller", a.caller)
		return
	}
	s.log().Info("PIN verification", "result", string(r), "entry", a.subject, "caller", a.caller)
}

// logLockout warns of the lock the attempt's failure caused, if any.
func (s *Service) logLockout(a *attempt) {
	if a.lockedFor == 0 {
		return
	}
	who := []any{"support_id", a.contact.SupportID}
	if !a.known {
		who = []any{"entry", a.subject}
	}
	s.log().Warn("PIN lockout", append(who, "caller", a.caller, "locked_for", a.lockedFor)...)
}
