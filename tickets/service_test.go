package tickets_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"supportline/audit"
	"supportline/config"
	"supportline/errcode"
	"supportline/store"
	"supportline/store/storetest"
	"supportline/tickets"
)

// ticketAudit is the audit log's ticket actions as "actor action subject
// detail".
func ticketAudit(t *testing.T, db *store.DB) []string {
	t.Helper()
	evs, err := (&audit.Service{DB: db}).List(context.Background(), audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		if strings.HasPrefix(e.Action, "ticket.") {
			out = append(out, strings.TrimSpace(e.Actor+" "+e.Action+" "+e.Subject+" "+e.Detail))
		}
	}
	return out
}

// Premium Priority 1 (1h on always) opened Wednesday 2026-11-18 10:00 UTC:
// acknowledged, annotated, resolved and reopened by different people, each
// in the ticket's history and in the audit log.
func TestTicketActionsAreAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		def := config.Default()
		svc := service(db, def)
		clock := storetest.ClockOf(db)
		acc, _ := mustAccount(t, db, def, "premium")
		mustEngineers(t, db, "alice")
		clock.Set(mustTime(t, "2026-11-18T10:00:00Z"))
		tk := mustOpen(t, db, def, tickets.OpenInput{AccountID: acc, Plan: "premium", Priority: 1})
		subject := "ticket:" + strconv.FormatInt(tk.Number, 10)

		clock.Set(mustTime(t, "2026-11-18T10:10:00Z"))
		if _, _, err := svc.Acknowledge(ctx, "carol", tk.Number, "alice"); err != nil {
			t.Fatal(err)
		}
		clock.Set(mustTime(t, "2026-11-18T10:20:00Z"))
		note, err := svc.Note(ctx, "dave", tk.Number, "  Called back; the fix works  ")
		if err != nil || note.Kind != tickets.EventNote || note.Detail != "by dave: Called back; the fix works" || note.ID == 0 ||
			!note.At.Equal(mustTime(t, "2026-11-18T10:20:00Z")) {
			t.Fatalf("Note = %+v, %v", note, err)
		}
		clock.Set(mustTime(t, "2026-11-18T10:30:00Z"))
		if _, _, err := svc.Resolve(ctx, "erin", tk.Number); err != nil {
			t.Fatal(err)
		}
		clock.Set(mustTime(t, "2026-11-18T12:00:00Z"))
		re, changed, err := svc.Reopen(ctx, "frank", tk.Number)
		if err != nil || !changed || re.Status != tickets.StatusOpen || re.ResolvedAt != nil {
			t.Fatalf("Reopen = %+v, %t, %v", re, changed, err)
		}
		// Nothing to do: no event, no audit.
		if again, changed, err := svc.Reopen(ctx, "frank", tk.Number); err != nil || changed || again.Status != tickets.StatusOpen {
			t.Fatalf("second Reopen = %+v, %t, %v", again, changed, err)
		}
		if _, changed, err := svc.Acknowledge(ctx, "carol", tk.Number, "alice"); err != nil || changed {
			t.Fatalf("second Acknowledge: %t, %v", changed, err)
		}

		got := mustGet(t, db, tk.Number)
		want := []tickets.EventKind{tickets.EventOpened, tickets.EventResponded, tickets.EventNote, tickets.EventResolved, tickets.EventReopened}
		if !slices.Equal(kinds(got.Events), want) {
			t.Fatalf("events %v, want %v", kinds(got.Events), want)
		}
		for i, d := range map[int]string{1: "by alice", 2: "by dave: Called back; the fix works", 3: "by erin", 4: "by frank"} {
			if got.Events[i].Detail != d {
				t.Errorf("%s detail %q, want %q", got.Events[i].Kind, got.Events[i].Detail, d)
			}
		}
		// The promise is the one the ticket opened with.
		if !got.ResponseDue.Equal(tk.ResponseDue) || !got.WarnAt.Equal(tk.WarnAt) || got.Target != "1h" || got.Status != tickets.StatusOpen {
			t.Errorf("after reopening: due %v warn %v target %s status %s; want %v, %v", got.ResponseDue, got.WarnAt, got.Target, got.Status, tk.ResponseDue, tk.WarnAt)
		}
		wantAudit := []string{
			"carol ticket.ack " + subject + " by alice",
			"dave ticket.note " + subject + " Called back; the fix works",
			"erin ticket.resolve " + subject,
			"frank ticket.reopen " + subject + " resolved at 2026-11-18T10:30:00Z",
		}
		if a := ticketAudit(t, db); !slices.Equal(a, wantAudit) {
			t.Errorf("audit %q, want %q", a, wantAudit)
		}
	})
}

