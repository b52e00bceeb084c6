package tickets_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"supportline/config"
	"supportline/store"
	"supportline/store/storetest"
	"supportline/tickets"
)

// eventLog records OnEvent calls.
type eventLog struct {
	mu    sync.Mutex
	calls []string // "number kind"
	fail  func(ev tickets.Event, t tickets.Ticket) error
}

func (e *eventLog) onEvent(_ context.Context, _ *store.Tx, ev tickets.Event, t tickets.Ticket) error {
	if e.fail != nil {
		if err := e.fail(ev, t); err != nil {
			return err
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = append(e.calls, fmt.Sprintf("%d %s", t.Number, ev.Kind))
	return nil
}

func (e *eventLog) list() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.calls)
}

func newWatcher(db *store.DB, logs *storetest.LogBuffer, events *eventLog) *tickets.Watcher {
	return &tickets.Watcher{DB: db, Log: slog.New(slog.NewTextHandler(logs, nil)), OnEvent: events.onEvent}
}

func tick(t *testing.T, w *tickets.Watcher) int {
	t.Helper()
	n, err := w.Tick(context.Background())
	if err != nil {
		t.Fatalf("Tick: %v", err)
	}
	return n
}

func eventKinds(t *testing.T, db *store.DB, number int64) []tickets.EventKind {
	t.Helper()
	return kinds(mustGet(t, db, number).Events)
}

var (
	opened         = tickets.EventOpened
	warning        = tickets.EventWarning
	breach         = tickets.EventBreach
	responded      = tickets.EventResponded
	resolved       = tickets.EventResolved
	justOpened     = []tickets.EventKind{opened}
	warned         = []tickets.EventKind{opened, warning}
	warnedBreached = []tickets.EventKind{opened, warning, breach}
)

func TestWatcherWarnsAndBreachesOnTime(t *testing.T) {
	tests := []struct {
		name           string
		plan           string
		priority       int
		opened         string
		warnAt, dueAt  string
		quietInBetween string
	}{
		{"premium S1 1h on always, Wednesday 2026-11-18 10:00 UTC", "premium", 1,
			"2026-11-18T10:00:00Z", "2026-11-18T10:45:00Z", "2026-11-18T11:00:00Z", "2026-11-18T10:59:59Z"},
		{"standard S1 4 business hours from Friday 2024-06-14 16:00 Denver", "standard", 1,
			"2024-06-14T16:00:00-06:00", "2024-06-17T11:00:00-06:00", "2024-06-17T12:00:00-06:00", "2024-06-15T12:00:00-06:00"},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		def := config.Default()
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				clock := storetest.ClockOf(db)
				var logs storetest.LogBuffer
				var events eventLog
				w := newWatcher(db, &logs, &events)
				acc, _ := mustAccount(t, db, def, tt.plan)
				clock.Set(mustTime(t, tt.opened))
				tk := mustOpen(t, db, def, tickets.OpenInput{AccountID: acc, Plan: tt.plan, Priority: tt.priority})
				warnAt, dueAt := mustTime(t, tt.warnAt), mustTime(t, tt.dueAt)

				clock.Set(warnAt.Add(-time.Second))
				if n := tick(t, w); n != 0 || !slices.Equal(eventKinds(t, db, tk.Number), justOpened) {
					t.Fatalf("one second before warn_at: %d events recorded, history %v", n, eventKinds(t, db, tk.Number))
				}
				clock.Set(warnAt)
				if n := tick(t, w); n != 1 || !slices.Equal(eventKinds(t, db, tk.Number), warned) {
					t.Fatalf("at warn_at: %d events recorded, history %v", n, eventKinds(t, db, tk.Number))
				}
				if n := tick(t, w); n != 0 {
					t.Fatalf("second tick at warn_at recorded %d", n)
				}
				clock.Set(mustTime(t, tt.quietInBetween))
				if n := tick(t, w); n != 0 {
					t.Fatalf("between warning and due: %d", n)
				}
				clock.Set(dueAt.Add(-time.Second))
				if n := tick(t, w); n != 0 {
					t.Fatalf("one second before due: %d", n)
				}
				clock.Set(dueAt)
				if n := tick(t, w); n != 1 || !slices.Equal(eventKinds(t, db, tk.Number), warnedBreached) {
					t.Fatalf("at due: %d events recorded, history %v", n, eventKinds(t, db, tk.Number))
				}
				clock.Advance(72 * time.Hour)
				if n := tick(t, w); n != 0 || !slices.Equal(eventKinds(t, db, tk.Number), warnedBreached) {
					t.Fatalf("days later: %d events recorded, history %v", n, eventKinds(t, db, tk.Number))
				}
				want := []string{fmt.Sprintf("%d warning", tk.Number), fmt.Sprintf("%d breach", tk.Number)}
				if got := events.list(); !slices.Equal(got, want) {
					t.Fatalf("OnEvent calls %v, want %v", got, want)
				}
				out := logs.String()
				for _, s := range []string{fmt.Sprintf(`level=INFO msg="sla warning" ticket=%d`, tk.Number), fmt.Sprintf(`level=WARN msg="sla breach" ticket=%d`, tk.Number)} {
					if !strings.Contains(out, s) {
						t.Errorf("log lacks %q:\n%s", s, out)
					}
				}
			})
		}
	})
}

