package pins

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"supportline/accounts"
	"supportline/audit"
	"supportline/config"
	"supportline/errcode"
	"supportline/store"
)

// Result is the outcome of a PIN verification.
type Result string

// The results of Verify. Only OK proves who the caller is. The phone line
// speaks Wrong, Revoked and Expired alike, so a caller cannot tell an unknown
// support ID from a wrong PIN.
const (
	// OK: the PIN is right and the contact may proceed.
	OK Result = "ok"
	// Wrong: the PIN is wrong, or the support ID is unknown, removed or
	// malformed.
	Wrong Result = "wrong"
	// Locked: too many failures, for the contact or for the calling number;
	// no PIN was checked.
	Locked Result = "locked"
	// Revoked: the contact has no PIN (revoked, or never rotated).
	Revoked Result = "revoked"
	// Expired: the PIN is older than the policy's max_age. Whether it was
	// right is not checked, so Expired reveals nothing about the PIN.
	Expired Result = "expired"
	// Busy: the hashing pool had no free slot before the caller's context
	// ended; no attempt was counted and the caller may try again.
	Busy Result = "busy"
)

// window is the span of the per-number throttle.
const window = time.Hour

// settleTimeout bounds the bookkeeping a verification does after hashing. It
// runs on a context detached from the caller's, because once a hash has been
// computed the attempt must be recorded even if the caller hung up.
const settleTimeout = 10 * time.Second

// Service verifies and administers PINs. Counters live in the database, so
// any number of replicas may share one; the zero value is not usable: set DB
// and Policy (a validated config.PinPolicy).
type Service struct {
	// DB holds the credentials, the counters and the audit log.
	DB *store.DB
	// Policy is the pins section of a validated policy file: length,
	// argon2 cost of new hashes, lockout and throttle limits, max age.
	Policy config.PinPolicy
	// Pool bounds concurrent hashes. When nil, a pool of
	// Policy.MaxConcurrentHashes slots is made on first use; share one Pool
	// between Services in one process so the memory bound holds.
	Pool *Pool
	// Log receives one line per verification (never a PIN or a hash). Nil
	// discards.
	Log *slog.Logger

	once        sync.Once
	defaultPool *Pool
	// hashed, when set (by tests), is called for every argon2id computation
	// Verify makes: real for a stored hash, !real for the decoy.
	hashed func(real bool)
	// beforeHash, when set (by tests), runs just before Verify asks the pool
	// for a slot.
	beforeHash func()
}

