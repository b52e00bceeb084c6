package auth

import (
	"context"
	"fmt"
	"time"

	"supportline/store"
)

// keepLinks is how long a used or expired set-password link stays after it
// stopped working: a week is long enough to look into a complaint that a
// link did not work, and the table need hold no more.
const keepLinks = 7 * 24 * time.Hour

// pruneBatch is how many rows of each kind one transaction of Prune deletes.
const pruneBatch = 1000

// Prune deletes the console's rows that no longer count: sign-in failure
// counts whose window ended (the next failure would start a new count
// anyway), sessions past their absolute expiry (SessionMax) or idle limit
// (SessionIdle), which Resume refuses, and set-password links used or
// expired more than 7 days ago. Nothing that still works or still throttles
// goes. Sign-ins never prune (it would put more statements on the path an
// attacker hammers); serve runs Prune every few minutes. It works in
// batches of 1,000 rows of each kind, one short transaction each, and
// reports how many rows it deleted.
func (s *Users) Prune(ctx context.Context) (int64, error) {
	var total int64
	for {
		var n int64
		err := s.DB.InTx(ctx, func(tx *store.Tx) (err error) {
			n, err = pruneTx(ctx, tx, pruneBatch)
			return err
		})
		total += n
		if err != nil || n < pruneBatch {
			return total, err
		}
	}
}

// pruneTx deletes up to batch rows of each kind and says how many it
// deleted. The cut-offs are the very conditions under which throttled,
// Resume and linkTx stop counting a row, so a row goes only once it is
// dead. SKIP LOCKED (on PostgreSQL) keeps replicas pruning at once from
// waiting on, or deadlocking over, the same rows, and keeps Prune off the
// rows a sign-in is writing.
func pruneTx(ctx context.Context, tx *store.Tx, batch int) (int64, error) {
	now := tx.Now
	links := now.Add(-keepLinks)
	var total int64
	for _, p := range []struct {
		what, q string
		args    []any
	}{
		{"sign-in failures of ended windows", `DELETE FROM console_sign_in_failures WHERE key IN
			(SELECT key FROM console_sign_in_failures WHERE window_start <= ? LIMIT ?` + tx.SkipLocked() + `)`,
			[]any{now.Add(-failureWindow), batch}},
		{"ended sessions", `DELETE FROM console_sessions WHERE id IN
			(SELECT id FROM console_sessions WHERE expires_at <= ? OR last_seen_at <= ? LIMIT ?` + tx.SkipLocked() + `)`,
			[]any{now, now.Add(-SessionIdle), batch}},
		{"old set-password links", `DELETE FROM console_links WHERE id IN
			(SELECT id FROM console_links WHERE used_at <= ? OR expires_at <= ? LIMIT ?` + tx.SkipLocked() + `)`,
			[]any{links, links, batch}},
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
