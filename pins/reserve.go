package pins

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"supportline/errcode"
	"supportline/store"
)

// counters are the lockout state of what attempts count against: a
// contact's credential, or an unmatched entry. Both follow the same rules,
// so that an unknown support ID locks exactly as a real one.
type counters struct {
	// Failures is the current run of consecutive settled failures.
	Failures int `db:"failures"`
	// Lockouts counts locks for the doubling.
	Lockouts int `db:"lockouts"`
	// LockedUntil stays after a lock ends: a run whose last failure
	// predates it is over (see run).
	LockedUntil *time.Time `db:"locked_until"`
	// LastAttemptAt is the time of the last counted failure.
	LastAttemptAt *time.Time `db:"last_attempt_at"`
}

// locked reports whether the counters are locked at now.
func (c counters) locked(now time.Time) bool {
	return c.LockedUntil != nil && c.LockedUntil.After(now)
}

// run is the failures that count at now: none once a lock has ended and no
// failure has been counted since (the run that caused it is over).
func (c counters) run(now time.Time) int {
	if c.LockedUntil != nil && !c.LockedUntil.After(now) &&
		(c.LastAttemptAt == nil || c.LastAttemptAt.Before(*c.LockedUntil)) {
		return 0
	}
	return c.Failures
}

// fail counts one failure at now and returns the new counters, and how long
// they are locked for when this failure reached max_failures (else zero).
func (s *Service) fail(c counters, now time.Time) (counters, time.Duration) {
	c.Failures = c.run(now) + 1
	c.LastAttemptAt = &now
	if c.Failures < s.Policy.MaxFailures || c.locked(now) {
		return c, 0
	}
	d := s.lockFor(c.Lockouts)
	until := now.Add(d)
	c.LockedUntil, c.Lockouts = &until, c.Lockouts+1
	return c, d
}

// credentialRow is a pin_credentials row without the hash's consumers
// needing to know the column list.
type credentialRow struct {
	Hash      string     `db:"hash"`
	RotatedAt time.Time  `db:"rotated_at"`
	RevokedAt *time.Time `db:"revoked_at"`
	counters
}

const credentialColumns = `hash, rotated_at, revoked_at, failures, lockouts, locked_until, last_attempt_at`

// credential reads a contact's credential; errNoCredential when it has none.
func credential(ctx context.Context, tx *store.Tx, contactID int64, forUpdate bool) (*credentialRow, error) {
	lock := ""
	if forUpdate {
		lock = tx.ForUpdate()
	}
	return readCredential(ctx, tx, contactID, lock)
}

// errNoCredential is what credential and readCredential return for a
// contact that has never had a PIN (or whose credential was forgotten).
var errNoCredential = errcode.New(errcode.NotFound, "the contact has no PIN")

// readCredential is credential for a Querier, with the locking clause lock
// ("" outside a transaction, which has none to give). A contact without a
// credential is errNoCredential.
func readCredential(ctx context.Context, db store.Querier, contactID int64, lock string) (*credentialRow, error) {
	var c credentialRow
	err := db.Get(ctx, &c, `SELECT `+credentialColumns+` FROM pin_credentials WHERE contact_id = ?`+lock, contactID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoCredential
	}
	if err != nil {
		return nil, fmt.Errorf("read PIN credential: %w", err)
	}
	return &c, nil
}

const entryColumns = `failures, lockouts, locked_until, last_attempt_at`

// lockEntry reads an entry's counters under its row lock, creating the row
// (with no failures) if there is none. The row is the lock that serialises
// the attempts on that entry across replicas, as the credential's row does
// for a contact's (SQLite: the immediate transaction already serialises).
func lockEntry(ctx context.Context, tx *store.Tx, key string) (counters, error) {
	var c counters
	err := tx.Get(ctx, &c, `INSERT INTO pin_entries (entry_key) VALUES (?)
		ON CONFLICT (entry_key) DO UPDATE SET failures = pin_entries.failures
		RETURNING `+entryColumns, key)
	if err != nil {
		return c, fmt.Errorf("lock entry: %w", err)
	}
	return c, nil
}