func (s *Service) pool() *Pool {
	if s.Pool != nil {
		return s.Pool
	}
	s.once.Do(func() { s.defaultPool = NewPool(s.Policy.MaxConcurrentHashes) })
	return s.defaultPool
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

// params are the argon2id parameters new hashes get.
func (s *Service) params() Params {
	a := s.Policy.Argon2
	return Params{MemoryKiB: uint32(a.MemoryKiB), Time: uint32(a.Time), Threads: uint8(a.Threads)}
}

// lockFor is how long the lock after lockouts earlier locks lasts: the first
// lockout's duration, doubled for each earlier one, capped.
func (s *Service) lockFor(lockouts int) time.Duration {
	d := s.Policy.LockoutDuration
	for range lockouts {
		if d > s.Policy.MaxLockoutDuration/2 {
			return s.Policy.MaxLockoutDuration
		}
		d *= 2
	}
	return min(d, s.Policy.MaxLockoutDuration)
}

// attempt is what a verification learns before hashing.
type attempt struct {
	caller  string // throttle bucket, also the audit's caller
	subject string // for an unmatched support ID: what the audit shows of it
	contact accounts.Contact
	known   bool
	// hash is the stored hash to compare with; empty means the decoy.
	hash string
	// decoyResult is the answer after a decoy hash: Wrong (unknown ID),
	// Revoked or Expired.
	decoyResult Result
	// reserved is the contact's consecutive failure count with this attempt.
	reserved int
	// failureID is the pin_failures row reserved against the calling number.
	failureID int64
	// result is set when the answer is decided without hashing (Locked).
	result Result
	detail string
}

// Verify checks pin for the contact with supportID, called from
// callerNumber (as the phone line received it; may be empty or "anonymous").
//
// The returned contact is zero unless the result is OK, so that nothing can
// act on an identity the caller has not proven. The error is non-nil only
// for infrastructure failures (the database); the phone line then says "one
// moment, please" and may retry. Verify never logs, stores or returns pin.
//
// Order of work: one statement refuses a throttled calling number or a
// locked contact (precheck); then one short transaction reads the contact's
// lock, revocation and expiry, counts the calling number's failures in the
// last hour under its row lock, and reserves the attempt (counts it as a
// failure in advance); then the hash, outside any transaction, in the pool;
// then a second transaction that settles the attempt (locks the contact on
// the last allowed failure, or resets the count on success). An unknown, removed or malformed support ID
// gets a decoy hash of the same cost and answers Wrong.
func (s *Service) Verify(ctx context.Context, supportID, pin, callerNumber string) (accounts.Contact, Result, error) {
	a := &attempt{caller: CallerKey(callerNumber)}
	refused, err := s.precheck(ctx, a, supportID)
	if err != nil {
		return accounts.Contact{}, "", fmt.Errorf("verify PIN: %w", err)
	}
	if refused {
		s.logResult(a, a.result)
		return accounts.Contact{}, a.result, nil
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error { return s.reserve(ctx, tx, a, supportID) })
	if err != nil {
		return accounts.Contact{}, "", fmt.Errorf("verify PIN: %w", err)
	}
	if a.result != "" {
		s.logResult(a, a.result)
		return accounts.Contact{}, a.result, nil
	}

	if s.beforeHash != nil {
		s.beforeHash()
	}
	var (
		ok     bool
		params Params
		cmpErr error
	)
	err = s.pool().Do(ctx, func() {
		if a.hash == "" {
			DummyCompare(pin, s.params())
			s.hook(false)
			return
		}
		ok, params, cmpErr = Compare(a.hash, pin)
		if cmpErr != nil {
			// No hash was computed for the corrupt string; spend the same
			// time anyway so the answer does not come back early.
			DummyCompare(pin, s.params())
			s.hook(false)
			return
		}
		s.hook(true)
	})
	// From here on the attempt must be recorded even if the caller hangs up.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	if err != nil {
		if rerr := s.DB.InTx(sctx, func(tx *store.Tx) error { return s.release(sctx, tx, a) }); rerr != nil {
			return accounts.Contact{}, "", fmt.Errorf("verify PIN: release reserved attempt: %w", rerr)
		}
		s.logResult(a, Busy)
		return accounts.Contact{}, Busy, nil
	}
	if cmpErr != nil {
		// Answered as a wrong PIN: the caller cannot get in, and an admin
		// must rotate the PIN. The error names the defect, never the string.
		s.log().Error("stored PIN hash is corrupt; rotate this contact's PIN",
			"support_id", a.contact.SupportID, "err", cmpErr)
	}

	// Upgrade the stored hash when the policy's cost changed since it was
	// made. This costs a second hash, so it also goes through the pool; if
	// the caller is gone by then, the upgrade waits for their next call (a
	// skipped upgrade is not a failure of the verification).
	var rehash string
	if ok && params != s.params() {
		_ = s.pool().Do(ctx, func() {
			var err error
			if rehash, err = Hash(pin, s.params()); err != nil {
				s.log().Error("re-hash PIN with current parameters", "support_id", a.contact.SupportID, "err", err)
			}
		})
	}

	var result Result
	err = s.DB.InTx(sctx, func(tx *store.Tx) error {
		var err error
		result, err = s.settle(sctx, tx, a, ok, rehash)
		return err
	})
	if err != nil {
		return accounts.Contact{}, "", fmt.Errorf("verify PIN: record attempt: %w", err)
	}
	s.logResult(a, result)
	if result != OK {
		return accounts.Contact{}, result, nil
	}
	return a.contact, OK, nil
}

func (s *Service) hook(real bool) {
	if s.hashed != nil {
		s.hashed(real)
	}
}

