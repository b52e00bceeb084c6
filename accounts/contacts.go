package accounts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"supportline/audit"
	"supportline/contactinfo"
	"supportline/errcode"
	"supportline/store"
)

// NewContact is the input of AddContact.
type NewContact struct {
	AccountNumber string
	Name          string
	Phone         string // E.164; separators are accepted and removed
	Email         string // optional
}

const contactSelect = `SELECT c.id, c.account_id, a.number AS account_number, a.name AS account_name, a.plan,
		c.support_id, c.name, c.phone, c.email, c.created_at, c.removed_at
	FROM contacts c JOIN accounts a ON a.id = c.account_id`

// AddContact names a new contact on an account, within the plan's limit,
// and gives them a new random 8-digit support ID.
func (s *Service) AddContact(ctx context.Context, actor string, in NewContact) (Contact, error) {
	name, err := contactinfo.Name("contact name", in.Name)
	if err != nil {
		return Contact{}, errcode.WithField(err, "name")
	}
	ph, err := contactinfo.Phone(in.Phone)
	if err != nil {
		return Contact{}, errcode.WithField(err, "phone")
	}
	email, err := contactinfo.Email(in.Email)
	if err != nil {
		return Contact{}, errcode.WithField(err, "email")
	}
	for attempt := 0; ; attempt++ {
		var c Contact
		err := s.DB.InTx(ctx, func(tx *store.Tx) error {
			a, err := accountByNumber(ctx, tx, in.AccountNumber, true)
			if err != nil {
				return err
			}
			limit := s.Policy.Plans[a.Plan].NamedContacts
			if limit > 0 && a.Contacts >= limit {
				return errcode.Errorf(errcode.Conflict,
					"account %s already has %d named contacts, the limit of plan %s is %d; remove one first or change the plan",
					a.Number, a.Contacts, a.Plan, limit)
			}
			c = Contact{AccountID: a.ID, AccountNumber: a.Number, AccountName: a.Name, Plan: a.Plan,
				SupportID: randomDigits(8), Name: name, Phone: ph, Email: email, CreatedAt: tx.Now}
			c.ID, err = tx.Insert(ctx, `INSERT INTO contacts (account_id, support_id, name, phone, email, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
				c.AccountID, c.SupportID, c.Name, c.Phone, c.Email, c.CreatedAt)
			if err != nil {
				return err
			}
			return audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "contact.add", AccountID: &a.ID, ContactID: &c.ID,
				Detail: fmt.Sprintf("name=%q phone=%s", c.Name, c.Phone)})
		})
		if store.IsUniqueViolation(err) && attempt < 20 {
			continue // support ID collision: draw another
		}
		if err != nil {
			if errcode.CodeOf(err) == errcode.Internal {
				return Contact{}, fmt.Errorf("add contact: %w", err)
			}
			return Contact{}, err
		}
		return c, nil
	}
}

// Contacts lists the current contacts, of one account when accountNumber is
// not empty.
func (s *Service) Contacts(ctx context.Context, accountNumber string) ([]Contact, error) {
	var out []Contact
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if accountNumber == "" {
			return tx.Select(ctx, &out, contactSelect+` WHERE c.removed_at IS NULL ORDER BY a.name, c.name`)
		}
		if _, err := accountByNumber(ctx, tx, accountNumber, false); err != nil {
			return err
		}
		return tx.Select(ctx, &out, contactSelect+` WHERE c.removed_at IS NULL AND a.number = ? ORDER BY c.name`, accountNumber)
	})
	return out, err
}

// Contact returns the current contact with the given support ID.
func (s *Service) Contact(ctx context.Context, supportID string) (Contact, error) {
	var c Contact
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		c, err = s.ContactBySupportIDTx(ctx, tx, supportID)
		return err
	})
	return c, err
}

// ContactBySupportIDTx reads a current (not removed) contact inside q, the
// caller's transaction (or its statements), for a domain (pins, the phone
// line) that must see the contact it works against. A malformed support ID
// is an errcode.Invalid error and one that names no current contact an
// errcode.NotFound error; both quote the ID.
func (s *Service) ContactBySupportIDTx(ctx context.Context, q store.Querier, supportID string) (Contact, error) {
	return contactBySupportID(ctx, q, supportID, "")
}

// contactBySupportID reads a current contact; lock is appended to the
// statement (a locking clause, or "").
func contactBySupportID(ctx context.Context, q store.Querier, supportID, lock string) (Contact, error) {
	var c Contact
	if !supportIDRE.MatchString(supportID) {
		return c, errcode.WithField(errcode.Errorf(errcode.Invalid, "support ID %q must be 8 digits", supportID), "support_id")
	}
	err := q.Get(ctx, &c, contactSelect+` WHERE c.support_id = ? AND c.removed_at IS NULL`+lock, supportID)
	if errors.Is(err, sql.ErrNoRows) {
		return c, errcode.Errorf(errcode.NotFound, "no contact with support ID %s", supportID)
	}
	if err != nil {
		return c, fmt.Errorf("read contact: %w", err)
	}
	return c, nil
}

// ContactsByPhoneTx lists, inside tx, the current contacts whose phone is
// number (strict E.164, as contactinfo.Caller gives it). The phone line
// uses it as a hint: exactly one match skips the support ID. It reads the
// table on every call, so a phone changed by SetContact counts from the
// next call on; nothing is cached.
func (s *Service) ContactsByPhoneTx(ctx context.Context, q store.Querier, number string) ([]Contact, error) {
	var out []Contact
	err := q.Select(ctx, &out, contactSelect+` WHERE c.phone = ? AND c.removed_at IS NULL ORDER BY c.id`, number)
	if err != nil {
		return nil, fmt.Errorf("contacts by phone: %w", err)
	}
	return out, nil
}

// ContactChange is the input of SetContact: a nil field stays as it is.
// Name and Phone are validated as AddContact validates them; an empty
// Email removes the email address.
type ContactChange struct {
	Name  *string
	Phone *string
	Email *string
}

// SetContact changes the name, phone or email of the current contact with
// the given support ID: only the fields given, at least one (else
// errcode.Invalid). Fields given with their current value are not changes;
// when nothing differs, nothing is written or audited and no Change is
// returned. The audit event records each changed field, old and new.
//
// A new phone is what caller ID matches from the next call on
// (ContactsByPhoneTx reads the table each time). A call in progress keeps
// the contact it was matched to, and must still pass the PIN; a PIN issued
// before the change is not re-checked against the new number.
func (s *Service) SetContact(ctx context.Context, actor, supportID string, in ContactChange) (Contact, []Change, error) {
	if in.Name == nil && in.Phone == nil && in.Email == nil {
		return Contact{}, nil, errcode.New(errcode.Invalid, "nothing to change: give a new name, phone or email")
	}
	var name, phone, email string
	var err error
	if in.Name != nil {
		if name, err = contactinfo.Name("contact name", *in.Name); err != nil {
			return Contact{}, nil, errcode.WithField(err, "name")
		}
	}
	if in.Phone != nil {
		if phone, err = contactinfo.Phone(*in.Phone); err != nil {
			return Contact{}, nil, errcode.WithField(err, "phone")
		}
	}
	if in.Email != nil {
		if email, err = contactinfo.Email(*in.Email); err != nil {
			return Contact{}, nil, errcode.WithField(err, "email")
		}
	}
	var c Contact
	var changes []Change
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		// Locked, so that the old values the audit records are the ones
		// this change replaced.
		lock := ""
		if tx.ForUpdate() != "" {
			// The contact's row only (PostgreSQL; SQLite's immediate
			// transaction already holds the database): the account's row
			// is AddContact's lock for the plan's limit, not changed here.
			lock = " FOR UPDATE OF c"
		}
		if c, err = contactBySupportID(ctx, tx, supportID, lock); err != nil {
			return err
		}
		if in.Name != nil && name != c.Name {
			changes = append(changes, Change{Field: "name", Old: c.Name, New: name})
			c.Name = name
		}
		if in.Phone != nil && phone != c.Phone {
			changes = append(changes, Change{Field: "phone", Old: c.Phone, New: phone})
			c.Phone = phone
		}
		if in.Email != nil && email != c.Email {
			changes = append(changes, Change{Field: "email", Old: c.Email, New: email})
			c.Email = email
		}
		if len(changes) == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE contacts SET name = ?, phone = ?, email = ? WHERE id = ?`,
			c.Name, c.Phone, c.Email, c.ID); err != nil {
			return fmt.Errorf("update contact: %w", err)
		}
		return audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "contact.set", AccountID: &c.AccountID, ContactID: &c.ID,
			Detail: changeDetail(changes)})
	})
	if err != nil {
		return Contact{}, nil, err
	}
	return c, changes, nil
}