// discard is a logger that writes nowhere.
func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestNoteRefusesBadText(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		def := config.Default()
		svc := service(db, def)
		acc, _ := mustAccount(t, db, def, "premium")
		tk := mustOpen(t, db, def, tickets.OpenInput{AccountID: acc, Plan: "premium", Priority: 1})
		tests := []struct {
			name, actor, text string
			number            int64
			code              errcode.Code
			want              string
		}{
			{"blank", "admin", " \t ", tk.Number, errcode.Invalid, "a note needs some text"},
			{"too long", "admin", strings.Repeat("é", tickets.MaxNoteLen+1), tk.Number, errcode.Invalid, "a note is at most 2000 characters, not 2001"},
			{"two lines", "admin", "one\ntwo", tk.Number, errcode.Invalid, "a note is one line of text"},
			{"a control character", "admin", "bell\a", tk.Number, errcode.Invalid, "a note is one line of text"},
			{"not UTF-8", "admin", "caf\xe9", tk.Number, errcode.Invalid, "a note must be UTF-8 text"},
			{"no actor", "", "hello", tk.Number, errcode.Invalid, "who is acting is required"},
			{"unknown ticket", "admin", "hello", 999999, errcode.NotFound, "no ticket 999999"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := svc.Note(ctx, tt.actor, tt.number, tt.text)
				if !errcode.Is(err, tt.code) || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("Note = %v, want %s %q", err, tt.code, tt.want)
				}
			})
		}
		// The longest note is taken, on a resolved ticket too.
		if _, _, err := svc.Resolve(ctx, "admin", tk.Number); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Note(ctx, "admin", tk.Number, strings.Repeat("é", tickets.MaxNoteLen)); err != nil {
			t.Fatalf("a note of %d characters: %v", tickets.MaxNoteLen, err)
		}
		if got := kinds(mustGet(t, db, tk.Number).Events); !slices.Equal(got, []tickets.EventKind{tickets.EventOpened, tickets.EventResolved, tickets.EventNote}) {
			t.Fatalf("events %v: a refused note was recorded", got)
		}
		if a := ticketAudit(t, db); len(a) != 2 {
			t.Fatalf("audit %q, want the resolve and the one note", a)
		}
	})
}

// A reopened ticket that is past its promise without a response warns and
// breaches at the instants it was opened with.
func TestReopenedTicketKeepsItsPromise(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		def := config.Default()
		svc := service(db, def)
		clock := storetest.ClockOf(db)
		acc, _ := mustAccount(t, db, def, "premium")
		clock.Set(mustTime(t, "2026-11-18T10:00:00Z")) // premium S1: warn 10:45, due 11:00
		tk := mustOpen(t, db, def, tickets.OpenInput{AccountID: acc, Plan: "premium", Priority: 1})
		clock.Set(mustTime(t, "2026-11-18T10:05:00Z"))
		if _, _, err := svc.Resolve(ctx, "admin", tk.Number); err != nil {
			t.Fatal(err)
		}
		w := &tickets.Watcher{DB: db, Log: discard()}
		clock.Set(mustTime(t, "2026-11-18T11:30:00Z"))
		if n := tick(t, w); n != 0 {
			t.Fatalf("a resolved ticket: %d events", n)
		}
		if _, _, err := svc.Reopen(ctx, "admin", tk.Number); err != nil {
			t.Fatal(err)
		}
		if n := tick(t, w); n != 2 {
			t.Fatalf("the reopened ticket past its due time: %d events, want the warning and the breach", n)
		}
		got := mustGet(t, db, tk.Number)
		if tickets.TimeLeft(mustTime(t, "2026-11-18T11:30:00Z"), got, def) != "overdue by 30m" {
			t.Errorf("time left %q", tickets.TimeLeft(mustTime(t, "2026-11-18T11:30:00Z"), got, def))
		}
	})
}