// credentialRow is a pin_credentials row without the hash's consumers
// needing to know the column list.
type credentialRow struct {
	Hash          string     `db:"hash"`
	RotatedAt     time.Time  `db:"rotated_at"`
	RevokedAt     *time.Time `db:"revoked_at"`
	Failures      int        `db:"failures"`
	Lockouts      int        `db:"lockouts"`
	LockedUntil   *time.Time `db:"locked_until"`
	LastAttemptAt *time.Time `db:"last_attempt_at"`
}

const credentialColumns = `hash, rotated_at, revoked_at, failures, lockouts, locked_until, last_attempt_at`

// credential reads a contact's credential, or nil when it has none.
func credential(ctx context.Context, tx *store.Tx, contactID int64, forUpdate bool) (*credentialRow, error) {
	var c credentialRow
	q := `SELECT ` + credentialColumns + ` FROM pin_credentials WHERE contact_id = ?`
	if forUpdate {
		q += tx.ForUpdate()
	}
	err := tx.Get(ctx, &c, q, contactID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read PIN credential: %w", err)
	}
	return &c, nil
}

// precheck answers the attempts refused without a hash (a throttled calling
// number, a locked contact) in one statement outside any transaction: an
// INSERT of the refusal's audit row that selects from the throttle count and
// the contact's lock, and so inserts nothing when there is nothing to refuse.
// Someone hammering the line thus costs one round trip an attempt. For that,
// the statement looks at the contacts table itself (the identity columns
// only; accounts owns the rest) and builds the audit row in SQL, the same
// row record writes. Whatever precheck lets through, reserve checks again
// under locks; a refusal it decides from rows a moment old is one those rows
// justified.
func (s *Service) precheck(ctx context.Context, a *attempt, supportID string) (bool, error) {
	var row struct {
		ContactID *int64 `db:"contact_id"`
		AccountID *int64 `db:"account_id"`
		Detail    string `db:"detail"`
	}
	err := s.DB.NoTx(ctx, func(tx *store.Tx) error {
		now, limit := tx.Now, s.Policy.MaxFailuresPerNumberPerHour
		return tx.Get(ctx, &row, `INSERT INTO audit_events (at, actor, action, account_id, contact_id, subject, caller, result, detail)
			SELECT ?, 'caller', 'pin.verify', s.account_id, s.contact_id,
				CASE WHEN s.contact_id IS NULL THEN ? ELSE '' END, ?, ?,
				CASE WHEN s.recent >= ? THEN 'calling number had ' || s.recent || ' failures in the last hour'
					ELSE 'contact locked until ' || `+tx.RFC3339("s.locked_until")+` END
			FROM (SELECT
					(SELECT count(*) FROM pin_failures WHERE caller = ? AND at > ?) AS recent,
					c.id AS contact_id, c.account_id, p.locked_until
				FROM (SELECT 1 AS one) x
				LEFT JOIN contacts c ON c.support_id = ? AND c.removed_at IS NULL
				LEFT JOIN pin_credentials p ON p.contact_id = c.id) s
			WHERE s.recent >= ? OR (s.contact_id IS NOT NULL AND s.locked_until > ?)
			RETURNING contact_id, account_id, detail`,
			now, typedID(supportID), a.caller, string(Locked),
			limit,
			a.caller, now.Add(-window), supportID,
			limit, now)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check throttle and lock: %w", err)
	}
	a.result, a.detail = Locked, row.Detail
	if row.ContactID != nil {
		a.known = true
		a.contact.ID, a.contact.AccountID, a.contact.SupportID = *row.ContactID, *row.AccountID, supportID
	} else {
		a.subject = typedID(supportID)
	}
	return true, nil
}

// reserve runs the cheap checks and reserves the attempt, inside the first
// transaction. It sets a.result when the answer needs no hash.
//
// Refusals only read, then write their audit event, so that an attacker
// hammering a locked contact or from a throttled number costs little. An
// attempt that will be hashed takes the calling number's row lock, counts
// its failures under it, reserves against the contact, and adds a failure
// row for the number: all in this one transaction.
func (s *Service) reserve(ctx context.Context, tx *store.Tx, a *attempt, supportID string) error {
	now := tx.Now
	*a = attempt{caller: a.caller} // start clean should InTx ever retry

	// The calling number's count is taken once, below, under its row lock:
	// precheck has just refused a number over the limit, and one that went
	// over since is caught there.
	c, err := accounts.ContactBySupportID(ctx, tx, supportID)
	switch {
	case err == nil:
		a.contact, a.known = c, true
	case errcode.Is(err, errcode.Invalid), errcode.Is(err, errcode.NotFound):
		// Not logged: the error quotes what was typed, which might be a PIN
		// keyed at the wrong prompt.
		a.subject = typedID(supportID)
	default:
		return err
	}
	var cred *credentialRow
	if !a.known {
		a.decoyResult = Wrong
		a.detail = "no current contact has this support ID"
	} else {
		if cred, err = credential(ctx, tx, a.contact.ID, false); err != nil {
			return err
		}
		switch {
		case cred != nil && cred.LockedUntil != nil && cred.LockedUntil.After(now):
			a.result = Locked
			a.detail = "contact locked until " + cred.LockedUntil.UTC().Format(time.RFC3339)
			return s.refuse(ctx, tx, a)
		case cred == nil || cred.RevokedAt != nil:
			// Same work as a wrong PIN, so timing does not tell a revoked
			// contact from any other; the answer itself is for the phone
			// line, which speaks it like Wrong.
			a.decoyResult = Revoked
			a.detail = "contact has no PIN"
		case s.Policy.MaxAgeDuration > 0 && !cred.RotatedAt.Add(s.Policy.MaxAgeDuration).After(now):
			// Decided before comparing, so Expired says nothing about the PIN.
			a.decoyResult = Expired
			a.detail = "PIN older than max_age"
		}
	}

	// The attempt will be hashed. Take the calling number's row lock
	// (PostgreSQL; SQLite's immediate transaction already holds the
	// database's) until commit and count again under it, so two replicas
	// cannot both see 9 recent failures and both add a 10th.
	if _, err := tx.Exec(ctx, `INSERT INTO pin_callers (caller, last_attempt_at) VALUES (?, ?)
		ON CONFLICT (caller) DO UPDATE SET last_attempt_at = excluded.last_attempt_at`, a.caller, now); err != nil {
		return fmt.Errorf("lock calling number: %w", err)
	}
	recent, err := recentFailures(ctx, tx, a.caller, now)
	if err != nil {
		return err
	}
	if recent >= s.Policy.MaxFailuresPerNumberPerHour {
		return s.refuseNumber(ctx, tx, a, recent)
	}

	if a.decoyResult == "" {
		// Reserve: count this attempt as a failure now, atomically, unless
		// the contact is locked or the attempts already in flight would
		// lock it. After a lock has ended, the first attempt starts a new
		// run (the stale run is recognised by its last attempt predating
		// the lock's end). PostgreSQL re-checks the WHERE clause against the
		// latest row version when a concurrent reservation got there first,
		// so of 50 concurrent attempts exactly MaxFailures pass.
		const stale = `(locked_until IS NOT NULL AND (last_attempt_at IS NULL OR last_attempt_at < locked_until))`
		err = tx.Get(ctx, &a.reserved, `UPDATE pin_credentials
			SET failures = CASE WHEN `+stale+` THEN 1 ELSE failures + 1 END, last_attempt_at = ?
			WHERE contact_id = ? AND revoked_at IS NULL
			  AND (locked_until IS NULL OR locked_until <= ?)
			  AND (`+stale+` OR failures < ?)
			RETURNING failures`,
			now, a.contact.ID, now, s.Policy.MaxFailures)
		if errors.Is(err, sql.ErrNoRows) {
			a.result = Locked
			a.detail = "attempts in flight already reach max_failures"
			return s.refuse(ctx, tx, a)
		}
		if err != nil {
			return fmt.Errorf("reserve attempt: %w", err)
		}
		a.hash = cred.Hash
	}

	// Count the attempt against the calling number in advance too; settle
	// deletes the row again on success, release on Busy.
	var contactID *int64
	if a.known {
		contactID = &a.contact.ID
	}
	a.failureID, err = tx.Insert(ctx, `INSERT INTO pin_failures (caller, at, contact_id) VALUES (?, ?, ?)`, a.caller, now, contactID)
	if err != nil {
		return fmt.Errorf("reserve attempt for calling number: %w", err)
	}
	return nil
}

// recentFailures counts the calling number's failures in the sliding window
// ending now.
func recentFailures(ctx context.Context, tx *store.Tx, caller string, now time.Time) (int, error) {
	var n int
	if err := tx.Get(ctx, &n, `SELECT count(*) FROM pin_failures WHERE caller = ? AND at > ?`, caller, now.Add(-window)); err != nil {
		return 0, fmt.Errorf("count calling number's failures: %w", err)
	}
	return n, nil
}

// refuseNumber answers Locked for a calling number over its limit. A refusal
// is not a failure: it does not extend the window, so a number is heard
// again one hour after its last counted failure.
func (s *Service) refuseNumber(ctx context.Context, tx *store.Tx, a *attempt, recent int) error {
	a.result = Locked
	a.detail = fmt.Sprintf("calling number had %d failures in the last hour", recent)
	return s.refuse(ctx, tx, a)
}

// refuse records a refusal (Locked, no hash, no counter changed). Its only
// write is the audit row, so the commit does not wait for the disk: a
// refusal must stay cheap while someone hammers the line, and losing the
// audit row of a refusal in a database crash loses no state.
func (s *Service) refuse(ctx context.Context, tx *store.Tx, a *attempt) error {
	if err := tx.RelaxDurability(ctx); err != nil {
		return err
	}
	return s.record(ctx, tx, a, Locked)
}

// release undoes a reservation when no hash was computed (Busy).
func (s *Service) release(ctx context.Context, tx *store.Tx, a *attempt) error {
	if a.hash != "" {
		// Only while the credential is the one reserved against: a rotate or
		// unlock in between has reset the count already.
		if _, err := tx.Exec(ctx, `UPDATE pin_credentials
			SET failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END
			WHERE contact_id = ? AND hash = ?`, a.contact.ID, a.hash); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM pin_failures WHERE id = ?`, a.failureID); err != nil {
		return err
	}
	a.detail = "no hashing slot before the caller's context ended; attempt not counted"
	return s.record(ctx, tx, a, Busy)
}

// settle records the outcome of a hashed attempt and returns the result.
func (s *Service) settle(ctx context.Context, tx *store.Tx, a *attempt, ok bool, rehash string) (Result, error) {
	now := tx.Now
	if a.hash == "" {
		return a.decoyResult, s.record(ctx, tx, a, a.decoyResult)
	}
	cred, err := credential(ctx, tx, a.contact.ID, true)
	if err != nil {
		return "", err
	}
	if cred == nil || cred.RevokedAt != nil || cred.Hash != a.hash {
		// Rotated, revoked or removed while we hashed: the PIN we compared
		// with is no longer the contact's, so it proves nothing, and the
		// counters belong to the new credential.
		r := Wrong
		if cred == nil || cred.RevokedAt != nil {
			r = Revoked
		}
		a.detail = "PIN changed during verification"
		return r, s.record(ctx, tx, a, r)
	}

	if ok {
		// A success resets the consecutive count. It resets the doubling
		// only when the contact has not been locked for max_lockout: an
		// owner who mistyped last month starts again at the first lockout,
		// while someone guessing between the owner's daily calls keeps
		// climbing to the cap.
		lockouts := cred.Lockouts
		if cred.LockedUntil == nil || !cred.LockedUntil.After(now.Add(-s.Policy.MaxLockoutDuration)) {
			lockouts = 0
		}
		hash := cred.Hash
		if rehash != "" {
			hash = rehash
			a.detail = "re-hashed with current parameters"
		}
		if _, err := tx.Exec(ctx, `UPDATE pin_credentials SET failures = 0, lockouts = ?, hash = ? WHERE contact_id = ?`,
			lockouts, hash, a.contact.ID); err != nil {
			return "", fmt.Errorf("reset failures: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM pin_failures WHERE id = ?`, a.failureID); err != nil {
			return "", fmt.Errorf("un-count success for calling number: %w", err)
		}
		return OK, s.record(ctx, tx, a, OK)
	}

	a.detail = "failure " + strconv.Itoa(a.reserved) + " of " + strconv.Itoa(s.Policy.MaxFailures)
	// The attempt that took the count to the limit locks the contact, unless
	// a success in flight has reset the count since.
	if a.reserved >= s.Policy.MaxFailures && cred.Failures >= s.Policy.MaxFailures &&
		(cred.LockedUntil == nil || !cred.LockedUntil.After(now)) {
		d := s.lockFor(cred.Lockouts)
		until := now.Add(d)
		if _, err := tx.Exec(ctx, `UPDATE pin_credentials SET locked_until = ?, lockouts = lockouts + 1 WHERE contact_id = ?`,
			until, a.contact.ID); err != nil {
			return "", fmt.Errorf("lock contact: %w", err)
		}
		a.detail += "; contact locked for " + d.String()
		s.log().Warn("PIN lockout", "support_id", a.contact.SupportID, "caller", a.caller,
			"lockout", cred.Lockouts+1, "locked_until", until)
	}
	return Wrong, s.record(ctx, tx, a, Wrong)
}