// RemoveContact removes a contact: they can no longer call, and their
// support ID is never given to anyone else. History stays. Their PIN is
// forgotten (Credentials.ForgetTx) in the same transaction; without
// Credentials nothing is removed.
func (s *Service) RemoveContact(ctx context.Context, actor, supportID string) (Contact, error) {
	if s.Credentials == nil {
		return Contact{}, errors.New("remove contact: accounts.Service has no Credentials to forget the contact's PIN with")
	}
	var c Contact
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		c, err = s.ContactBySupportIDTx(ctx, tx, supportID)
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE contacts SET removed_at = ? WHERE id = ? AND removed_at IS NULL`, tx.Now, c.ID)
		if err != nil {
			return fmt.Errorf("remove contact: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errcode.Errorf(errcode.NotFound, "no contact with support ID %s", supportID)
		}
		// Their PIN hash is of no use any more; keep no derivative of a secret.
		if err := s.Credentials.ForgetTx(ctx, tx, c.ID); err != nil {
			return fmt.Errorf("remove contact's PIN: %w", err)
		}
		now := tx.Now
		c.RemovedAt = &now
		return audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "contact.remove", AccountID: &c.AccountID, ContactID: &c.ID,
			Detail: fmt.Sprintf("name=%q", c.Name)})
	})
	return c, err
}