func TestTimeLeft(t *testing.T) {
	def := config.Default()
	at := func(s string) *time.Time { v := mustTime(t, s); return &v }
	// Premium S1 (1h on always) and standard S1 (4h on business, Denver)
	// opened Friday 2024-06-14 16:00 Denver: due Monday 12:00.
	premium := tickets.Ticket{Plan: "premium", Clock: "always", OpenedAt: mustTime(t, "2024-06-14T16:00:00-06:00"),
		ResponseDue: mustTime(t, "2024-06-14T17:00:00-06:00"), Status: tickets.StatusOpen}
	standard := tickets.Ticket{Plan: "standard", Clock: "business", OpenedAt: mustTime(t, "2024-06-14T16:00:00-06:00"),
		ResponseDue: mustTime(t, "2024-06-17T12:00:00-06:00"), Status: tickets.StatusOpen}
	gone := standard
	gone.Clock = "renamed-calendar"
	responded, resolved := premium, premium
	responded.RespondedAt = at("2024-06-14T16:14:30-06:00")
	resolved.Status, resolved.ResolvedAt = tickets.StatusResolved, at("2024-06-14T16:30:00-06:00")
	late := premium
	late.RespondedAt = at("2024-06-15T18:12:00-06:00")
	tests := []struct {
		name string
		now  string
		t    tickets.Ticket
		want string
	}{
		{"premium 48m12s after opening: whole minutes", "2024-06-14T16:11:48-06:00", premium, "48m left"},
		{"premium 30 s before due: seconds", "2024-06-14T16:59:30-06:00", premium, "30s left"},
		{"premium at the due instant", "2024-06-14T17:00:00-06:00", premium, "due now"},
		{"premium 1h25m late", "2024-06-14T18:25:00-06:00", premium, "overdue by 1h25m"},
		{"standard on Saturday: the weekend does not count", "2024-06-15T12:00:00-06:00", standard, "3h left"},
		{"standard Monday 13:30 Denver", "2024-06-17T13:30:00-06:00", standard, "overdue by 1h30m"},
		{"a calendar the policy no longer has counts absolute time", "2024-06-15T12:00:00-06:00", gone, "48h left"},
		{"responded", "2024-06-20T00:00:00Z", responded, "responded in 14m"},
		{"responded a day later", "2024-06-20T00:00:00Z", late, "responded in 26h12m"},
		{"resolved without a response", "2024-06-20T00:00:00Z", resolved, "resolved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tickets.TimeLeft(mustTime(t, tt.now), tt.t, def); got != tt.want {
				t.Fatalf("TimeLeft = %q, want %q", got, tt.want)
			}
		})
	}
}

