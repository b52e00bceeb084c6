package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestTokenCommands(t *testing.T) {
	c := newCLI(t)
	c.mustRun("engineer", "add", "--handle", "alice", "--name", "Alice", "--phone", "+17205550111")

	code, out, errs := c.run("token", "create", "--name", "crm", "--role", "admin")
	if code != 0 || errs != "" || !strings.Contains(out, "shown only now") {
		t.Fatalf("create: exit %d, %q %q", code, out, errs)
	}
	var text string
	for _, f := range strings.Fields(out) {
		if strings.HasPrefix(f, "slt_") {
			text = f
		}
	}
	if len(text) != 47 {
		t.Fatalf("no token in %q", out)
	}

	code, out, errs = c.run("--json", "token", "create", "--name", "alice.phone", "--role", "engineer", "--engineer", "alice", "--expires", "12h")
	var created struct {
		Name, Role, Token string
		Engineer          *string
		ExpiresAt         time.Time `json:"expires_at"`
	}
	if err := json.Unmarshal([]byte(out), &created); code != 0 || err != nil {
		t.Fatalf("create --json: exit %d, %q %q (%v)", code, out, errs, err)
	}
	if created.Name != "alice.phone" || created.Role != "engineer" || created.Engineer == nil || *created.Engineer != "alice" ||
		!strings.HasPrefix(created.Token, "slt_") || created.Token == text {
		t.Errorf("create --json = %+v", created)
	}
	if d := time.Until(created.ExpiresAt); d < 11*time.Hour || d > 12*time.Hour+time.Minute {
		t.Errorf("--expires 12h expires at %s", created.ExpiresAt)
	}

	code, out, errs = c.run("token", "list")
	if code != 0 || errs != "" {
		t.Fatalf("list: exit %d, %q", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || strings.Join(strings.Fields(lines[0]), " ") != "NAME ROLE ENGINEER CREATED EXPIRES LAST USED" ||
		!strings.HasPrefix(lines[1], "alice.phone") || !strings.Contains(lines[1], "alice") || !strings.HasPrefix(lines[2], "crm") {
		t.Errorf("list:\n%s", out)
	}
	if strings.Contains(out, text[4:]) || strings.Contains(out, created.Token[4:]) {
		t.Error("list shows a token's text")
	}

	for _, tc := range []struct {
		name string
		args []string
		exit int
		want string
	}{
		{"no name", []string{"token", "create", "--role", "admin"}, 2, "needs --name NAME"},
		{"bad name", []string{"token", "create", "--name", "My CRM", "--role", "admin"}, 2, "1 to 40"},
		{"bad role", []string{"token", "create", "--name", "x", "--role", "root"}, 2, "admin, engineer or viewer"},
		{"engineer without handle", []string{"token", "create", "--name", "x", "--role", "engineer"}, 2, "--engineer"},
		{"admin with handle", []string{"token", "create", "--name", "x", "--role", "admin", "--engineer", "alice"}, 2, "only an engineer token"},
		{"bad expiry", []string{"token", "create", "--name", "x", "--role", "admin", "--expires", "forever"}, 2, "such as 90d"},
		{"expiry too long", []string{"token", "create", "--name", "x", "--role", "admin", "--expires", "366d"}, 2, "at most 365d"},
		{"unknown engineer", []string{"token", "create", "--name", "x", "--role", "engineer", "--engineer", "zed"}, 3, "zed"},
		{"name taken", []string{"token", "create", "--name", "crm", "--role", "viewer"}, 3, "revoke it first"},
		{"revoke unknown", []string{"token", "revoke", "nope"}, 3, `no token named "nope"`},
		{"revoke without name", []string{"token", "revoke"}, 2, "revoke"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := c.run(tc.args...)
			if code != tc.exit || out != "" || !strings.Contains(errs, tc.want) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d and %q", code, out, errs, tc.exit, tc.want)
			}
		})
	}

	code, out, errs = c.run("token", "revoke", "crm")
	if code != 0 || !strings.Contains(out, "token crm revoked") {
		t.Fatalf("revoke: exit %d, %q %q", code, out, errs)
	}
	_, out, _ = c.run("token", "list")
	if strings.Contains(out, "crm") {
		t.Errorf("revoked token still listed:\n%s", out)
	}
	_, out, _ = c.run("audit", "list")
	if !strings.Contains(out, "token.create") || !strings.Contains(out, "token.revoke") || strings.Contains(out, text[4:]) {
		t.Errorf("audit list:\n%s", out)
	}
}
