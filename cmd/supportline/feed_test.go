package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

func TestFeedCommands(t *testing.T) {
	t.Setenv("SUPPORTLINE_PUBLIC_URL", "")
	c := newCLI(t)
	c.mustRun("engineer", "add", "--handle", "alice", "--name", "Alice", "--phone", "+17205550111")
	c.mustRun("schedule", "add", "primary", "--tz", "America/Denver", "--shift", "168h", "--handoff", "2026-11-16T09:00", "--members", "alice")

	url := regexp.MustCompile(`https://support\.example\.com/ical/slf_[A-Za-z0-9_-]{43}\.ics`)
	code, out, errs := c.run("feed", "create", "--schedule", "primary", "--public-url", "https://support.example.com/")
	link := url.FindString(out)
	if code != 0 || errs != "" || link == "" || !strings.Contains(out, "feed primary (ID 1, schedule primary)") || !strings.Contains(out, "shown only now") {
		t.Fatalf("create: exit %d, %q %q", code, out, errs)
	}

	// Without a public URL: the path, and how the URL is formed.
	code, out, errs = c.run("feed", "create", "--engineer", "alice", "--name", "alice.phone")
	path := regexp.MustCompile(`(?m)^/ical/slf_[A-Za-z0-9_-]{43}\.ics$`).FindString(out)
	if code != 0 || path == "" || !strings.Contains(out, "SUPPORTLINE_PUBLIC_URL is not set") {
		t.Fatalf("create without a public URL: exit %d, %q %q", code, out, errs)
	}

	code, out, _ = c.run("--json", "feed", "create", "--schedule", "primary", "--name", "spare", "--public-url", "https://support.example.com")
	var created struct {
		ID        int64
		Name      string
		Schedule  *string
		URL, Path string
	}
	if err := json.Unmarshal([]byte(out), &created); code != 0 || err != nil || created.Name != "spare" || created.Schedule == nil ||
		!url.MatchString(created.URL) || !strings.HasSuffix(created.URL, created.Path) {
		t.Fatalf("create --json: exit %d, %q (%v)", code, out, err)
	}

	code, out, errs = c.run("feed", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || errs != "" || len(lines) != 4 || strings.Join(strings.Fields(lines[0]), " ") != "ID NAME SHOWS CREATED BY LAST FETCHED" ||
		!strings.Contains(lines[1], "alice.phone") || !strings.Contains(lines[1], "engineer alice") || !strings.Contains(lines[2], "schedule primary") {
		t.Fatalf("list: exit %d\n%s", code, out)
	}
	if strings.Contains(out, "slf_") {
		t.Error("list shows a token")
	}

	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"neither", []string{"feed", "create"}, 2, "needs one of --schedule NAME and --engineer HANDLE"},
		{"both", []string{"feed", "create", "--schedule", "primary", "--engineer", "alice"}, 2, "needs one of"},
		{"unknown schedule", []string{"feed", "create", "--schedule", "nope"}, 3, `no schedule "nope"`},
		{"name taken", []string{"feed", "create", "--schedule", "primary"}, 3, "a feed named primary exists"},
		{"bad name", []string{"feed", "create", "--schedule", "primary", "--name", "A B"}, 2, "a feed name is"},
		{"bad public URL", []string{"feed", "create", "--schedule", "primary", "--name", "x", "--public-url", "support.example.com"}, 2, "must start with https://"},
		{"revoke unknown", []string{"feed", "revoke", "nope"}, 3, `no feed "nope"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := c.run(tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.msg) {
				t.Errorf("%v: exit %d, %q; want %d and %q", tc.args, code, errs, tc.code, tc.msg)
			}
		})
	}

	code, out, errs = c.run("feed", "revoke", "1")
	if code != 0 || !strings.Contains(out, "feed primary (ID 1, schedule primary) revoked") {
		t.Fatalf("revoke 1: exit %d, %q %q", code, out, errs)
	}
	code, out, _ = c.run("feed", "revoke", "spare")
	if code != 0 || !strings.Contains(out, "feed spare") {
		t.Fatalf("revoke spare: exit %d, %q", code, out)
	}
	if _, out, _ := c.run("feed", "list"); strings.Contains(out, "primary") || strings.Contains(out, "spare") {
		t.Errorf("revoked feeds listed:\n%s", out)
	}
}
