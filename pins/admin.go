package pins

import (
	"context"
	"errors"
	"fmt"
	"time"

	"supportline/accounts"
	"supportline/audit"
	"supportline/errcode"
	"supportline/store"
)

// Rotate gives the contact with supportID a new server-generated PIN and
// returns it: the only time it exists outside the caller's head. The old PIN
// stops working at once (verifications still hashing against it answer
// Wrong), and revocation, failures and the lockout doubling are cleared. The
// audit event names actor, never the PIN.
func (s *Service) Rotate(ctx context.Context, actor, supportID string) (string, error) {
	var c accounts.Contact
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		c, err = s.contactTx(ctx, tx, supportID)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("rotate PIN: %w", err)
	}
	// Nothing an attacker may know about the contact can be the PIN.
	pin, err := Generate(s.Policy.Length, c.Phone, c.SupportID, c.AccountNumber)
	if err != nil {
		return "", fmt.Errorf("rotate PIN: %w", err)
	}
	// Hash outside the transaction (it takes tens of milliseconds, during
	// which SQLite would hold its only write lock) and through the pool, so
	// admin work counts against the same memory bound as calls.
	var hash string
	var herr error
	if err := s.pool().Do(ctx, func() { hash, herr = Hash(pin, s.params()) }); err != nil {
		return "", errcode.New(errcode.Unavailable, "PIN hashing is busy; try again")
	}
	if herr != nil {
		return "", fmt.Errorf("rotate PIN: %w", herr)
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		// The contact may have been removed while we hashed.
		c, err := s.contactTx(ctx, tx, supportID)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO pin_credentials
				(contact_id, hash, rotated_at, revoked_at, failures, lockouts, locked_until, last_attempt_at)
			VALUES (?, ?, ?, NULL, 0, 0, NULL, NULL)
			ON CONFLICT (contact_id) DO UPDATE SET hash = excluded.hash, rotated_at = excluded.rotated_at,
				revoked_at = NULL, failures = 0, lockouts = 0, locked_until = NULL, last_attempt_at = NULL`,
			c.ID, hash, tx.Now); err != nil {
			return fmt.Errorf("store PIN hash: %w", err)
		}
		// The lockout counted while the contact had no PIN goes with it.
		if _, err := tx.Exec(ctx, `DELETE FROM pin_entries WHERE entry_key = ?`, s.entryKey(c.SupportID)); err != nil {
			return fmt.Errorf("clear lockout without a PIN: %w", err)
		}
		return audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "pin.rotate", AccountID: &c.AccountID, ContactID: &c.ID,
			Detail: "new PIN issued; old PIN, failures and lockout cleared"})
	})
	if err != nil {
		return "", fmt.Errorf("rotate PIN: %w", err)
	}
	return pin, nil
}

// Revoke stops every PIN of the contact from working until the next Rotate.
// Revoking a revoked PIN is a no-op (still audited); a contact that never had
// a PIN is a conflict.
func (s *Service) Revoke(ctx context.Context, actor, supportID string) error {
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		c, err := s.contactTx(ctx, tx, supportID)
		if err != nil {
			return err
		}
		cred, err := credential(ctx, tx, c.ID, true)
		if errors.Is(err, errNoCredential) {
			return errcode.Errorf(errcode.Conflict, "contact %s has no PIN to revoke", c.SupportID)
		}
		if err != nil {
			return err
		}
		detail := "PIN revoked"
		if cred.RevokedAt != nil {
			detail = "PIN was already revoked"
		} else if _, err := tx.Exec(ctx, `UPDATE pin_credentials SET revoked_at = ? WHERE contact_id = ?`, tx.Now, c.ID); err != nil {
			return fmt.Errorf("revoke PIN: %w", err)
		}
		return audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "pin.revoke", AccountID: &c.AccountID, ContactID: &c.ID, Detail: detail})
	})
	if err != nil {
		return fmt.Errorf("revoke PIN: %w", err)
	}
	return nil
}

// Unlock lifts the contact's lockout: it clears the lock, the failure count
// and the doubling (also those counted while the contact had no PIN), gives
// back the room held by the contact's attempts in flight (their outcomes
// will not be counted), and forgets the failures counted against calling
// numbers that were about this contact or came from the contact's own
// phone, so a contact who mistyped their way into both limits can call
// straight away. Failures other numbers made against other support IDs stay
// counted.
func (s *Service) Unlock(ctx context.Context, actor, supportID string) error {
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		c, err := s.contactTx(ctx, tx, supportID)
		if err != nil {
			return err
		}
		// In the order verifications lock: credential, entry, reservations.
		key := s.entryKey(c.SupportID)
		if _, err := tx.Exec(ctx, `UPDATE pin_credentials SET failures = 0, lockouts = 0, locked_until = NULL WHERE contact_id = ?`, c.ID); err != nil {
			return fmt.Errorf("clear lockout: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM pin_entries WHERE entry_key = ?`, key); err != nil {
			return fmt.Errorf("clear lockout without a PIN: %w", err)
		}
		res, err := tx.Exec(ctx, `DELETE FROM pin_attempts WHERE contact_id = ? OR entry_key = ?`, c.ID, key)
		if err != nil {
			return fmt.Errorf("clear attempts in flight: %w", err)
		}
		inFlight, _ := res.RowsAffected()
		res, err = tx.Exec(ctx, `DELETE FROM pin_failures WHERE contact_id = ? OR caller = ?`, c.ID, CallerKey(c.Phone))
		if err != nil {
			return fmt.Errorf("clear calling-number failures: %w", err)
		}
		n, _ := res.RowsAffected()
		detail := fmt.Sprintf("lockout and failures cleared; %d calling-number failure(s) forgotten", n)
		if inFlight > 0 {
			detail += fmt.Sprintf("; %d attempt(s) in flight not to be counted", inFlight)
		}
		return audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "pin.unlock", AccountID: &c.AccountID, ContactID: &c.ID,
			Detail: detail})
	})
	if err != nil {
		return fmt.Errorf("unlock PIN: %w", err)
	}
	return nil
}

