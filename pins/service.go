package pins

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"supportline/accounts"
	"supportline/config"
	"supportline/errcode"
	"supportline/store"
)

// Result is the outcome of a PIN verification.
type Result string

// The results of Verify. Only OK proves who the caller is. The phone line
// speaks Wrong and Revoked alike, so a caller cannot tell an unknown support
// ID from a wrong PIN; and an unknown support ID locks as a real one does.
const (
	// OK: the PIN is right and the contact may proceed.
	OK Result = "ok"
	// Wrong: the PIN is wrong, or the support ID is unknown, removed or
	// malformed.
	Wrong Result = "wrong"
	// Locked: too many failures, for the contact (for an unmatched entry
	// or a contact without a PIN: for what was keyed) or for the calling
	// number; no PIN was checked.
	Locked Result = "locked"
	// Revoked: the contact has no PIN (revoked, or never rotated).
	Revoked Result = "revoked"
	// Expired: the PIN is older than the policy's max_age. Whether it was
	// right is not checked, so Expired reveals nothing about the PIN.
	Expired Result = "expired"
	// Busy: no room for another attempt (as many attempts in flight as
	// failures are left) or no hashing slot before the caller's deadline
	// came close, or the caller hung up first; no PIN was checked, nothing
	// was counted, and the caller may try again at once.
	Busy Result = "busy"
)

// window is the span of the per-number throttle.
const window = time.Hour

// reservationTTL is how long a reserved attempt counts against the room of
// its contact, entry and calling number. An attempt settles within its
// caller's deadline (seconds); one that has not settled by then never will
// (its process died, or the outcome could not be recorded), and expires
// instead of becoming a failure.
const reservationTTL = 2 * time.Minute

// settleTimeout bounds the bookkeeping after hashing when the caller's
// context has no deadline (the phone line's always has one, and the settle
// then ends with it).
const settleTimeout = 10 * time.Second

// defaultWaitMargin is how much of the caller's deadline an attempt waiting
// for room leaves for its hash and its settle (see Service.WaitMargin).
const defaultWaitMargin = 1500 * time.Millisecond

// The waits for room poll every pollMin plus up to pollJitter, so that
// waiting callers do not all try again in the same instant.
const (
	pollMin    = 20 * time.Millisecond
	pollJitter = 30 * time.Millisecond
)

// Recording an outcome is retried after retryMin, doubling up to retryMax,
// until the caller's deadline.
const (
	retryMin = 20 * time.Millisecond
	retryMax = 400 * time.Millisecond
)

// Service verifies and administers PINs. Counters live in the database, so
// any number of replicas may share one; the zero value is not usable: build
// it with NewWithAccounts, or as a literal with DB, Accounts and Policy (a
// validated config.PinPolicy) set, and Secret in a server.
type Service struct {
	// DB holds the credentials, the counters and the audit log.
	DB *store.DB
	// Accounts reads the contacts a PIN belongs to (contacts are its
	// table). Required: without it every method that names a contact
	// fails. Its Credentials is normally this Service, for contact removal;
	// reading contacts does not need that.
	Accounts *accounts.Service
	// Policy is the pins section of a validated policy file: length,
	// argon2 cost of new hashes, lockout and throttle limits, max age.
	Policy config.PinPolicy
	// Pool bounds concurrent hashes. When nil, a pool of
	// Policy.MaxConcurrentHashes slots is made on first use; share one Pool
	// between Services in one process so the memory bound holds.
	Pool *Pool
	// Log receives one line per verification (never a PIN, a hash or the
	// digits of an unmatched entry). Nil discards.
	Log *slog.Logger
	// Secret keys the hash that names an unmatched entry (see Claim). Every
	// replica must have the same one, and it must survive restarts: the
	// lockouts of unmatched entries are stored under that name. When empty,
	// a random key is made on first use, so such lockouts neither survive a
	// restart nor are shared between replicas (enough for one-off CLI work
	// and tests; serve always sets one).
	Secret []byte
	// WaitMargin is how long before the caller's deadline an attempt stops
	// waiting for room (or for a hashing slot) and answers Busy, so that the
	// hash and the recording of its outcome still fit in the deadline. Zero
	// means 1.5 s; it is never more than half of what the deadline leaves
	// when Verify starts.
	WaitMargin time.Duration

	once         sync.Once
	defaultPool  *Pool
	secretOnce   sync.Once
	randomSecret []byte
	// hashed, when set (by tests), is called for every argon2id computation
	// Verify makes: real for a stored hash, !real for the decoy.
	hashed func(real bool)
	// beforeHash, when set (by tests), runs just before Verify asks the pool
	// for a slot.
	beforeHash func()
	// afterReserve, when set (by tests), runs once an attempt is reserved;
	// an error makes Verify return it at once, leaving the reservation as a
	// process killed at that point would.
	afterReserve func() error
	// settleHook, when set (by tests), runs inside every transaction that
	// records an outcome; an error fails (and rolls back) that transaction.
	settleHook func() error
}

