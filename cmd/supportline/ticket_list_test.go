package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"supportline/store"
	"supportline/tickets"
)

// TestTicketListFiltersAndPages seeds premium tickets (Priority 1 due in
// 1h, 2 in 2h, on the always calendar) on Wednesday 2026-11-18 UTC, all
// long overdue when the test runs, one of them answered in time.
func TestTicketListFiltersAndPages(t *testing.T) {
	c := newCLI(t)
	s := newTicketSeed(t, c)
	acme := s.account("Acme Corp", "100200")
	openAt := func(at string, prio int) tickets.Ticket {
		s.setClock(at)
		var tk tickets.Ticket
		s.tx(func(tx *store.Tx) (err error) {
			tk, err = s.svc().OpenTx(context.Background(), tx, tickets.OpenInput{AccountID: acme.ID, Plan: "premium", Priority: prio})
			return err
		})
		return tk
	}
	a := openAt("2026-11-18T10:00:00Z", 2) // due 12:00
	b := openAt("2026-11-18T10:30:00Z", 1) // due 11:30
	d := openAt("2026-11-18T11:00:00Z", 1) // due 12:00, answered at 11:10
	s.engineer("alice", "+17205550111")
	s.setClock("2026-11-18T11:10:00Z")
	if _, _, err := s.svc().Acknowledge(context.Background(), "seed", d.Number, "alice"); err != nil {
		t.Fatal(err)
	}
	n := func(ts ...tickets.Ticket) []int64 {
		out := make([]int64, len(ts))
		for i, t := range ts {
			out[i] = t.Number
		}
		return out
	}

	tests := []struct {
		name string
		args []string
		want []int64
	}{
		{"--sort opened is today's order", []string{"--sort", "opened"}, n(d, b, a)},
		{"--sort due, ties by number", []string{"--sort", "due"}, n(b, a, d)},
		{"--priority", []string{"--priority", "1"}, n(d, b)},
		{"--breached", []string{"--breached"}, n(b, a)},
		{"--due-before", []string{"--due-before", "2026-11-18T12:00:00Z"}, n(b)},
		{"--due-before with an offset", []string{"--due-before", "2026-11-18T05:00:01-07:00", "--sort", "due"}, n(b, a, d)},
		{"--opened-from --opened-to", []string{"--opened-from", "2026-11-18T10:30:00Z", "--opened-to", "2026-11-18T11:00:00Z"}, n(b)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := listedNumbers(c.ticketList(tt.args...)); !slices.Equal(got, tt.want) {
				t.Fatalf("ticket list %v = %v, want %v", tt.args, got, tt.want)
			}
		})
	}

	t.Run("pages with --cursor, the next one on stderr", func(t *testing.T) {
		code, out, errs := c.run("ticket", "list", "--sort", "due", "--limit", "2")
		if code != 0 || !strings.HasPrefix(errs, "more tickets: add --cursor ") || strings.Count(errs, "\n") != 1 {
			t.Fatalf("first page: %d %q", code, errs)
		}
		if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 3 ||
			!strings.HasPrefix(lines[1], num(b.Number)+" ") || !strings.HasPrefix(lines[2], num(a.Number)+" ") {
			t.Fatalf("first page:\n%s", out)
		}
		cursor := strings.TrimSpace(strings.TrimPrefix(errs, "more tickets: add --cursor "))
		code, out, errs = c.run("ticket", "list", "--json", "--sort", "due", "--limit", "2", "--cursor", cursor)
		if code != 0 || errs != "" {
			t.Fatalf("last page: %d %q", code, errs)
		}
		var ls []listed
		if err := json.Unmarshal([]byte(out), &ls); err != nil {
			t.Fatal(err)
		}
		if got := listedNumbers(ls); !slices.Equal(got, n(d)) {
			t.Fatalf("last page = %v, want %v", got, n(d))
		}
	})

	t.Run("under --json the next cursor is a JSON line on stderr", func(t *testing.T) {
		code, out, errs := c.run("ticket", "list", "--json", "--limit", "1")
		var next struct {
			Next string `json:"next_cursor"`
		}
		if code != 0 || json.Unmarshal([]byte(errs), &next) != nil || next.Next == "" {
			t.Fatalf("%d %q", code, errs)
		}
		var ls []listed
		if err := json.Unmarshal([]byte(out), &ls); err != nil || len(ls) != 1 || ls[0].Number != d.Number {
			t.Fatalf("page: %v %s", err, out)
		}
		rest := c.ticketList("--limit", "1", "--cursor", next.Next)
		if got := listedNumbers(rest); !slices.Equal(got, n(b)) {
			t.Fatalf("second page = %v, want %v", got, n(b))
		}
	})

	t.Run("bad values exit 2 in words", func(t *testing.T) {
		_, _, opened := c.run("ticket", "list", "--limit", "1")
		openedCursor := strings.TrimSpace(strings.TrimPrefix(opened, "more tickets: add --cursor "))
		for _, tt := range []struct {
			args  []string
			words string
		}{
			{[]string{"--sort", "number"}, `--sort "number" is not opened or due`},
			{[]string{"--priority", "9"}, "priority 9 is not a priority level (1 to 8)"},
			{[]string{"--priority", "0"}, "--priority 0 is not a priority level (1 to 8)"},
			{[]string{"--priority", "high"}, `--priority takes a whole number, not "high"`},
			{[]string{"--due-before", "tomorrow"}, `--due-before "tomorrow" is not an RFC 3339 time`},
			{[]string{"--opened-from", "2026-11-18"}, `--opened-from "2026-11-18" is not an RFC 3339 time`},
			{[]string{"--opened-from", "2026-11-19T00:00:00Z", "--opened-to", "2026-11-18T00:00:00Z"}, "opened from 2026-11-19T00:00:00Z must be before opened to 2026-11-18T00:00:00Z"},
			{[]string{"--limit", "1001"}, "limit must be 1 to 1000, not 1001"},
			{[]string{"--cursor", "garbage!"}, `cursor "garbage!" is not one a ticket list gave out`},
			{[]string{"--cursor", openedCursor, "--sort", "due"}, "cursor is for tickets sorted by opened, not by due"},
		} {
			code, out, errs := c.run(append([]string{"ticket", "list"}, tt.args...)...)
			if code != 2 || out != "" || !strings.HasPrefix(errs, "error: ") || !strings.Contains(errs, tt.words) {
				t.Errorf("ticket list %v: %d %q %q, want 2 and %q", tt.args, code, out, errs, tt.words)
			}
		}
	})
}