func TestWatcherLeavesAnsweredTicketsAlone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		def := config.Default()
		clock := storetest.ClockOf(db)
		var logs storetest.LogBuffer
		var events eventLog
		w := newWatcher(db, &logs, &events)
		acc, _ := mustAccount(t, db, def, "premium")
		clock.Set(mustTime(t, "2026-11-18T10:00:00Z")) // premium S1: warn 10:45, due 11:00
		answered := mustOpen(t, db, def, tickets.OpenInput{AccountID: acc, Plan: "premium", Priority: 1})
		answeredLate := mustOpen(t, db, def, tickets.OpenInput{AccountID: acc, Plan: "premium", Priority: 1})
		closed := mustOpen(t, db, def, tickets.OpenInput{AccountID: acc, Plan: "premium", Priority: 1})

		svc := service(db, def)
		mustEngineers(t, db, "alice", "bob")
		clock.Set(mustTime(t, "2026-11-18T10:30:00Z"))
		if _, _, err := svc.Acknowledge(ctx, "admin", answered.Number, "alice"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Resolve(ctx, "admin", closed.Number); err != nil {
			t.Fatal(err)
		}
		clock.Set(mustTime(t, "2026-11-18T10:50:00Z"))
		if n := tick(t, w); n != 1 {
			t.Fatalf("at 10:50: %d events, want the one warning of the unanswered ticket", n)
		}
		if _, _, err := svc.Acknowledge(ctx, "admin", answeredLate.Number, "bob"); err != nil {
			t.Fatal(err)
		}
		clock.Set(mustTime(t, "2026-11-19T10:00:00Z"))
		if n := tick(t, w); n != 0 {
			t.Fatalf("a day later: %d events, want none", n)
		}
		for _, c := range []struct {
			number int64
			want   []tickets.EventKind
		}{
			{answered.Number, []tickets.EventKind{opened, responded}},
			{answeredLate.Number, []tickets.EventKind{opened, warning, responded}},
			{closed.Number, []tickets.EventKind{opened, resolved}},
		} {
			if got := eventKinds(t, db, c.number); !slices.Equal(got, c.want) {
				t.Errorf("ticket %d: %v, want %v", c.number, got, c.want)
			}
		}
		if got, want := events.list(), []string{fmt.Sprintf("%d warning", answeredLate.Number)}; !slices.Equal(got, want) {
			t.Errorf("OnEvent calls %v, want %v", got, want)
		}
	})
}

func TestWatcherCatchesUpInOnePass(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		def := config.Default()
		clock := storetest.ClockOf(db)
		var logs storetest.LogBuffer
		var events eventLog
		w := newWatcher(db, &logs, &events)
		acc, _ := mustAccount(t, db, def, "premium")
		clock.Set(mustTime(t, "2026-11-18T10:00:00Z"))
		tk := mustOpen(t, db, def, tickets.OpenInput{AccountID: acc, Plan: "premium", Priority: 2})
		clock.Set(mustTime(t, "2026-11-18T18:00:00Z")) // the watcher was down past warn (11:30) and due (12:00)
		if n := tick(t, w); n != 2 {
			t.Fatalf("one pass recorded %d events, want 2", n)
		}
		got := mustGet(t, db, tk.Number)
		if !slices.Equal(kinds(got.Events), warnedBreached) || got.Events[1].ID >= got.Events[2].ID {
			t.Fatalf("history %+v, want opened, warning, breach in that order", got.Events)
		}
		if want := []string{fmt.Sprintf("%d warning", tk.Number), fmt.Sprintf("%d breach", tk.Number)}; !slices.Equal(events.list(), want) {
			t.Fatalf("OnEvent calls %v, want %v", events.list(), want)
		}
	})
}

