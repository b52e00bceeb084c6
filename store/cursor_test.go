package store_test

import (
	"strings"
	"testing"
	"time"

	"supportline/errcode"
	"supportline/store"
)

func TestCursor(t *testing.T) {
	type pos struct {
		Key time.Time `json:"k"`
		ID  int64     `json:"i"`
	}
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	t.Run("round trip", func(t *testing.T) {
		var got pos
		if err := store.DecodeCursor(store.EncodeCursor(pos{at, 42}), &got, "a test list"); err != nil || got != (pos{at, 42}) {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	for name, c := range map[string]string{
		"empty":          "",
		"not base64url":  "***",
		"not JSON":       store.EncodeCursor("just a string"),
		"unknown field":  store.EncodeCursor(map[string]any{"k": at, "i": 1, "x": 2}),
		"two objects":    strings.TrimRight(store.EncodeCursor(pos{at, 1}), "=") + store.EncodeCursor(pos{at, 2}),
		"far too long":   strings.Repeat("A", 300),
		"wrong key type": store.EncodeCursor(map[string]any{"k": 7, "i": 1}),
	} {
		t.Run(name, func(t *testing.T) {
			var got pos
			err := store.DecodeCursor(c, &got, "a test list")
			if !errcode.Is(err, errcode.Invalid) || !strings.Contains(err.Error(), "not one a test list gave out") {
				t.Fatalf("DecodeCursor(%q) = %v, want an invalid-cursor error", c, err)
			}
			if len(err.Error()) > 120 {
				t.Errorf("message too long for a pasted book: %q", err)
			}
		})
	}
}
