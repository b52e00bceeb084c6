package main

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"supportline/config"
	"supportline/domain"
	"supportline/pins"
	"supportline/store"
)

func TestPinCommands(t *testing.T) {
	c := newCLI(t)
	code, out, errs := c.run("account", "add", "--name", "Acme Corp", "--plan", "premium", "--number", "100200")
	if code != 0 {
		t.Fatalf("account add: %d %s", code, errs)
	}
	code, out, errs = c.run("contact", "add", "--account", "100200", "--name", "Jane Doe", "--phone", "+17205550100", "--json")
	var contact struct {
		SupportID string `json:"support_id"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &contact) != nil || contact.SupportID == "" {
		t.Fatalf("contact add: %d %q %q", code, out, errs)
	}
	id := contact.SupportID

	t.Run("status before any PIN", func(t *testing.T) {
		code, out, errs := c.run("pin", "status", "--contact", id)
		if code != 0 || !strings.Contains(out, "STATE") || !strings.Contains(out, " none ") {
			t.Fatalf("pin status: %d %q %q", code, out, errs)
		}
	})

	var pins []string
	t.Run("rotate prints the PIN once", func(t *testing.T) {
		code, out, errs := c.run("pin", "rotate", "--contact", id)
		m := regexp.MustCompile(`^new PIN for contact ` + id + `: ([0-9]{8})\nIt will not be shown again`).FindStringSubmatch(out)
		if code != 0 || m == nil {
			t.Fatalf("pin rotate: %d %q %q", code, out, errs)
		}
		pins = append(pins, m[1])
		code, out, errs = c.run("pin", "rotate", "--contact", id, "--json")
		var got map[string]string
		if code != 0 || json.Unmarshal([]byte(out), &got) != nil || len(got) != 2 || got["support_id"] != id || !regexp.MustCompile(`^[0-9]{8}$`).MatchString(got["pin"]) {
			t.Fatalf("pin rotate --json: %d %q %q", code, out, errs)
		}
		pins = append(pins, got["pin"])
	})

	t.Run("status, revoke, unlock", func(t *testing.T) {
		code, out, _ := c.run("pin", "status", "--contact", id, "--json")
		var st map[string]any
		if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st["state"] != "active" || st["failures"] != 0.0 || st["rotated_at"] == nil {
			t.Fatalf("pin status --json: %d %q", code, out)
		}
		if strings.Contains(out, "argon2") {
			t.Fatalf("status shows the hash: %q", out)
		}
		code, out, errs := c.run("pin", "revoke", "--contact", id)
		if code != 0 || !strings.Contains(out, "revoked") {
			t.Fatalf("pin revoke: %d %q %q", code, out, errs)
		}
		code, out, _ = c.run("pin", "status", "--contact", id)
		if code != 0 || !strings.Contains(out, "revoked") {
			t.Fatalf("status after revoke: %d %q", code, out)
		}
		code, out, errs = c.run("pin", "unlock", "--contact", id, "--json")
		if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st["support_id"] != id {
			t.Fatalf("pin unlock: %d %q %q", code, out, errs)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		for _, tt := range []struct {
			args []string
			code int
			msg  string
		}{
			{[]string{"pin", "rotate"}, 2, "needs --contact SUPPORT_ID"},
			{[]string{"pin", "rotate", "--contact", "12ab"}, 2, "must be 8 digits"},
			{[]string{"pin", "rotate", "--contact", "00000000"}, 3, "no contact with support ID 00000000"},
			{[]string{"pin", "revoke", "--contact", "00000000"}, 3, "no contact"},
			{[]string{"pin", "unlock"}, 2, "needs --contact"},
			{[]string{"pin", "status", "--contact", "1"}, 2, "must be 8 digits"},
		} {
			code, out, errs := c.run(tt.args...)
			if code != tt.code || !strings.Contains(errs, tt.msg) || out != "" {
				t.Errorf("%v: %d %q %q; want exit %d and %q", tt.args, code, out, errs, tt.code, tt.msg)
			}
		}
	})

	t.Run("audit list shows the admin actions, never a PIN", func(t *testing.T) {
		code, out, _ := c.run("audit", "list", "--contact", id)
		for _, action := range []string{"pin.rotate", "pin.revoke", "pin.unlock"} {
			if !strings.Contains(out, action) {
				t.Errorf("audit list lacks %s: %q", action, out)
			}
		}
		if code != 0 {
			t.Fatalf("audit list: %d", code)
		}
		for _, pin := range pins {
			if strings.Contains(out, pin) {
				t.Fatal("audit list shows a PIN")
			}
		}
	})

	t.Run("no PIN in the database files", func(t *testing.T) {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			data, err := os.ReadFile(c.db + suffix)
			if err != nil {
				continue
			}
			for _, pin := range pins {
				if strings.Contains(string(data), pin) {
					t.Errorf("%s contains a PIN", c.db+suffix)
				}
			}
		}
	})
}

// `pin unlock` clears the lockout a contact collected while it had no PIN
// (counted under serve's key for the entry): the CLI derives that key as
// serve does, from SUPPORTLINE_SECRET or else TWILIO_AUTH_TOKEN. Without
// either it says it cannot.
func TestPinUnlockClearsLockoutWithoutPIN(t *testing.T) {
	const token = "unlocktoken0123456789abcdef01234"
	t.Setenv("SUPPORTLINE_SECRET", "")
	t.Setenv("TWILIO_AUTH_TOKEN", token)
	c := newCLI(t)
	c.mustRun("account", "add", "--name", "Acme Corp", "--plan", "premium", "--number", "100200")
	out := c.mustRun("contact", "add", "--account", "100200", "--name", "Jane Doe", "--phone", "+17205550100", "--json")
	var contact struct {
		SupportID string `json:"support_id"`
	}
	if err := json.Unmarshal([]byte(out), &contact); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, c.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	secret, err := entrySecret("", token) // as serve has it
	if err != nil {
		t.Fatal(err)
	}
	full := config.Default()
	full.Pins.Argon2 = config.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}
	policy := full.Pins
	line := domain.New(db, full, nil, secret, "").Pins
	verify := func() pins.Result {
		t.Helper()
		_, r, err := line.Verify(ctx, pins.KnownClaim(contact.SupportID), "00000000", "+14155550100")
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for range policy.MaxFailures {
		verify()
	}
	if r := verify(); r != pins.Locked {
		t.Fatalf("after %d failures without a PIN: %s, want locked", policy.MaxFailures, r)
	}

	t.Setenv("TWILIO_AUTH_TOKEN", "")
	if _, _, errs := c.run("pin", "unlock", "--contact", contact.SupportID); !strings.Contains(errs, "is not cleared") {
		t.Errorf("unlock without the key does not warn: %q", errs)
	}
	if r := verify(); r != pins.Locked {
		t.Fatalf("unlocked without the key: %s", r)
	}
	t.Setenv("TWILIO_AUTH_TOKEN", token)
	if code, _, errs := c.run("pin", "unlock", "--contact", contact.SupportID); code != 0 || errs != "" {
		t.Fatalf("pin unlock: %d %q", code, errs)
	}
	if r := verify(); r == pins.Locked {
		t.Fatal("still locked after pin unlock")
	}
}
