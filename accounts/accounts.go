// Package accounts owns customer accounts and their named contacts: the
// people allowed to call the support line, each with a personal support ID.
// An account's plan (from the policy file) limits how many contacts it may
// name. Every change writes an audit event in the same transaction.
package accounts

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"

	"supportline/audit"
	"supportline/config"
	"supportline/contactinfo"
	"supportline/errcode"
	"supportline/store"
)

// Account is a customer with a support plan.
type Account struct {
	ID        int64     `db:"id" json:"-"`
	Number    string    `db:"number" json:"number"`
	Name      string    `db:"name" json:"name"`
	Plan      string    `db:"plan" json:"plan"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	UpdatedAt time.Time `db:"updated_at" json:"updated_at"`
	Contacts  int       `db:"contacts" json:"contacts"` // named contacts, not removed
}

// Contact is a person allowed to call for an account.
type Contact struct {
	ID            int64      `db:"id" json:"-"`
	AccountID     int64      `db:"account_id" json:"-"`
	AccountNumber string     `db:"account_number" json:"account"`
	AccountName   string     `db:"account_name" json:"account_name"`
	Plan          string     `db:"plan" json:"plan"`
	SupportID     string     `db:"support_id" json:"support_id"`
	Name          string     `db:"name" json:"name"`
	Phone         string     `db:"phone" json:"phone"`
	Email         string     `db:"email" json:"email,omitempty"`
	CreatedAt     time.Time  `db:"created_at" json:"created_at"`
	RemovedAt     *time.Time `db:"removed_at" json:"removed_at,omitempty"`
}

// Service manages accounts and contacts against a policy. Build it as a
// literal with every field set; it is never changed afterwards.
type Service struct {
	// DB holds accounts, contacts and the audit log.
	DB *store.DB
	// Policy names the plans and their named-contact limits.
	Policy *config.Policy
	// Credentials forgets a removed contact's PIN in the removal's own
	// transaction. RemoveContact refuses to run without it, so that no face
	// can remove a contact and leave a derivative of their secret behind;
	// the other methods do not use it. In a program it is the pins.Service
	// (which itself reads contacts through this Service): build the pair
	// with pins.NewWithAccounts, which points each at the other.
	Credentials Credentials
}

// Credentials is what accounts needs of the package that keeps contacts'
// secrets (pins, which imports accounts, so the dependency is declared
// here): ForgetTx deletes every derivative of the contact's secret inside
// tx, the removal's transaction, so that the removal and the cleanup commit
// or fail together.
type Credentials interface {
	ForgetTx(ctx context.Context, tx *store.Tx, contactID int64) error
}

// Change is one field an edit changed, old and new value as stored; the
// faces show it and the audit detail records it.
type Change struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// changeDetail is the audit detail of an edit: each changed field with its
// old and new value, and nothing about the fields left alone.
func changeDetail(changes []Change) string {
	parts := make([]string, len(changes))
	for i, c := range changes {
		parts[i] = fmt.Sprintf("%s %q -> %q", c.Field, c.Old, c.New)
	}
	return strings.Join(parts, "; ")
}

var (
	accountNumberRE = regexp.MustCompile(`^[1-9][0-9]{5,11}$`)
	supportIDRE     = regexp.MustCompile(`^[0-9]{8}$`)
)

// NewAccount is the input of AddAccount.
type NewAccount struct {
	Name   string
	Plan   string
	Number string // optional; generated when empty
}

// AddAccount creates an account.
func (s *Service) AddAccount(ctx context.Context, actor string, in NewAccount) (Account, error) {
	name, err := contactinfo.Name("account name", in.Name)
	if err != nil {
		return Account{}, errcode.WithField(err, "name")
	}
	if err := s.checkPlan(in.Plan); err != nil {
		return Account{}, err
	}
	if in.Number != "" && !accountNumberRE.MatchString(in.Number) {
		return Account{}, errcode.WithField(errcode.Errorf(errcode.Invalid, "account number %q must be 6 to 12 digits, not starting with 0", in.Number), "number")
	}
	var a Account
	for attempt := 0; ; attempt++ {
		number := in.Number
		if number == "" {
			// Random rather than sequential: account numbers are spoken and
			// printed, and need not reveal how many customers there are.
			digits := 6
			if attempt >= 5 {
				digits = 8
			}
			number = randomDigits(digits)
		}
		err = s.DB.InTx(ctx, func(tx *store.Tx) error {
			id, err := tx.Insert(ctx, `INSERT INTO accounts (number, name, plan, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
				number, name, in.Plan, tx.Now, tx.Now)
			if err != nil {
				return err
			}
			a = Account{ID: id, Number: number, Name: name, Plan: in.Plan, CreatedAt: tx.Now, UpdatedAt: tx.Now}
			return audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "account.add", AccountID: &id,
				Detail: fmt.Sprintf("name=%q plan=%s", name, in.Plan)})
		})
		if store.IsUniqueViolation(err) {
			if in.Number != "" {
				return Account{}, errcode.WithField(errcode.Errorf(errcode.Conflict, "account number %s is already taken", in.Number), "number")
			}
			if attempt < 20 {
				continue
			}
		}
		if err != nil {
			return Account{}, fmt.Errorf("add account: %w", err)
		}
		return a, nil
	}
}