// A leg's outcome is recorded once per dial step, by key: a replay adds
// nothing, the Dial action's report after the engineer's own "declined"
// adds nothing, and rewording a message changes neither.
func TestAddEventOnceByKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		def := config.Default()
		svc := service(db, def)
		acc, _ := mustAccount(t, db, def, "premium")
		tk := mustOpen(t, db, def, tickets.OpenInput{AccountID: acc, Plan: "premium", Priority: 1})
		other := mustOpen(t, db, def, tickets.OpenInput{AccountID: acc, Plan: "premium", Priority: 1})
		once := func(id int64, key, detail string) bool {
			t.Helper()
			var ok bool
			err := db.InTx(ctx, func(tx *store.Tx) (err error) {
				ok, err = svc.AddEventOnceTx(ctx, tx, id, key, tickets.EventWhisper, detail)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		steps := []struct {
			id     int64
			key    string
			detail string
			want   bool
		}{
			{tk.ID, tickets.WhisperKey(0), "alice declined (step 1)", true},
			{tk.ID, tickets.WhisperKey(0), "alice declined (step 1)", false},                    // a replay
			{tk.ID, tickets.WhisperKey(0), "alice answered but did not accept (step 1)", false}, // said better already
			{tk.ID, tickets.WhisperKey(0), "alice said no (step 1)", false},                     // reworded
			{tk.ID, tickets.WhisperKey(1), "bob did not answer (step 2)", true},
			{other.ID, tickets.WhisperKey(0), "alice declined (step 1)", true}, // another ticket
		}
		for i, s := range steps {
			if got := once(s.id, s.key, s.detail); got != s.want {
				t.Errorf("step %d (%s %q): recorded %t, want %t", i, s.key, s.detail, got, s.want)
			}
		}
		got := mustGet(t, db, tk.Number)
		if len(got.Events) != 3 || got.Events[1].Detail != "alice declined (step 1)" || got.Events[2].Detail != "bob did not answer (step 2)" {
			t.Fatalf("events %+v", got.Events)
		}
		if tickets.WhisperKey(1) != "whisper:step2" {
			t.Errorf("WhisperKey(1) = %q: migration 00010 wrote whisper:stepN for step N", tickets.WhisperKey(1))
		}
		// Without a key, once is a bug, not an event recorded every time.
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := svc.AddEventOnceTx(ctx, tx, tk.ID, "", tickets.EventWhisper, "x")
			return err
		}); err == nil {
			t.Fatal("AddEventOnceTx without a key was accepted")
		}
	})
}

// Migration 00010 keys the leg outcomes earlier versions stored (only the
// first of each ticket and step: a later duplicate keeps no key), so a
// replay after the upgrade is still recognised.
func TestMigrationKeysOldLegEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		def := config.Default()
		acc, _ := mustAccount(t, db, def, "premium")
		tk := mustOpen(t, db, def, tickets.OpenInput{AccountID: acc, Plan: "premium", Priority: 1})
		for {
			st, err := db.MigrationStatus(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(st, func(m store.MigrationStatus) bool { return m.Version >= 10 && m.Applied }) {
				break
			}
			if err := db.MigrateDown(ctx); err != nil {
				t.Fatal(err)
			}
		}
		old := []string{
			"alice declined (step 1)",
			"alice answered but did not accept (step 1)", // before the fix of Unless' order: a duplicate
			"bob did not accept (completed) (step 2)",
			"carol accepted",
		}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for _, d := range old {
				if _, err := tx.Exec(ctx, `INSERT INTO ticket_events (ticket_id, kind, at, detail) VALUES (?, 'whisper', ?, ?)`, tk.ID, tx.Now, d); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		var keys []struct {
			Detail string  `db:"detail"`
			Key    *string `db:"dedup_key"`
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.Select(ctx, &keys, `SELECT detail, dedup_key FROM ticket_events WHERE ticket_id = ? AND kind = 'whisper' ORDER BY id`, tk.ID)
		}); err != nil {
			t.Fatal(err)
		}
		want := []string{"whisper:step1", "", "whisper:step2", ""}
		for i, k := range keys {
			got := ""
			if k.Key != nil {
				got = *k.Key
			}
			if i >= len(want) || got != want[i] {
				t.Errorf("%q: key %q, want %q", k.Detail, got, want[i])
			}
		}
		svc := service(db, def)
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			ok, err := svc.AddEventOnceTx(ctx, tx, tk.ID, tickets.WhisperKey(1), tickets.EventWhisper, "bob did not answer (step 2)")
			if err == nil && ok {
				t.Error("a replay of an old leg's outcome was recorded again")
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
	})
}