func TestWatcherRetriesWhenOnEventFails(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		def := config.Default()
		clock := storetest.ClockOf(db)
		var logs storetest.LogBuffer
		failing := atomic.Int64{} // ticket number whose OnEvent fails
		events := eventLog{fail: func(_ tickets.Event, t tickets.Ticket) error {
			if t.Number == failing.Load() {
				return errors.New("outbox unavailable")
			}
			return nil
		}}
		w := newWatcher(db, &logs, &events)
		// The handler writes a row in the watcher's transaction, as the SMS
		// outbox will; a failure must take that row away with the event.
		w.OnEvent = func(ctx context.Context, tx *store.Tx, ev tickets.Event, tk tickets.Ticket) error {
			if _, err := tx.Exec(ctx, `INSERT INTO audit_events (at, actor, action, subject) VALUES (?, 'watcher', ?, ?)`,
				tx.Now, "sla."+string(ev.Kind), fmt.Sprint(tk.Number)); err != nil {
				return err
			}
			return events.onEvent(ctx, tx, ev, tk)
		}
		acc, _ := mustAccount(t, db, def, "premium")
		clock.Set(mustTime(t, "2026-11-18T10:00:00Z"))
		bad := mustOpen(t, db, def, tickets.OpenInput{AccountID: acc, Plan: "premium", Priority: 1})
		good := mustOpen(t, db, def, tickets.OpenInput{AccountID: acc, Plan: "premium", Priority: 1})
		failing.Store(bad.Number)
		clock.Set(mustTime(t, "2026-11-18T12:00:00Z"))

		if n := tick(t, w); n != 2 {
			t.Fatalf("first pass recorded %d events, want the good ticket's 2", n)
		}
		if got := eventKinds(t, db, bad.Number); !slices.Equal(got, justOpened) {
			t.Fatalf("failing ticket's history %v, want only opened (no breach before its warning)", got)
		}
		if got := eventKinds(t, db, good.Number); !slices.Equal(got, warnedBreached) {
			t.Fatalf("good ticket's history %v", got)
		}
		if !strings.Contains(logs.String(), fmt.Sprintf(`level=ERROR msg="sla event handler failed; will retry" ticket=%d kind=warning err="outbox unavailable"`, bad.Number)) {
			t.Fatalf("no error log for the failed handler:\n%s", logs.String())
		}
		outbox := func() []string {
			var subjects []string
			err := db.InTx(ctx, func(tx *store.Tx) error {
				return tx.Select(ctx, &subjects, `SELECT subject || ' ' || action FROM audit_events WHERE actor = 'watcher' ORDER BY id`)
			})
			if err != nil {
				t.Fatal(err)
			}
			return subjects
		}
		if got, want := outbox(), []string{fmt.Sprintf("%d sla.warning", good.Number), fmt.Sprintf("%d sla.breach", good.Number)}; !slices.Equal(got, want) {
			t.Fatalf("handler rows %v, want %v", got, want)
		}

		if n := tick(t, w); n != 0 {
			t.Fatalf("still failing: recorded %d", n)
		}
		failing.Store(0)
		if n := tick(t, w); n != 2 {
			t.Fatalf("after recovery recorded %d events, want 2", n)
		}
		if got := eventKinds(t, db, bad.Number); !slices.Equal(got, warnedBreached) {
			t.Fatalf("retried ticket's history %v", got)
		}
		if got := outbox(); len(got) != 4 || got[2] != fmt.Sprintf("%d sla.warning", bad.Number) || got[3] != fmt.Sprintf("%d sla.breach", bad.Number) {
			t.Fatalf("handler rows after the retry %v", got)
		}
	})
}