// readEntry reads an entry's counters without locking; none when it has no
// row.
func readEntry(ctx context.Context, db store.Querier, key string) (counters, error) {
	var c counters
	err := db.Get(ctx, &c, `SELECT `+entryColumns+` FROM pin_entries WHERE entry_key = ?`, key)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("read entry: %w", err)
	}
	return c, nil
}

// precheck answers the attempts refused without a hash (a throttled calling
// number, a locked contact, a locked entry) from reads outside any
// transaction, and records the refusal in a transaction of its own. The
// contact comes from accounts (contactTx) and the throttle and locks from
// one read of pins' tables, so an attempt that is let through costs two
// statements, and a refusal three more (BEGIN, the audit row, a commit that
// does not wait for the disk: refusals). An entry's lock counts only when
// the claimed support ID is not a contact with a current PIN (a new contact
// may since have been given an ID someone once mistyped). Whatever precheck
// lets through, reserve checks again under locks; a refusal it decides from
// rows a moment old is one those rows justified.
func (s *Service) precheck(ctx context.Context, a *attempt) (bool, error) {
	var detail string
	err := s.DB.Statements(ctx, func(q *store.Q) error {
		var err error
		detail, err = s.refusal(ctx, q, a)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("check throttle and locks: %w", err)
	}
	if detail == "" {
		return false, nil
	}
	if err := s.DB.InTx(ctx, func(tx *store.Tx) error { return s.refuse(ctx, tx, a, detail) }, refusals); err != nil {
		return false, fmt.Errorf("record refusal: %w", err)
	}
	return true, nil
}

// refusal is why precheck refuses the attempt, or "" to let it through. It
// sets a.contact and a.known for the claimed contact, if current.
func (s *Service) refusal(ctx context.Context, q *store.Q, a *attempt) (string, error) {
	var contactID any // NULL matches no credential
	if a.claim.SupportID != "" {
		c, err := s.contactTx(ctx, q, a.claim.SupportID)
		switch {
		case err == nil:
			a.contact, a.known, contactID = c, true, c.ID
		case errcode.Is(err, errcode.Invalid), errcode.Is(err, errcode.NotFound):
			// An unmatched entry; the error quotes the claim: dropped.
		default:
			return "", err
		}
	}
	var row struct {
		Recent           int        `db:"recent"`
		LockedUntil      *time.Time `db:"locked_until"`
		HasPIN           int        `db:"has_pin"`
		EntryLockedUntil *time.Time `db:"entry_locked_until"`
	}
	now := q.Now
	err := q.Get(ctx, &row, `SELECT
			(SELECT count(*) FROM pin_failures WHERE caller = ? AND at > ?) AS recent,
			p.locked_until,
			CASE WHEN p.contact_id IS NOT NULL AND p.revoked_at IS NULL THEN 1 ELSE 0 END AS has_pin,
			e.locked_until AS entry_locked_until
		FROM (SELECT 1 AS one) x
		LEFT JOIN pin_credentials p ON p.contact_id = ?
		LEFT JOIN pin_entries e ON e.entry_key = ?`,
		a.caller, now.Add(-window), contactID, a.key)
	if err != nil {
		return "", err
	}
	switch {
	case row.Recent >= s.Policy.MaxFailuresPerNumberPerHour:
		return fmt.Sprintf("calling number had %d failures in the last hour", row.Recent), nil
	case a.known && row.LockedUntil != nil && row.LockedUntil.After(now):
		return "contact locked until " + row.LockedUntil.UTC().Format(time.RFC3339), nil
	case row.HasPIN == 0 && row.EntryLockedUntil != nil && row.EntryLockedUntil.After(now):
		return "entry locked until " + row.EntryLockedUntil.UTC().Format(time.RFC3339), nil
	}
	return "", nil
}

// errNoRoom says that reserve found no room for the attempt, and rolled
// back.
var errNoRoom = errors.New("no room for another attempt")

// reset forgets what an earlier try of reserve learnt.
func (a *attempt) reset() {
	*a = attempt{claim: a.claim, caller: a.caller, key: a.key, subject: a.subject}
}

// reserve runs the cheap checks and reserves the attempt, inside the first
// transaction. It sets a.result when the answer needs no hash, and returns
// errNoRoom (so the transaction rolls back) when the attempt must wait.
//
// Rows are locked in one order, what the attempt counts against first (the
// credential, or the entry), then the calling number, so that reservations
// on other replicas never deadlock. Under both locks it counts the number's
// failures in the last hour and the live reservations, and inserts its own.
func (s *Service) reserve(ctx context.Context, tx *store.Tx, a *attempt) error {
	now := tx.Now
	a.reset() // start clean should InTx ever retry, and on every wait

	if a.claim.SupportID != "" {
		c, err := s.contactTx(ctx, tx, a.claim.SupportID)
		switch {
		case err == nil:
			a.contact, a.known = c, true
		case errcode.Is(err, errcode.Invalid), errcode.Is(err, errcode.NotFound):
			// Removed since the claim (or a claim made from raw digits):
			// an unmatched entry, under the key of what was claimed. Not
			// logged: the error quotes the claim.
		default:
			return err
		}
	}
	var st counters
	if !a.known {
		a.decoyResult, a.why, a.countEntry = Wrong, "no current contact has this support ID", true
	} else {
		cred, err := credential(ctx, tx, a.contact.ID, true)
		if err != nil && !errors.Is(err, errNoCredential) {
			return err
		}
		switch { // cred is nil for a contact without a PIN
		case cred != nil && cred.locked(now):
			return s.refuse(ctx, tx, a, "contact locked until "+cred.LockedUntil.UTC().Format(time.RFC3339))
		case cred == nil || cred.RevokedAt != nil:
			// Same work as a wrong PIN, so timing does not tell a revoked
			// contact from any other, and the same lockout as an unknown
			// ID; the answer itself is for the phone line, which speaks it
			// like Wrong.
			a.decoyResult, a.why, a.countEntry = Revoked, "contact has no PIN", true
		case s.Policy.MaxAgeDuration > 0 && !cred.RotatedAt.Add(s.Policy.MaxAgeDuration).After(now):
			// Decided before comparing, so Expired says nothing about the
			// PIN. Counted against the calling number only: the phone line
			// says "expired" anyway.
			a.decoyResult, a.why = Expired, "PIN older than max_age"
		default:
			a.hash, st = cred.Hash, cred.counters
		}
	}
	if a.countEntry {
		var err error
		if st, err = lockEntry(ctx, tx, a.key); err != nil {
			return err
		}
		if st.locked(now) {
			return s.refuse(ctx, tx, a, "entry locked until "+st.LockedUntil.UTC().Format(time.RFC3339))
		}
	}

	// Take the calling number's row lock (PostgreSQL; SQLite's immediate
	// transaction already holds the database's) until commit and count
	// under it, so two replicas cannot both see room for one more.
	if _, err := tx.Exec(ctx, `INSERT INTO pin_callers (caller, last_attempt_at) VALUES (?, ?)
		ON CONFLICT (caller) DO UPDATE SET last_attempt_at = excluded.last_attempt_at`, a.caller, now); err != nil {
		return fmt.Errorf("lock calling number: %w", err)
	}
	n, err := s.inFlight(ctx, tx, a, now)
	if err != nil {
		return err
	}
	if n.CallerFailures >= s.Policy.MaxFailuresPerNumberPerHour {
		return s.refuse(ctx, tx, a, fmt.Sprintf("calling number had %d failures in the last hour", n.CallerFailures))
	}
	if !s.room(a, st, n, now) {
		return errNoRoom
	}
	var contactID, entryKey any
	if a.hash != "" {
		contactID = a.contact.ID
	}
	if a.countEntry {
		entryKey = a.key
	}
	a.reservation, err = tx.Insert(ctx, `INSERT INTO pin_attempts (started_at, caller, contact_id, entry_key) VALUES (?, ?, ?, ?)`,
		now, a.caller, contactID, entryKey)
	if err != nil {
		return fmt.Errorf("reserve attempt: %w", err)
	}
	return nil
}

// inFlight is what counts against the room of an attempt besides its
// contact's or entry's failures.
type inFlight struct {
	CallerFailures int `db:"caller_failures"` // the calling number's failures in the last hour
	CallerLive     int `db:"caller_live"`     // its live reservations
	SubjectLive    int `db:"subject_live"`    // the live reservations of the contact or entry
}

func (s *Service) inFlight(ctx context.Context, db store.Querier, a *attempt, now time.Time) (inFlight, error) {
	var contactID, entryKey any // NULL counts nothing
	if a.hash != "" {
		contactID = a.contact.ID
	}
	if a.countEntry {
		entryKey = a.key
	}
	live := now.Add(-reservationTTL)
	var n inFlight
	err := db.Get(ctx, &n, `SELECT
			(SELECT count(*) FROM pin_failures WHERE caller = ? AND at > ?) AS caller_failures,
			(SELECT count(*) FROM pin_attempts WHERE caller = ? AND started_at > ?) AS caller_live,
			(SELECT count(*) FROM pin_attempts WHERE contact_id = ? AND started_at > ?)
				+ (SELECT count(*) FROM pin_attempts WHERE entry_key = ? AND started_at > ?) AS subject_live`,
		a.caller, now.Add(-window), a.caller, live, contactID, live, entryKey, live)
	if err != nil {
		return n, fmt.Errorf("count attempts in flight: %w", err)
	}
	return n, nil
}

// room reports whether one more attempt may be in flight: the failures and
// live reservations of the calling number stay under its hourly limit, and
// those of the contact or entry under max_failures. So however many try at
// once, no more PINs are compared than failures are left before the lock.
func (s *Service) room(a *attempt, st counters, n inFlight, now time.Time) bool {
	if n.CallerFailures+n.CallerLive >= s.Policy.MaxFailuresPerNumberPerHour {
		return false
	}
	if a.hash == "" && !a.countEntry {
		return true // an expired PIN counts against the number only
	}
	return st.run(now)+n.SubjectLive < s.Policy.MaxFailures
}

// probe is the poll of an attempt waiting for room: reads without locks or
// a transaction (so that waiting callers do not queue on the rows the
// settling ones need), reporting whether reserving is worth trying again:
// there is room now, or a lock or the throttle to answer.
func (s *Service) probe(ctx context.Context, a *attempt) (bool, error) {
	try := false
	err := s.DB.Statements(ctx, func(q *store.Q) error {
		now := q.Now
		var st counters
		switch {
		case a.hash != "":
			cred, err := readCredential(ctx, q, a.contact.ID, "")
			if errors.Is(err, errNoCredential) {
				try = true // changed: let reserve look again
				return nil
			}
			if err != nil {
				try = true
				return err
			}
			st = cred.counters
		case a.countEntry:
			var err error
			if st, err = readEntry(ctx, q, a.key); err != nil {
				return err
			}
		}
		if st.locked(now) {
			try = true
			return nil
		}
		n, err := s.inFlight(ctx, q, a, now)
		if err != nil {
			return err
		}
		try = n.CallerFailures >= s.Policy.MaxFailuresPerNumberPerHour || s.room(a, st, n, now)
		return nil
	})
	return try, err
}

// refusals is how the audit row of a refused attempt commits (see refuse):
// the one place that choice is made. precheck's transaction, which only
// refuses, starts lax (on PostgreSQL: on the lax pool); reserve learns
// that it refuses midway, and refuse sets it on the transaction.
const refusals = store.Lax

// refuse records a refusal (Locked, no hash, no counter changed). Its only
// write is the audit row (and the calling number's lock row), so the commit
// need not wait for the disk (refusals): a refusal must stay cheap while
// someone hammers the line, and losing the audit row of a refusal in a
// database crash loses no state.
func (s *Service) refuse(ctx context.Context, tx *store.Tx, a *attempt, detail string) error {
	a.result, a.detail = Locked, detail
	tx.Durability = refusals
	return s.record(ctx, tx, a, Locked)
}
