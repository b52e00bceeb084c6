package oncall

import (
	"context"
	"fmt"
	"strings"

	"supportline/audit"
	"supportline/contactinfo"
	"supportline/errcode"
	"supportline/store"
)

// EngineerChange is the input of [Service.SetEngineer]: a nil field is left
// as it is, so that an admin fixing a phone number cannot blank a name by
// leaving it out.
type EngineerChange struct {
	Name  *string
	Phone *string // E.164; separators are accepted and removed
	// Email is the new address; "" removes it.
	Email *string
	SMS   *bool
}

// FieldChange is one field SetEngineer changed: name, phone, email or sms,
// with the values as stored (sms "on" or "off"; email "" for none), so
// that scripts read them plainly.
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// String writes the change as the audit log reads it: phone +1... -> +1...,
// a name quoted (it has spaces), a missing email as (none).
func (c FieldChange) String() string {
	show := func(v string) string {
		switch c.Field {
		case "name":
			return fmt.Sprintf("%q", v)
		case "email":
			if v == "" {
				return "(none)"
			}
		}
		return v
	}
	return fmt.Sprintf("%s %s -> %s", c.Field, show(c.Old), show(c.New))
}

// SetEngineer changes an engineer's name, phone, e-mail or SMS setting:
// only the fields given, each validated as AddEngineer validates it. At
// least one field must be given (errcode.Invalid). It returns the engineer
// as stored and the fields whose value changed; a field given with the
// value it already has is not a change, and when nothing changes nothing
// is written (no audit event, and the roster version stays).
//
// Any change to the row raises the roster version (a trigger on engineers,
// migration 00007), so the phone line's cached roster (Rosters) is read
// again on the next call and a new phone number is dialled from then on.
// A call already being forwarded keeps the numbers it was routed with.
func (s *Service) SetEngineer(ctx context.Context, actor, handle string, in EngineerChange) (Engineer, []FieldChange, error) {
	handle = strings.TrimSpace(handle)
	if in.Name == nil && in.Phone == nil && in.Email == nil && in.SMS == nil {
		return Engineer{}, nil, errcode.Errorf(errcode.Invalid, "nothing to change for engineer %s: give a new name, phone, email or SMS setting", handle)
	}
	var next Engineer
	var err error
	// Validated before the transaction: bad input costs no lock.
	if in.Name != nil {
		if next.Name, err = contactinfo.Name("engineer name", *in.Name); err != nil {
			return Engineer{}, nil, errcode.WithField(err, "name")
		}
	}
	if in.Phone != nil {
		if next.Phone, err = contactinfo.Phone(*in.Phone); err != nil {
			return Engineer{}, nil, errcode.WithField(err, "phone")
		}
	}
	if in.Email != nil {
		if next.Email, err = contactinfo.Email(*in.Email); err != nil {
			return Engineer{}, nil, errcode.WithField(err, "email")
		}
	}
	var e Engineer
	var changes []FieldChange
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if e, err = engineerByHandle(ctx, tx, handle, tx.ForUpdate()); err != nil {
			return err
		}
		if in.Name != nil && next.Name != e.Name {
			changes = append(changes, FieldChange{"name", e.Name, next.Name})
			e.Name = next.Name
		}
		if in.Phone != nil && next.Phone != e.Phone {
			changes = append(changes, FieldChange{"phone", e.Phone, next.Phone})
			e.Phone = next.Phone
		}
		if in.Email != nil && next.Email != e.Email {
			changes = append(changes, FieldChange{"email", e.Email, next.Email})
			e.Email = next.Email
		}
		if in.SMS != nil && *in.SMS != e.SMS {
			changes = append(changes, FieldChange{"sms", onOff(e.SMS), onOff(*in.SMS)})
			e.SMS = *in.SMS
		}
		if e.Schedules, err = schedulesOf(ctx, tx, e.ID); err != nil {
			return err
		}
		if len(changes) == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE engineers SET name = ?, phone = ?, email = ?, sms = ? WHERE id = ?`,
			e.Name, e.Phone, e.Email, e.SMS, e.ID); err != nil {
			return fmt.Errorf("update engineer %s: %w", e.Handle, err)
		}
		parts := make([]string, len(changes))
		for i, c := range changes {
			parts[i] = c.String()
		}
		return audit.Record(ctx, tx, audit.Event{Actor: actor, Action: "engineer.set", Subject: "engineer " + e.Handle,
			Detail: strings.Join(parts, "; ")})
	})
	if err != nil {
		if errcode.CodeOf(err) == errcode.Internal {
			err = fmt.Errorf("set engineer %s: %w", handle, err)
		}
		return Engineer{}, nil, err
	}
	return e, nonNil(changes), nil
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