// Several watchers on one database (as several replicas would run) record
// each warning and each breach exactly once, and call OnEvent exactly once
// per event. On PostgreSQL the watchers' transactions run concurrently on
// separate connections, claiming with FOR UPDATE SKIP LOCKED.
func TestConcurrentWatchersRecordEachEventOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const nTickets = 250 // more than one claim batch
		def := config.Default()
		clock := storetest.ClockOf(db)
		acc, _ := mustAccount(t, db, def, "premium")
		clock.Set(mustTime(t, "2026-11-18T10:00:00Z"))
		numbers := map[int64]bool{}
		for i := range nTickets {
			clock.Set(mustTime(t, "2026-11-18T10:00:00Z").Add(time.Duration(i%7) * time.Second))
			numbers[mustOpen(t, db, def, tickets.OpenInput{AccountID: acc, Plan: "premium", Priority: 1}).Number] = true
		}
		var logs storetest.LogBuffer
		var calls sync.Map // "number kind" -> *atomic.Int64
		onEvent := func(_ context.Context, _ *store.Tx, ev tickets.Event, tk tickets.Ticket) error {
			c, _ := calls.LoadOrStore(fmt.Sprintf("%d %s", tk.Number, ev.Kind), new(atomic.Int64))
			c.(*atomic.Int64).Add(1)
			return nil
		}
		watchers := []*tickets.Watcher{
			{DB: db, Log: slog.New(slog.NewTextHandler(&logs, nil)), OnEvent: onEvent},
			{DB: db, Log: slog.New(slog.NewTextHandler(&logs, nil)), OnEvent: onEvent},
		}
		race := func(phase string) int64 {
			var total atomic.Int64
			var wg sync.WaitGroup
			for g := range 4 {
				w := watchers[g%len(watchers)]
				wg.Go(func() {
					for range 5 {
						n, err := w.Tick(context.Background())
						if err != nil {
							t.Errorf("%s: Tick: %v", phase, err)
							return
						}
						total.Add(int64(n))
					}
				})
			}
			wg.Wait()
			return total.Load()
		}
		count := func(kind tickets.EventKind) map[int64]int {
			var rows []struct {
				Number int64 `db:"number"`
				N      int   `db:"n"`
			}
			err := db.InTx(context.Background(), func(tx *store.Tx) error {
				return tx.Select(context.Background(), &rows, `SELECT t.number, COUNT(*) AS n FROM ticket_events e
					JOIN tickets t ON t.id = e.ticket_id WHERE e.kind = ? GROUP BY t.number`, kind)
			})
			if err != nil {
				t.Fatal(err)
			}
			out := map[int64]int{}
			for _, r := range rows {
				out[r.Number] = r.N
			}
			return out
		}
		check := func(phase string, kind tickets.EventKind, recorded int64) {
			t.Helper()
			if recorded != nTickets {
				t.Errorf("%s: watchers reported %d events, want %d", phase, recorded, nTickets)
			}
			got := count(kind)
			if len(got) != nTickets {
				t.Errorf("%s: %d tickets have a %s, want %d", phase, len(got), kind, nTickets)
			}
			for number := range numbers {
				if got[number] != 1 {
					t.Errorf("%s: ticket %d has %d %s events", phase, number, got[number], kind)
				}
				c, ok := calls.Load(fmt.Sprintf("%d %s", number, kind))
				if !ok || c.(*atomic.Int64).Load() != 1 {
					t.Errorf("%s: OnEvent for ticket %d %s not called exactly once", phase, number, kind)
				}
			}
		}

		clock.Set(mustTime(t, "2026-11-18T10:45:06Z")) // every warn_at has passed, no due time has
		check("warning phase", warning, race("warning phase"))
		if n := len(count(breach)); n != 0 {
			t.Fatalf("%d breaches before any due time", n)
		}
		clock.Set(mustTime(t, "2026-11-18T11:00:06Z"))
		check("breach phase", breach, race("breach phase"))
		check("after both phases", warning, nTickets)
		if strings.Contains(logs.String(), "level=ERROR") {
			t.Fatalf("errors logged:\n%s", logs.String())
		}
	})
}

func TestRunStopsWithItsContext(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	def := config.Default()
	acc, _ := mustAccount(t, db, def, "premium")
	clock := storetest.ClockOf(db)
	clock.Set(mustTime(t, "2026-11-18T10:00:00Z"))
	tk := mustOpen(t, db, def, tickets.OpenInput{AccountID: acc, Plan: "premium", Priority: 1})
	clock.Set(mustTime(t, "2026-11-18T12:00:00Z"))
	var logs storetest.LogBuffer
	var events eventLog
	w := newWatcher(db, &logs, &events)
	w.Interval = 10 * time.Millisecond
	// Each pass reports here once it has committed (OnEvent runs before
	// the commit, and a pass cut short by the context is rolled back).
	type pass struct {
		n   int
		err error
	}
	passes := make(chan pass, 1)
	w.AfterPass = func(n int, err error) {
		select {
		case passes <- pass{n, err}:
		default: // the test reads only the first pass
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	// The first pass is made at once, and the clock is past both instants.
	select {
	case p := <-passes:
		if p.err != nil || p.n != 2 {
			t.Fatalf("first pass: %d events, %v; want the warning and the breach", p.n, p.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run made no pass")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if got := eventKinds(t, db, tk.Number); !slices.Equal(got, warnedBreached) {
		t.Fatalf("Run recorded %v; log:\n%s", got, logs.String())
	}
}
