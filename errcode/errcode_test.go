package errcode

import (
	"errors"
	"fmt"
	"testing"
)

func TestCodesMapToStatusAndExit(t *testing.T) {
	cases := []struct {
		err    error
		code   Code
		status int
		exit   int
		msg    string
	}{
		{nil, "", 200, 0, ""},
		{New(Invalid, "bad phone"), Invalid, 400, 2, "bad phone"},
		{fmt.Errorf("wrapped: %w", Errorf(NotFound, "no account %d", 7)), NotFound, 404, 3, "no account 7"},
		{New(Conflict, "limit"), Conflict, 409, 3, "limit"},
		{New(Forbidden, "no"), Forbidden, 403, 1, "no"},
		{New(Unavailable, "db down"), Unavailable, 503, 1, "db down"},
		{errors.New("pq: password authentication failed"), Internal, 500, 1, "internal error"},
	}
	for _, tc := range cases {
		if got := CodeOf(tc.err); got != tc.code {
			t.Errorf("CodeOf(%v) = %q, want %q", tc.err, got, tc.code)
		}
		if got := HTTPStatus(CodeOf(tc.err)); got != tc.status {
			t.Errorf("HTTPStatus(%v) = %d, want %d", tc.err, got, tc.status)
		}
		if got := ExitCode(CodeOf(tc.err)); got != tc.exit {
			t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.exit)
		}
		if tc.err != nil {
			if got := Message(tc.err); got != tc.msg {
				t.Errorf("Message(%v) = %q, want %q (internal details must not leak)", tc.err, got, tc.msg)
			}
		}
	}
}

func TestFields(t *testing.T) {
	phone := New(Invalid, "phone number is empty")
	withPhone := WithField(phone, "phone")
	cases := []struct {
		name  string
		err   error
		field string
		msg   string
	}{
		{"set on an *Error", withPhone, "phone", "phone number is empty"},
		{"found through wrapping", fmt.Errorf("add contact: %w", withPhone), "phone", "phone number is empty"},
		{"replaced by a second WithField", WithField(withPhone, "contact_phone"), "contact_phone", "phone number is empty"},
		{"none given", phone, "", "phone number is empty"},
		{"nil", WithField(nil, "phone"), "", ""},
		{"an internal error", WithField(errors.New("pq: boom"), "phone"), "", "internal error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := FieldOf(tc.err); got != tc.field {
				t.Errorf("FieldOf = %q, want %q", got, tc.field)
			}
			if tc.err != nil {
				if got := Message(tc.err); got != tc.msg {
					t.Errorf("Message = %q, want %q", got, tc.msg)
				}
			}
		})
	}
	t.Run("the original is not changed", func(t *testing.T) {
		if f := FieldOf(phone); f != "" {
			t.Fatalf("WithField changed its argument: Field %q", f)
		}
		if CodeOf(withPhone) != Invalid {
			t.Fatalf("code %q, want invalid", CodeOf(withPhone))
		}
	})
	t.Run("a wrapped error is left alone", func(t *testing.T) {
		wrapped := fmt.Errorf("add contact: %w", phone)
		if got := WithField(wrapped, "phone"); got != wrapped || FieldOf(got) != "" {
			t.Fatalf("WithField of a wrapped *Error = %v (field %q), want it unchanged", got, FieldOf(got))
		}
	})
}