// pruneThrottle deletes up to batch throttle rows of each kind older than
// the window, and reports how many it deleted. SKIP LOCKED (on PostgreSQL)
// keeps replicas pruning at once from waiting on, or deadlocking over, the
// same stale rows.
func pruneThrottle(ctx context.Context, tx *store.Tx, now time.Time, batch int) (int64, error) {
	cutoff := now.Add(-window)
	res, err := tx.Exec(ctx, `DELETE FROM pin_failures WHERE id IN
		(SELECT id FROM pin_failures WHERE at <= ? ORDER BY at LIMIT ?`+tx.SkipLocked()+`)`, cutoff, batch)
	if err != nil {
		return 0, fmt.Errorf("prune old failures: %w", err)
	}
	failures, _ := res.RowsAffected()
	res, err = tx.Exec(ctx, `DELETE FROM pin_callers WHERE caller IN
		(SELECT caller FROM pin_callers WHERE last_attempt_at <= ? ORDER BY last_attempt_at LIMIT ?`+tx.SkipLocked()+`)`, cutoff, batch)
	if err != nil {
		return 0, fmt.Errorf("prune old calling numbers: %w", err)
	}
	callers, _ := res.RowsAffected()
	return failures + callers, nil
}

// Prune deletes every throttle row that has left the one-hour window: the
// failures counted against calling numbers and the numbers' lock rows.
// Verifications never prune (it would cost each two more statements, on
// the path an attacker hammers); serve runs Prune every few minutes, so the
// tables hold about an hour and a few minutes of attempts. It works in
// batches of 1,000, one short transaction each, and reports how many rows
// it deleted.
func (s *Service) Prune(ctx context.Context) (int64, error) {
	const batch = 1000
	var total int64
	for {
		var n int64
		err := s.DB.InTx(ctx, func(tx *store.Tx) (err error) {
			n, err = pruneThrottle(ctx, tx, tx.Now, batch)
			return err
		})
		total += n
		if err != nil || n < batch {
			return total, err
		}
	}
}

// record writes the verification's audit event.
func (s *Service) record(ctx context.Context, tx *store.Tx, a *attempt, r Result) error {
	e := audit.Event{Actor: "caller", Action: "pin.verify", Caller: a.caller, Result: string(r), Detail: a.detail}
	if a.known {
		e.AccountID, e.ContactID = &a.contact.AccountID, &a.contact.ID
	} else {
		e.Subject = a.subject
	}
	return audit.Record(ctx, tx, e)
}

func (s *Service) logResult(a *attempt, r Result) {
	id := a.subject
	if a.known {
		id = a.contact.SupportID
	}
	s.log().Info("PIN verification", "result", string(r), "support_id", id, "caller", a.caller)
}

// typedID is what the audit log keeps of a support ID that matched no
// contact: its first four digits and its length. Enough to spot someone
// walking through support IDs or a contact mistyping theirs, but not a whole
// PIN when a caller keys their PIN at the support-ID prompt.
func typedID(s string) string {
	digits := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			digits = append(digits, s[i])
		}
	}
	n := len(digits)
	if n > 4 {
		digits = append(digits[:4], "..."...)
	}
	return fmt.Sprintf("%s (%d digits)", digits, n)
}