// Accounts lists every account with its contact count.
func (s *Service) Accounts(ctx context.Context) ([]Account, error) {
	var out []Account
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		return tx.Select(ctx, &out, accountSelect+` GROUP BY a.id, a.number, a.name, a.plan, a.created_at, a.updated_at ORDER BY a.name, a.number`)
	})
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	return out, nil
}

const accountSelect = `SELECT a.id, a.number, a.name, a.plan, a.created_at, a.updated_at, COUNT(c.id) AS contacts
	FROM accounts a LEFT JOIN contacts c ON c.account_id = a.id AND c.removed_at IS NULL`

// Account returns the account with the given number.
func (s *Service) Account(ctx context.Context, number string) (Account, error) {
	var a Account
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		a, err = accountByNumber(ctx, tx, number, false)
		return err
	})
	return a, err
}

func accountByNumber(ctx context.Context, tx *store.Tx, number string, lock bool) (Account, error) {
	var a Account
	if !accountNumberRE.MatchString(number) {
		return a, errcode.WithField(errcode.Errorf(errcode.Invalid, "account number %q must be 6 to 12 digits", number), "number")
	}
	if lock {
		// Lock the account row so that concurrent contact additions and plan
		// changes are checked against the limit one at a time.
		var id int64
		if err := tx.Get(ctx, &id, `SELECT id FROM accounts WHERE number = ?`+tx.ForUpdate(), number); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return a, errcode.Errorf(errcode.NotFound, "no account %s", number)
			}
			return a, fmt.Errorf("lock account %s: %w", number, err)
		}
	}
	err := tx.Get(ctx, &a, accountSelect+` WHERE a.number = ? GROUP BY a.id, a.number, a.name, a.plan, a.created_at, a.updated_at`, number)
	if errors.Is(err, sql.ErrNoRows) {
		return a, errcode.Errorf(errcode.NotFound, "no account %s", number)
	}
	if err != nil {
		return a, fmt.Errorf("read account %s: %w", number, err)
	}
	return a, nil
}

// SetPlan moves an account to another plan, refusing a plan whose
// named-contact limit is below the account's current number of contacts.
func (s *Service) SetPlan(ctx context.Context, actor, number, plan string) (Account, error) {
	if err := s.checkPlan(plan); err != nil {
		return Account{}, err
	}
	var a Account
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		a, err = accountByNumber(ctx, tx, number, true)
		if err != nil {
			return err
		}
		if a.Plan == plan {
			return nil
		}
		limit := s.Policy.Plans[plan].NamedContacts
		if limit > 0 && a.Contacts > limit {
			return errcode.WithField(errcode.Errorf(errcode.Conflict,
				"account %s has %d named contacts; plan %s allows %d. Remove %d contact(s) first",
				number, a.Contacts, plan, limit, a.Contacts-limit), "plan")
		}
		if _, err := tx.Exec(ctx, `UPDATE accounts SET plan = ?, updated_at = ? WHERE id = ?`, plan, tx.Now, a.ID); err != nil {
			return fmt.Errorf("update plan: %w", err)
		}
		old := a.Plan
		a.Plan, a.UpdatedAt = plan, tx.Now
		return audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "account.set_plan", AccountID: &a.ID,
			Detail: fmt.Sprintf("plan %s -> %s", old, plan)})
	})
	return a, err
}

// SetName renames the account with the given number. Renaming it to its
// current name changes nothing and records nothing (no Change is
// returned); otherwise the audit event records the old and the new name.
func (s *Service) SetName(ctx context.Context, actor, number, name string) (Account, []Change, error) {
	name, err := contactinfo.Name("account name", name)
	if err != nil {
		return Account{}, nil, errcode.WithField(err, "name")
	}
	var a Account
	var changes []Change
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		a, err = accountByNumber(ctx, tx, number, true)
		if err != nil || a.Name == name {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE accounts SET name = ?, updated_at = ? WHERE id = ?`, name, tx.Now, a.ID); err != nil {
			return fmt.Errorf("rename account: %w", err)
		}
		changes = []Change{{Field: "name", Old: a.Name, New: name}}
		a.Name, a.UpdatedAt = name, tx.Now
		return audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "account.set_name", AccountID: &a.ID,
			Detail: changeDetail(changes)})
	})
	if err != nil {
		return Account{}, nil, err
	}
	return a, changes, nil
}

func (s *Service) checkPlan(plan string) error {
	if plan == "" {
		return errcode.WithField(errcode.Errorf(errcode.Invalid, "a plan is required (one of: %s)", strings.Join(s.Policy.PlanNames(), ", ")), "plan")
	}
	if _, ok := s.Policy.Plan(plan); !ok {
		return errcode.WithField(errcode.Errorf(errcode.Invalid, "unknown plan %q (the policy file %s defines: %s)",
			plan, s.Policy.Source, strings.Join(s.Policy.PlanNames(), ", ")), "plan")
	}
	return nil
}

func randomDigits(n int) string {
	// First digit 1-9 so the number keeps its length when read as an integer.
	lo := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n-1)), nil)
	span := new(big.Int).Sub(new(big.Int).Mul(lo, big.NewInt(10)), lo)
	v, err := rand.Int(rand.Reader, span)
	if err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return v.Add(v, lo).String()
}