// The pins service is what accounts forgets a removed contact's PIN with.
var _ accounts.Credentials = (*Service)(nil)

// ForgetTx deletes the PIN credential of the contact inside tx, the
// transaction that removes the contact (accounts.Service.RemoveContact), so
// that no derivative of their secret outlives the removal, and the two
// commit or fail together. A contact without a PIN is no error.
//
// What stays, on purpose: the contact's live reservations in pin_attempts
// (they settle as "PIN changed during verification" or expire, and a
// failing one still counts against its calling number); the counters of
// the entry keyed by the support ID in pin_entries (a removed ID is an
// unmatched entry from now on, counted and locked under that very key, so
// forgetting them would hand whoever is guessing a fresh run); and the
// calling numbers' failures in pin_failures (the hourly throttle is about
// the number, not the contact). None of them holds a secret.
func (s *Service) ForgetTx(ctx context.Context, tx *store.Tx, contactID int64) error {
	if _, err := tx.Exec(ctx, `DELETE FROM pin_credentials WHERE contact_id = ?`, contactID); err != nil {
		return fmt.Errorf("forget PIN: %w", err)
	}
	return nil
}

// States of a contact's PIN, as Status reports them.
const (
	StateNone    = "none"    // never rotated: no PIN works
	StateActive  = "active"  // a PIN works
	StateLocked  = "locked"  // too many failures; no PIN works until LockedUntil
	StateRevoked = "revoked" // no PIN works until the next rotate
	StateExpired = "expired" // older than max_age; no PIN works until the next rotate
)

// Status is what an admin may see of a contact's PIN: never the PIN or its
// hash.
type Status struct {
	SupportID string `json:"support_id"`
	Name      string `json:"name"`    // the contact's name
	Account   string `json:"account"` // the account number
	// State is one of the State* constants, most severe first: revoked,
	// locked, expired, active (or none).
	State     string     `json:"state"`
	RotatedAt *time.Time `json:"rotated_at,omitempty"`
	// Failures is the current run of consecutive failures, of
	// MaxFailures. Attempts still being hashed are not failures (yet):
	// they are InFlight.
	Failures    int `json:"failures"`
	MaxFailures int `json:"max_failures"`
	// InFlight is how many verifications against the PIN are between
	// their reservation and their outcome right now.
	InFlight int `json:"in_flight"`
	// Lockouts is how many locks the doubling has counted.
	Lockouts int `json:"lockouts"`
	// LockedUntil is set only while the contact is locked.
	LockedUntil *time.Time `json:"locked_until,omitempty"`
	Revoked     bool       `json:"revoked"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
	// ExpiresAt is set when the policy has a max_age.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// Status reports the state of the contact's PIN at the store's clock.
func (s *Service) Status(ctx context.Context, supportID string) (Status, error) {
	var st Status
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		c, err := s.contactTx(ctx, tx, supportID)
		if err != nil {
			return err
		}
		st = Status{SupportID: c.SupportID, Name: c.Name, Account: c.AccountNumber, State: StateNone, MaxFailures: s.Policy.MaxFailures}
		cred, err := credential(ctx, tx, c.ID, false)
		if errors.Is(err, errNoCredential) {
			return nil // StateNone
		}
		if err != nil {
			return err
		}
		now := tx.Now
		rotated := cred.RotatedAt.UTC()
		st.RotatedAt = &rotated
		st.Failures, st.Lockouts = cred.Failures, cred.Lockouts
		st.State = StateActive
		if err := tx.Get(ctx, &st.InFlight, `SELECT count(*) FROM pin_attempts WHERE contact_id = ? AND started_at > ?`,
			c.ID, now.Add(-reservationTTL)); err != nil {
			return fmt.Errorf("count attempts in flight: %w", err)
		}
		if s.Policy.MaxAgeDuration > 0 {
			exp := rotated.Add(s.Policy.MaxAgeDuration)
			st.ExpiresAt = &exp
			if !exp.After(now) {
				st.State = StateExpired
			}
		}
		if l := cred.LockedUntil; l != nil {
			if l.After(now) {
				u := l.UTC()
				st.LockedUntil = &u
				st.State = StateLocked
			} else {
				st.Failures = cred.run(now) // zero once the run that caused the ended lock is over
			}
		}
		if cred.RevokedAt != nil {
			r := cred.RevokedAt.UTC()
			st.Revoked, st.RevokedAt, st.State = true, &r, StateRevoked
		}
		return nil
	})
	if err != nil {
		return Status{}, fmt.Errorf("PIN status: %w", err)
	}
	return st, nil
}
