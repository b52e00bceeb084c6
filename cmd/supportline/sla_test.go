package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"supportline/accounts"
	"supportline/config"
	"supportline/oncall"
	"supportline/store"
	"supportline/store/storetest"
	"supportline/tickets"
)

func TestSLADue(t *testing.T) {
	c := newCLI(t)
	t.Run("acceptance: standard S1 Friday 2024-06-14 16:00 Denver is due Monday noon", func(t *testing.T) {
		code, out, errs := c.run("sla", "due", "--plan", "standard", "--priority", "1", "--opened", "2024-06-14T16:00:00-06:00")
		if code != 0 || out != "2024-06-17T12:00:00-06:00\n" {
			t.Fatalf("sla due: %d %q %q", code, out, errs)
		}
	})
	t.Run("opened given in UTC prints in the calendar's zone", func(t *testing.T) {
		code, out, errs := c.run("sla", "due", "--plan", "standard", "--priority", "1", "--opened", "2024-06-14T22:00:00Z")
		if code != 0 || out != "2024-06-17T12:00:00-06:00\n" {
			t.Fatalf("sla due: %d %q %q", code, out, errs)
		}
	})
	t.Run("json", func(t *testing.T) {
		code, out, errs := c.run("sla", "due", "--plan", "premium", "--priority", "1", "--opened", "2024-03-10T01:30:00-07:00", "--json")
		var got map[string]string
		if code != 0 || json.Unmarshal([]byte(out), &got) != nil {
			t.Fatalf("sla due --json: %d %q %q", code, out, errs)
		}
		want := map[string]string{"due": "2024-03-10T09:30:00Z", "target": "1h", "calendar": "always", "opened": "2024-03-10T01:30:00-07:00"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %q, want %q (all: %v)", k, got[k], v, got)
			}
		}
	})
	t.Run("four-tier catalog: enterprise P3 is 1bd on New York 08:00-17:00", func(t *testing.T) {
		code, out, errs := c.run("--config", "../../examples/four-tier.yaml", "sla", "due", "--plan", "enterprise", "--priority", "3", "--opened", "2026-07-02T13:00:00-04:00")
		if code != 0 || out != "2026-07-06T13:00:00-04:00\n" { // Friday July 3 is Independence Day observed
			t.Fatalf("sla due: %d %q %q", code, out, errs)
		}
	})
}

func TestSLAExplain(t *testing.T) {
	c := newCLI(t)
	code, out, errs := c.run("sla", "explain", "--plan", "standard", "--priority", "1", "--opened", "2024-06-14T16:00:00-06:00")
	if code != 0 {
		t.Fatalf("sla explain: %d %q", code, errs)
	}
	for _, line := range []string{
		"plan:      standard, priority 1 (Critical)\n",
		"target:    4h of business time\n",
		"calendar:  business (Mon-Fri 09:00-17:00 America/Denver, holidays: us-federal)\n",
		"due:       2024-06-17T12:00:00-06:00\n",
		"warning:   2024-06-17T11:00:00-06:00",
		"counted:\n  2024-06-14T16:00:00-06:00 - 2024-06-14T17:00:00-06:00  1h\n  2024-06-17T09:00:00-06:00 - 2024-06-17T12:00:00-06:00  3h\ntotal:     4h\n",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("explain lacks %q:\n%s", line, out)
		}
	}

	code, out, errs = c.run("sla", "explain", "--config", "../../examples/four-tier.yaml", "--plan", "poc", "--priority", "2", "--opened", "2025-11-26T03:00:00Z", "--json")
	var got struct {
		Calendar  string
		Due       string
		Intervals []struct{ Start, End, Duration string }
		Total     string
	}
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil {
		t.Fatalf("sla explain --json: %d %q %q", code, out, errs)
	}
	// Opened Tuesday 22:00 New York; Wednesday and Friday count, Thanksgiving does not.
	if got.Due != "2025-11-28T17:00:00-05:00" || got.Total != "18h" || len(got.Intervals) != 2 ||
		got.Intervals[0].Start != "2025-11-26T08:00:00-05:00" || got.Intervals[1].Start != "2025-11-28T08:00:00-05:00" || got.Intervals[1].Duration != "9h" {
		t.Fatalf("explain --json: %+v", got)
	}
}

