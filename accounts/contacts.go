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
		return Contact{}, err
	}
	ph, err := normalizePhone(in.Phone)
	if err != nil {
		return Contact{}, err
	}
	email, err := contactinfo.Email(in.Email)
	if err != nil {
		return Contact{}, err
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
		c, err = ContactBySupportID(ctx, tx, supportID)
		return err
	})
	return c, err
}

// ContactBySupportID reads a current (not removed) contact inside tx.
func ContactBySupportID(ctx context.Context, tx *store.Tx, supportID string) (Contact, error) {
	var c Contact
	if !supportIDRE.MatchString(supportID) {
		return c, errcode.Errorf(errcode.Invalid, "support ID %q must be 8 digits", supportID)
	}
	err := tx.Get(ctx, &c, contactSelect+` WHERE c.support_id = ? AND c.removed_at IS NULL`, supportID)
	if errors.Is(err, sql.ErrNoRows) {
		return c, errcode.Errorf(errcode.NotFound, "no contact with support ID %s", supportID)
	}
	if err != nil {
		return c, fmt.Errorf("read contact: %w", err)
	}
	return c, nil
}

// ContactsByPhone lists the current contacts whose phone is number (E.164).
// The phone line uses it as a hint: exactly one match skips the support ID.
func ContactsByPhone(ctx context.Context, tx *store.Tx, number string) ([]Contact, error) {
	var out []Contact
	err := tx.Select(ctx, &out, contactSelect+` WHERE c.phone = ? AND c.removed_at IS NULL ORDER BY c.id`, number)
	if err != nil {
		return nil, fmt.Errorf("contacts by phone: %w", err)
	}
	return out, nil
}

// RemoveContact removes a contact: they can no longer call, and their
// support ID is never given to anyone else. History stays.
func (s *Service) RemoveContact(ctx context.Context, actor, supportID string) (Contact, error) {
	var c Contact
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		c, err = ContactBySupportID(ctx, tx, supportID)
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
		if _, err := tx.Exec(ctx, `DELETE FROM pin_credentials WHERE contact_id = ?`, c.ID); err != nil {
			return fmt.Errorf("remove contact's PIN: %w", err)
		}
		now := tx.Now
		c.RemovedAt = &now
		return audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "contact.remove", AccountID: &c.AccountID, ContactID: &c.ID,
			Detail: fmt.Sprintf("name=%q", c.Name)})
	})
	return c, err
}
