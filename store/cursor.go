package store

import (
	"bytes"
	"encoding/base64"
	"encoding/json"

	"supportline/errcode"
)

// maxCursorLen bounds what DecodeCursor reads; real cursors are under 120
// bytes.
const maxCursorLen = 256

// BadCursor is the errcode.Invalid error for s, a cursor that list
// (`a ticket list`) did not give out, quoted short when someone pastes a
// book.
func BadCursor(s, list string) error {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return errcode.Errorf(errcode.Invalid, "cursor %q is not one %s gave out; start again without it", s, list)
}

// EncodeCursor writes v, the keyset position where a page of a list ended
// (a small struct of the last row's sort key and tie-breaker), as an
// opaque string for the next request: base64url of its JSON, which nobody
// should need to read.
func EncodeCursor(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic("store: cursor does not marshal: " + err.Error()) // a programming error: cursors are plain structs
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a cursor made by EncodeCursor into v. Anything else (too
// long, not base64url, not one JSON object of v's fields) is an
// errcode.Invalid error that says which list (`a ticket list`) gives
// cursors out; v's own checks (a zero key, a wrong kind) are the caller's.
func DecodeCursor(s string, v any, list string) error {
	bad := BadCursor(s, list)
	if len(s) > maxCursorLen {
		return bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return bad
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil || dec.More() {
		return bad
	}
	return nil
}
