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