// NewWithAccounts builds the pins Service and the accounts Service on db,
// each naming the other: accounts forgets a removed contact's PIN through
// pins (accounts.Service.Credentials) in the removal's own transaction, and
// pins reads contacts through accounts (Service.Accounts). Neither works
// fully alone, and neither package can build the pair by itself without
// the other's literal, so this is the one place the pair is wired; every
// program and test harness that needs both calls it. policy is the whole
// validated policy (accounts reads plans from it); pinPolicy is the pins
// section, normally policy.Pins (tests lower its argon2 cost). log may be
// nil (discards); secret may be nil (see Service.Secret). Both are plain
// literals, so callers may still set other fields (Pool, WaitMargin)
// before first use.
func NewWithAccounts(db *store.DB, policy *config.Policy, pinPolicy config.PinPolicy, log *slog.Logger, secret []byte) (*Service, *accounts.Service) {
	acc := &accounts.Service{DB: db, Policy: policy}
	pin := &Service{DB: db, Accounts: acc, Policy: pinPolicy, Log: log, Secret: secret}
	acc.Credentials = pin
	return pin, acc
}

// contactTx reads the current contact with supportID inside q, through
// Accounts (errcode.Invalid for a malformed ID, errcode.NotFound for none).
func (s *Service) contactTx(ctx context.Context, q store.Querier, supportID string) (accounts.Contact, error) {
	if s.Accounts == nil {
		return accounts.Contact{}, errors.New("pins.Service has no Accounts to read contacts with")
	}
	return s.Accounts.ContactBySupportIDTx(ctx, q, supportID)
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

// attempt is what a verification learns on its way.
type attempt struct {
	claim  Claim
	caller string // throttle bucket, also the audit's caller
	// key names what was keyed, for the lockout of an entry that is not a
	// contact with a current PIN: the claim's key, or the keyed hash of the
	// claimed support ID.
	key string
	// subject is what the audit log and the log lines show of an unmatched
	// entry: no digit of it.
	subject string

	// Set by reserve, afresh on each try.
	contact accounts.Contact
	known   bool
	// hash is the stored hash to compare with, and says that the attempt
	// counts against the contact's credential; empty means the decoy.
	hash string
	// countEntry says that the attempt counts against pin_entries (key).
	countEntry bool
	// decoyResult is the answer after a decoy hash: Wrong (unknown ID),
	// Revoked or Expired; why says why, for the audit.
	decoyResult Result
	why         string
	// reservation is the pin_attempts row holding this attempt's room.
	reservation int64
	// result is set when the answer is decided without hashing (Locked).
	result Result
	detail string

	// lockedFor is set by settle when this attempt's failure locked.
	lockedFor time.Duration
}

func (s *Service) newAttempt(claim Claim, callerNumber string) (*attempt, error) {
	a := &attempt{claim: claim, caller: CallerKey(callerNumber)}
	switch {
	case claim.SupportID != "" && claim.Key == "":
		a.key = s.entryKey(claim.SupportID)
	case claim.SupportID == "" && validKey(claim.Key):
		a.key = claim.Key
	default:
		return nil, errcode.New(errcode.Invalid, "a claim needs exactly one of a support ID and a well-formed key")
	}
	a.subject = unmatched(a.key)
	return a, nil
}

// Verify checks pin for the caller who made claim (see Claim), called from
// callerNumber (as the phone line received it; may be empty or
// "anonymous").
//
// The returned contact is zero unless the result is OK, so that nothing can
// act on an identity the caller has not proven. The error is non-nil only
// for infrastructure failures (the database) and a malformed claim; the
// phone line then says "one moment, please" and may retry. Verify never
// logs, stores or returns pin, nor any digit of an unmatched entry.
//
// Order of work:
//  1. Two reads outside any transaction (the contact, through accounts;
//     the throttle and the locks) refuse a throttled calling number, a
//     locked contact or a locked entry (precheck), and a short transaction
//     that need not wait for the disk writes the refusal's audit event.
//  2. One short transaction reserves the attempt: it reads the contact,
//     locks the row of what the attempt counts against (the credential, or
//     the entry's row for an unmatched entry or a contact without a PIN)
//     and then the calling number's row, and inserts a reservation if there
//     is room: failures plus live reservations below max_failures for the
//     contact or entry, and below the hourly limit for the number. A
//     reservation is not a failure; it holds room while the hash runs.
//  3. With no room (and no lock), the attempt waits, polling with cheap
//     reads, until there is room (another attempt settled) or the deadline
//     is WaitMargin away; then it answers Busy.
//  4. The hash, outside any transaction, in the pool. An unmatched entry, a
//     contact without a PIN and an expired PIN get a decoy hash of the same
//     cost.
//  5. A second transaction settles the attempt: it deletes the reservation,
//     counts a failure (against the credential or entry, and a row for the
//     calling number) or resets the count on success, and locks on the
//     max_failures-th failure. It runs even if the caller hangs up, and is
//     retried with a short backoff until the caller's deadline; if it still
//     fails, Verify returns the error and the reservation expires after
//     reservationTTL without ever becoming a failure.
//
// So at most max_failures wrong PINs are compared before a lock however many
// callers try at once, callers with the right PIN are never told Locked
// because others are trying, and an unknown support ID answers exactly as a
// real one does through its lockouts.
func (s *Service) Verify(ctx context.Context, claim Claim, pin, callerNumber string) (accounts.Contact, Result, error) {
	a, err := s.newAttempt(claim, callerNumber)
	if err != nil {
		return accounts.Contact{}, "", fmt.Errorf("verify PIN: %w", err)
	}
	refused, err := s.precheck(ctx, a)
	if err != nil {
		return accounts.Contact{}, "", fmt.Errorf("verify PIN: %w", err)
	}
	if refused {
		s.logResult(a, a.result)
		return accounts.Contact{}, a.result, nil
	}

	waitUntil := s.waitUntil(ctx)
	for {
		err = s.DB.InTx(ctx, func(tx *store.Tx) error { return s.reserve(ctx, tx, a) })
		if !errors.Is(err, errNoRoom) {
			break
		}
		if !s.waitForRoom(ctx, a, waitUntil) {
			return s.busy(ctx, a, "no room for another attempt before the deadline; attempt not counted")
		}
	}
	if err != nil {
		return accounts.Contact{}, "", fmt.Errorf("verify PIN: %w", err)
	}
	if a.result != "" {
		s.logResult(a, a.result)
		return accounts.Contact{}, a.result, nil
	}
	if s.afterReserve != nil {
		if err := s.afterReserve(); err != nil {
			return accounts.Contact{}, "", err
		}
	}

	if s.beforeHash != nil {
		s.beforeHash()
	}
	var (
		ok     bool
		params Params
		cmpErr error
	)
	hctx, cancel := ctx, context.CancelFunc(func() {})
	if !waitUntil.IsZero() {
		hctx, cancel = context.WithDeadline(ctx, waitUntil)
	}
	err = s.pool().Do(hctx, func() {
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
	cancel()
	if err != nil {
		return s.busy(ctx, a, "no hashing slot before the deadline, or the caller hung up; attempt not counted")
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

	// From here on the attempt is recorded even if the caller hangs up,
	// within the caller's deadline.
	sctx, scancel := settleContext(ctx)
	defer scancel()
	var result Result
	err = s.retry(sctx, func(tx *store.Tx) error {
		var err error
		result, err = s.settle(sctx, tx, a, ok, rehash)
		return err
	})
	if err != nil {
		return accounts.Contact{}, "", fmt.Errorf("verify PIN: record attempt (its reservation expires): %w", err)
	}
	s.logLockout(a)
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

// busy gives back the attempt's reservation, if it has one, and records a
// Busy answer.
func (s *Service) busy(ctx context.Context, a *attempt, why string) (accounts.Contact, Result, error) {
	sctx, cancel := settleContext(ctx)
	defer cancel()
	a.detail = why
	if err := s.retry(sctx, func(tx *store.Tx) error { return s.release(sctx, tx, a) }); err != nil {
		return accounts.Contact{}, "", fmt.Errorf("verify PIN: release attempt (its reservation expires): %w", err)
	}
	s.logResult(a, Busy)
	return accounts.Contact{}, Busy, nil
}

// settleContext is the context the outcome is recorded in: not cancelled
// when the caller hangs up, but ending at the caller's deadline (or after
// settleTimeout when there is none), so that the whole verification fits in
// the caller's one budget.
func settleContext(ctx context.Context) (context.Context, context.CancelFunc) {
	base := context.WithoutCancel(ctx)
	if dl, ok := ctx.Deadline(); ok {
		return context.WithDeadline(base, dl)
	}
	return context.WithTimeout(base, settleTimeout)
}

// waitUntil is when an attempt stops waiting for room or a hashing slot:
// WaitMargin before ctx's deadline, but no earlier than half-way there.
// Zero when ctx has no deadline (the wait then ends with ctx, or when room
// comes, at the latest when the reservations in the way expire).
func (s *Service) waitUntil(ctx context.Context) time.Time {
	dl, ok := ctx.Deadline()
	if !ok {
		return time.Time{}
	}
	margin := s.WaitMargin
	if margin <= 0 {
		margin = defaultWaitMargin
	}
	// The deadline is wall-clock time (the injected clock is the store's
	// notion of now, for the rows; this is about the caller's budget).
	return dl.Add(-min(margin, time.Until(dl)/2))
}

// waitForRoom sleeps until a cheap read says reserving may succeed now
// (there is room, or a lock to answer), and reports false when the wait
// must end first: until is near, or ctx ended.
func (s *Service) waitForRoom(ctx context.Context, a *attempt, until time.Time) bool {
	for {
		d := pollMin + rand.N(pollJitter)
		if !until.IsZero() && time.Until(until) < d {
			return false
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
		try, err := s.probe(ctx, a)
		if err != nil {
			// Let reserve meet (and report) the failure, unless ctx ended.
			return ctx.Err() == nil
		}
		if try {
			return true
		}
	}
}

// retry runs fn in a transaction until it commits, backing off between
// tries, and gives up with the last error when ctx would end before the
// next try.
func (s *Service) retry(ctx context.Context, fn func(tx *store.Tx) error) error {
	backoff := retryMin
	for {
		err := s.DB.InTx(ctx, fn)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < backoff {
			return err
		}
		s.log().Warn("PIN verification: recording failed; retrying", "err", err, "retry_in", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		backoff = min(2*backoff, retryMax)
	}
}