func TestSLAHolidays(t *testing.T) {
	c := newCLI(t)
	code, out, errs := c.run("sla", "holidays", "--calendar", "business", "--year", "2026")
	if code != 0 {
		t.Fatalf("sla holidays: %d %q", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 12 || !strings.HasPrefix(lines[0], "DATE") {
		t.Fatalf("want a header and 11 holidays:\n%s", out)
	}
	for _, want := range []string{"2026-07-03  Friday     Independence Day (observed)", "2026-11-26  Thursday   Thanksgiving Day"} {
		if !strings.Contains(out, want) {
			t.Errorf("holidays lack %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "2026-07-04") {
		t.Errorf("Saturday July 4 listed:\n%s", out)
	}
	code, out, _ = c.run("sla", "holidays", "--calendar", "business", "--year", "2027", "--json")
	var rows []struct{ Date, Weekday, Name string }
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 12 ||
		rows[11].Date != "2027-12-31" || rows[11].Name != "New Year's Day (observed)" {
		t.Fatalf("holidays 2027 --json: %d %q", code, out)
	}
}

func TestSLABadInput(t *testing.T) {
	c := newCLI(t)
	opened := "2024-06-14T16:00:00-06:00"
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown plan", []string{"sla", "due", "--plan", "gold", "--priority", "1", "--opened", opened}, 2, `unknown plan "gold" (plans: free, premium, standard)`},
		{"plan without an SLA", []string{"sla", "due", "--plan", "free", "--priority", "1", "--opened", opened}, 2, "plan free has no SLA for any priority"},
		{"priority the plan lacks", []string{"sla", "explain", "--plan", "premium", "--priority", "5", "--opened", opened}, 2, "plan premium has no SLA for priority 5 (it has priorities 1, 2, 3)"},
		{"date without a time", []string{"sla", "due", "--plan", "premium", "--priority", "1", "--opened", "2024-06-14"}, 2, `--opened "2024-06-14" is not an RFC 3339 time`},
		{"time without a zone", []string{"sla", "due", "--plan", "premium", "--priority", "1", "--opened", "2024-06-14T16:00:00"}, 2, "is not an RFC 3339 time"},
		{"missing --priority", []string{"sla", "due", "--plan", "premium", "--opened", opened}, 2, "--priority is required"},
		{"missing --plan", []string{"sla", "due", "--priority", "1", "--opened", opened}, 2, "--plan is required"},
		{"missing --opened", []string{"sla", "explain", "--plan", "premium", "--priority", "1"}, 2, "--opened is required"},
		{"priority not a number", []string{"sla", "due", "--plan", "premium", "--priority", "one", "--opened", opened}, 2, `--priority takes a whole number, not "one"`},
		{"unknown calendar", []string{"sla", "holidays", "--calendar", "weekend", "--year", "2026"}, 3, `no calendar "weekend" (calendars: always, business)`},
		{"missing --calendar", []string{"sla", "holidays", "--year", "2026"}, 2, "--calendar is required"},
		{"year out of range", []string{"sla", "holidays", "--calendar", "business", "--year", "20260"}, 2, "--year 20260 is out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := c.run(tt.args...)
			if code != tt.code || out != "" || !strings.Contains(errs, tt.want) || strings.Count(errs, "\n") != 1 {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d and one line with %q", code, out, errs, tt.code, tt.want)
			}
		})
	}
}

// serve runs the breach watcher: a ticket left overdue in the database gets
// its warning and breach while the server runs, and the watcher stops before
// the database closes.
func TestServeRunsTheBreachWatcher(t *testing.T) {
	t.Setenv("TWILIO_AUTH_TOKEN", "test-token")
	t.Setenv("SUPPORTLINE_PUBLIC_URL", "https://support.example.com")
	t.Setenv("SUPPORTLINE_WATCH_INTERVAL", "50ms")
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "watch.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	policy := config.Default()
	accts := &accounts.Service{DB: db, Policy: policy}
	acc, err := accts.AddAccount(ctx, "tester", accounts.NewAccount{Name: "Acme Corp", Plan: "premium"})
	if err != nil {
		t.Fatal(err)
	}
	db.Now = func() time.Time { return time.Now().Add(-2 * time.Hour) } // opened two hours ago: 1h target long gone
	var tk tickets.Ticket
	err = db.InTx(ctx, func(tx *store.Tx) error {
		tk, err = (&tickets.Service{DB: db, Policy: policy, Engineers: &oncall.Service{DB: db}, Accounts: accts}).OpenTx(ctx, tx, tickets.OpenInput{AccountID: acc.ID, Plan: "premium", Priority: 1})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	runCtx, stop := context.WithCancel(ctx)
	var out, errs storetest.LogBuffer
	done := make(chan int, 1)
	go func() { done <- run(runCtx, []string{"serve", "--db", path, "--addr", "127.0.0.1:0"}, &out, &errs) }()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !strings.Contains(errs.String(), `msg="sla breach"`); time.Sleep(20 * time.Millisecond) {
	}
	stop()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited %d: %s", code, errs.String())
	}
	log := errs.String()
	for _, want := range []string{`msg="sla watcher started" interval=50ms`, `msg="sla warning" component=sla-watcher ticket=100001`, `msg="sla breach" component=sla-watcher ticket=100001`, "stopped cleanly"} {
		if !strings.Contains(log, want) {
			t.Errorf("serve log lacks %q:\n%s", want, log)
		}
	}
	db, err = store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := (&tickets.Service{DB: db, Policy: policy, Engineers: &oncall.Service{DB: db}, Accounts: &accounts.Service{DB: db, Policy: policy}}).Get(ctx, tk.Number)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Events) != 3 || got.Events[1].Kind != tickets.EventWarning || got.Events[2].Kind != tickets.EventBreach {
		t.Fatalf("events after serve: %+v", got.Events)
	}
}

func TestServeRejectsABadWatchInterval(t *testing.T) {
	t.Setenv("TWILIO_AUTH_TOKEN", "test-token")
	t.Setenv("SUPPORTLINE_PUBLIC_URL", "https://support.example.com")
	t.Setenv("SUPPORTLINE_WATCH_INTERVAL", "soon")
	c := newCLI(t)
	code, _, errs := c.run("serve", "--addr", "127.0.0.1:0")
	if code != 2 || !strings.Contains(errs, `SUPPORTLINE_WATCH_INTERVAL="soon" is not a positive duration such as 15s`) {
		t.Fatalf("serve with a bad interval: %d %q", code, errs)
	}
}
