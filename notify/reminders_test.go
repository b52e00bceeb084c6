package notify

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"supportline/config"
	"supportline/oncall"
	"supportline/store"
	"supportline/store/storetest"
)

const (
	alicePhone = "+15555550201"
	bobPhone   = "+15555550202"
	carolPhone = "+15555550203"
)

var denver = mustZone("America/Denver")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at is a wall-clock time in Denver.
func at(y int, m time.Month, d, hh, mm, ss int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, 0, denver)
}

// seedRotation adds alice and bob (who take SMS) and carol (who does not),
// and schedule primary: weekly from Monday 2026-11-02 09:00 America/Denver,
// alice then bob, so alice has the shift from Mon 2026-11-16 09:00 MST
// and bob the one from Mon 2026-11-23.
func seedRotation(t *testing.T, db *store.DB) *oncall.Service {
	t.Helper()
	ctx := context.Background()
	roster := &oncall.Service{DB: db}
	for _, e := range []oncall.NewEngineer{
		{Handle: "alice", Name: "Alice", Phone: alicePhone},
		{Handle: "bob", Name: "Bob", Phone: bobPhone},
		{Handle: "carol", Name: "Carol", Phone: carolPhone, NoSMS: true},
	} {
		if _, err := roster.AddEngineer(ctx, "test", e); err != nil {
			t.Fatal(err)
		}
	}
	addSchedule(t, roster, "primary", 168*time.Hour, "2026-11-02T09:00", "alice", "bob")
	return roster
}

func addSchedule(t *testing.T, roster *oncall.Service, name string, shift time.Duration, handoff string, members ...string) {
	t.Helper()
	h, err := oncall.ParseCivil(handoff)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := roster.AddSchedule(context.Background(), "test", oncall.NewSchedule{Name: name, Timezone: "America/Denver",
		Shift: shift, Handoff: h, Members: members}); err != nil {
		t.Fatal(err)
	}
}

func newReminders(db *store.DB, logs *storetest.LogBuffer) *Reminders {
	return &Reminders{DB: db, Lead: time.Hour, Log: slog.New(slog.NewTextHandler(logs, nil))}
}

// texts is the outbox, oldest first, as "recipient: body".
func texts(t *testing.T, db *store.DB) []string {
	t.Helper()
	ds, err := (&Service{DB: db}).List(context.Background(), Filter{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(ds) - 1; i >= 0; i-- {
		out = append(out, ds[i].To+": "+ds[i].Body)
	}
	return out
}

// pass makes one pass at now and checks that it queued exactly want (as
// texts does), in order, after whatever was queued before.
func pass(t *testing.T, db *store.DB, r *Reminders, now time.Time, want ...string) {
	t.Helper()
	storetest.ClockOf(db).Set(now)
	before := len(texts(t, db))
	n, err := r.Tick(context.Background())
	if err != nil {
		t.Fatalf("Tick at %s: %v", now.Format(time.RFC3339), err)
	}
	got := texts(t, db)[before:]
	if n != len(got) || !slices.Equal(got, want) {
		t.Fatalf("pass at %s queued %d:\n  %s\nwant:\n  %s", now.Format("Mon 2006-01-02 15:04:05 MST"), n,
			strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func remind(phone, text string) string { return phone + ": " + text }

func mustOverride(t *testing.T, roster *oncall.Service, schedule, engineer, from, to string) oncall.StoredOverride {
	t.Helper()
	o, err := roster.AddOverride(context.Background(), "test", oncall.NewOverride{Schedule: schedule, Engineer: engineer, From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// A weekly rotation with handoffs on Mondays 09:00 America/Denver (MST in
// November): each engineer is texted once, exactly an hour before their
// shift and not a second earlier, and never again for that shift however
// often the watcher looks; the shift in progress when the watcher first
// looks (bob's, a week old) is not texted late.
func TestShiftReminderBeforeEachShift(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var logs storetest.LogBuffer
		seedRotation(t, db)
		r := newReminders(db, &logs)
		pass(t, db, r, at(2026, 11, 16, 7, 59, 59))
		pass(t, db, r, at(2026, 11, 16, 8, 0, 0),
			remind(alicePhone, "You are on call for primary from Mon 09:00 MST until Mon 09:00 MST."))
		pass(t, db, r, at(2026, 11, 16, 8, 0, 0))
		pass(t, db, r, at(2026, 11, 16, 9, 30, 0))
		pass(t, db, r, at(2026, 11, 23, 7, 59, 59))
		pass(t, db, r, at(2026, 11, 23, 8, 0, 0),
			remind(bobPhone, "You are on call for primary from Mon 09:00 MST until Mon 09:00 MST."))
		pass(t, db, r, at(2026, 11, 23, 8, 59, 0))
		if !strings.Contains(logs.String(), `msg="shift reminder" schedule=primary engineer=bob start=2026-11-23T16:00:00Z`) {
			t.Errorf("log lacks bob's reminder:\n%s", logs.String())
		}
		if strings.Contains(logs.String(), "+1555") {
			t.Errorf("a phone number was logged:\n%s", logs.String())
		}
	})
}

// An override is a shift of its own: its engineer is reminded an hour
// before it, and the engineer whose rotation shift resumes after it an
// hour before that.
func TestShiftReminderOfAnOverride(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var logs storetest.LogBuffer
		roster := seedRotation(t, db)
		r := newReminders(db, &logs)
		storetest.ClockOf(db).Set(at(2026, 11, 18, 10, 0, 0))
		mustOverride(t, roster, "primary", "bob", "2026-11-19T12:00", "2026-11-19T18:00")
		pass(t, db, r, at(2026, 11, 19, 10, 59, 59))
		pass(t, db, r, at(2026, 11, 19, 11, 0, 0),
			remind(bobPhone, "You are on call for primary from Thu 12:00 MST until Thu 18:00 MST."))
		pass(t, db, r, at(2026, 11, 19, 16, 59, 59))
		pass(t, db, r, at(2026, 11, 19, 17, 0, 0),
			remind(alicePhone, "You are on call for primary from Thu 18:00 MST until Mon 09:00 MST."))
		pass(t, db, r, at(2026, 11, 19, 18, 30, 0))
	})
}

// A shift that changes after its reminder was sent gets a correction: the
// engineer who is no longer on call is told which stretch they lost, the
// one who now is gets their reminder if it is due, and a shift that comes
// back after a correction is reminded again.
func TestShiftReminderCorrections(t *testing.T) {
	const aliceWeek = "You are on call for primary from Mon 09:00 MST until Mon 09:00 MST."
	setup := func(t *testing.T, db *store.DB) (*oncall.Service, *Reminders) {
		var logs storetest.LogBuffer
		t.Cleanup(func() {
			if t.Failed() {
				t.Log(logs.String())
			}
		})
		roster := seedRotation(t, db)
		r := newReminders(db, &logs)
		pass(t, db, r, at(2026, 11, 16, 8, 0, 0), remind(alicePhone, aliceWeek))
		storetest.ClockOf(db).Set(at(2026, 11, 16, 8, 30, 0))
		return roster, r
	}
	t.Run("override added, then removed", func(t *testing.T) {
		storetest.Each(t, func(t *testing.T, db *store.DB) {
			roster, r := setup(t, db)
			o := mustOverride(t, roster, "primary", "bob", "2026-11-16T09:00", "2026-11-17T09:00")
			pass(t, db, r, at(2026, 11, 16, 8, 30, 0),
				remind(alicePhone, "Change: you are no longer on call for primary from Mon 09:00 MST until Tue 09:00 MST."),
				remind(bobPhone, "You are on call for primary from Mon 09:00 MST until Tue 09:00 MST."))
			pass(t, db, r, at(2026, 11, 16, 8, 31, 0))
			if _, err := roster.RemoveOverride(context.Background(), "test", o.ID); err != nil {
				t.Fatal(err)
			}
			pass(t, db, r, at(2026, 11, 16, 8, 45, 0),
				remind(bobPhone, "Change: you are no longer on call for primary from Mon 09:00 MST until Tue 09:00 MST."),
				remind(alicePhone, aliceWeek))
			pass(t, db, r, at(2026, 11, 17, 8, 0, 0))
			pass(t, db, r, at(2026, 11, 23, 8, 0, 0),
				remind(bobPhone, "You are on call for primary from Mon 09:00 MST until Mon 09:00 MST."))
		})
	})
	t.Run("override takes the start", func(t *testing.T) {
		storetest.Each(t, func(t *testing.T, db *store.DB) {
			roster, r := setup(t, db)
			mustOverride(t, roster, "primary", "bob", "2026-11-16T09:00", "2026-11-17T09:00")
			pass(t, db, r, at(2026, 11, 16, 8, 30, 0),
				remind(alicePhone, "Change: you are no longer on call for primary from Mon 09:00 MST until Tue 09:00 MST."),
				remind(bobPhone, "You are on call for primary from Mon 09:00 MST until Tue 09:00 MST."))
			pass(t, db, r, at(2026, 11, 17, 7, 59, 0))
			pass(t, db, r, at(2026, 11, 17, 8, 0, 0),
				remind(alicePhone, "You are on call for primary from Tue 09:00 MST until Mon 09:00 MST."))
		})
	})
	t.Run("override takes the end", func(t *testing.T) {
		storetest.Each(t, func(t *testing.T, db *store.DB) {
			roster, r := setup(t, db)
			mustOverride(t, roster, "primary", "bob", "2026-11-20T09:00", "2026-11-23T09:00")
			pass(t, db, r, at(2026, 11, 16, 8, 30, 0),
				remind(alicePhone, "Change: you are now on call for primary from Mon 09:00 MST until Fri 09:00 MST (was Mon 09:00 MST until Mon 09:00 MST)."))
			pass(t, db, r, at(2026, 11, 20, 8, 0, 0),
				remind(bobPhone, "You are on call for primary from Fri 09:00 MST until Mon 09:00 MST."))
			pass(t, db, r, at(2026, 11, 20, 8, 1, 0))
		})
	})
	t.Run("override in the middle of a shift in progress", func(t *testing.T) {
		storetest.Each(t, func(t *testing.T, db *store.DB) {
			roster, r := setup(t, db)
			storetest.ClockOf(db).Set(at(2026, 11, 18, 10, 0, 0))
			mustOverride(t, roster, "primary", "bob", "2026-11-18T12:00", "2026-11-18T18:00")
			pass(t, db, r, at(2026, 11, 18, 10, 0, 0),
				remind(alicePhone, "Change: you are no longer on call for primary from Wed 12:00 MST until Wed 18:00 MST."))
			pass(t, db, r, at(2026, 11, 18, 11, 0, 0),
				remind(bobPhone, "You are on call for primary from Wed 12:00 MST until Wed 18:00 MST."))
			pass(t, db, r, at(2026, 11, 18, 17, 0, 0),
				remind(alicePhone, "You are on call for primary from Wed 18:00 MST until Mon 09:00 MST."))
		})
	})
	t.Run("an override of the engineer for themselves changes nothing they must hear", func(t *testing.T) {
		storetest.Each(t, func(t *testing.T, db *store.DB) {
			roster, r := setup(t, db)
			mustOverride(t, roster, "primary", "alice", "2026-11-18T09:00", "2026-11-19T09:00")
			pass(t, db, r, at(2026, 11, 16, 8, 30, 0))
			pass(t, db, r, at(2026, 11, 18, 8, 0, 0))
			pass(t, db, r, at(2026, 11, 19, 8, 0, 0))
			pass(t, db, r, at(2026, 11, 23, 8, 0, 0),
				remind(bobPhone, "You are on call for primary from Mon 09:00 MST until Mon 09:00 MST."))
		})
	})
	t.Run("an override for themselves added and removed", func(t *testing.T) {
		storetest.Each(t, func(t *testing.T, db *store.DB) {
			roster, r := setup(t, db)
			o := mustOverride(t, roster, "primary", "alice", "2026-11-18T09:00", "2026-11-19T09:00")
			pass(t, db, r, at(2026, 11, 16, 8, 30, 0))
			if _, err := roster.RemoveOverride(context.Background(), "test", o.ID); err != nil {
				t.Fatal(err)
			}
			pass(t, db, r, at(2026, 11, 16, 8, 40, 0))
			pass(t, db, r, at(2026, 11, 18, 8, 0, 0))
			if got := correctionsOf(t, db); !slices.Equal(got, []string{"alice reminder carried",
				"alice carried carried", "alice carried carried", "alice carried carried", "alice carried "}) {
				t.Fatalf("rows %v", got)
			}
		})
	})
	t.Run("rotation changed", func(t *testing.T) {
		storetest.Each(t, func(t *testing.T, db *store.DB) {
			roster, r := setup(t, db)
			if _, err := roster.SetMembers(context.Background(), "test", "primary", []string{"bob", "alice"}); err != nil {
				t.Fatal(err)
			}
			pass(t, db, r, at(2026, 11, 16, 8, 30, 0),
				remind(alicePhone, "Change: you are no longer on call for primary from Mon 09:00 MST until Mon 09:00 MST."),
				remind(bobPhone, "You are on call for primary from Mon 09:00 MST until Mon 09:00 MST."))
			pass(t, db, r, at(2026, 11, 16, 8, 40, 0))
		})
	})
	t.Run("schedule removed", func(t *testing.T) {
		storetest.Each(t, func(t *testing.T, db *store.DB) {
			_, r := setup(t, db)
			if _, err := (&oncall.Service{DB: db, Policy: config.Default()}).RemoveSchedule(context.Background(), "test", "primary", true); err != nil {
				t.Fatal(err)
			}
			pass(t, db, r, at(2026, 11, 16, 8, 30, 0),
				remind(alicePhone, "Change: you are no longer on call for primary from Mon 09:00 MST until Mon 09:00 MST."))
		})
	})
	t.Run("the engineer stopped taking SMS", func(t *testing.T) {
		storetest.Each(t, func(t *testing.T, db *store.DB) {
			roster, r := setup(t, db)
			off := false
			if _, _, err := roster.SetEngineer(context.Background(), "test", "alice", oncall.EngineerChange{SMS: &off}); err != nil {
				t.Fatal(err)
			}
			mustOverride(t, roster, "primary", "bob", "2026-11-16T09:00", "2026-11-23T09:00")
			pass(t, db, r, at(2026, 11, 16, 8, 30, 0),
				remind(bobPhone, "You are on call for primary from Mon 09:00 MST until Mon 09:00 MST."))
			if got := correctionsOf(t, db); !slices.Equal(got, []string{"alice reminder unsent", "bob reminder "}) {
				t.Fatalf("rows %v", got)
			}
		})
	})
}

// correctionsOf lists shift_reminders by id as "engineer kind correction".
func correctionsOf(t *testing.T, db *store.DB) []string {
	t.Helper()
	var rows []struct {
		Engineer   string `db:"engineer"`
		Kind       string `db:"kind"`
		Correction string `db:"correction"`
	}
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.Select(context.Background(), &rows, `SELECT engineer, kind, correction FROM shift_reminders ORDER BY id`)
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s %s %s", r.Engineer, r.Kind, r.Correction))
	}
	return out
}

// Engineers who do not take SMS get no reminder, and with reminders off
// (notifications.shift_reminder: off) nobody does and nothing is written.
func TestShiftReminderNoneWithoutSMSOrWhenOff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var logs storetest.LogBuffer
		roster := seedRotation(t, db)
		addSchedule(t, roster, "desk", 24*time.Hour, "2026-11-02T09:00", "carol")
		off := newReminders(db, &logs)
		off.Lead = 0
		pass(t, db, off, at(2026, 11, 16, 8, 0, 0))
		stop := off.Start(context.Background())
		stop()
		if !strings.Contains(logs.String(), "shift reminders off") {
			t.Errorf("Start with reminders off did not say so:\n%s", logs.String())
		}
		if got := correctionsOf(t, db); len(got) != 0 {
			t.Fatalf("off wrote %v", got)
		}
		r := newReminders(db, &logs)
		pass(t, db, r, at(2026, 11, 16, 8, 0, 0),
			remind(alicePhone, "You are on call for primary from Mon 09:00 MST until Mon 09:00 MST."))
		pass(t, db, r, at(2026, 11, 17, 8, 0, 0)) // carol's desk shift
		for _, s := range texts(t, db) {
			if strings.HasPrefix(s, carolPhone) {
				t.Fatalf("carol, who does not take SMS, was texted: %s", s)
			}
		}
	})
}

// Across the spring-forward change in America/Denver (Sunday 2027-03-14,
// 02:00 MST becomes 03:00 MDT) a daily 09:00 handoff stays 09:00 local:
// the reminder comes an hour before it on either side, and the text says
// 09:00 in the zone in force.
func TestShiftReminderAcrossDST(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var logs storetest.LogBuffer
		roster := seedRotation(t, db)
		addSchedule(t, roster, "daily", 24*time.Hour, "2027-03-10T09:00", "alice", "bob")
		r := newReminders(db, &logs)
		pass(t, db, r, time.Date(2027, 3, 13, 14, 59, 59, 0, time.UTC))
		pass(t, db, r, time.Date(2027, 3, 13, 15, 0, 0, 0, time.UTC), // 08:00 MST
			remind(bobPhone, "You are on call for daily from Sat 09:00 MST until Sun 09:00 MDT."))
		pass(t, db, r, time.Date(2027, 3, 14, 13, 59, 59, 0, time.UTC))
		pass(t, db, r, time.Date(2027, 3, 14, 14, 0, 0, 0, time.UTC), // 08:00 MDT
			remind(alicePhone, "You are on call for daily from Sun 09:00 MDT until Mon 09:00 MDT."))
	})
}

// Two watchers on one database (as two replicas would run), four passes at
// a time: every shift is reminded once and every correction sent once.
func TestShiftRemindersTwoReplicas(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const nSchedules = 20
		var logs storetest.LogBuffer
		roster := seedRotation(t, db)
		for i := range nSchedules {
			addSchedule(t, roster, fmt.Sprintf("s%02d", i), 168*time.Hour, "2026-11-02T09:00", "alice", "bob")
		}
		replicas := []*Reminders{newReminders(db, &logs), newReminders(db, &logs)}
		race := func(phase string) int64 {
			var total atomic.Int64
			var wg sync.WaitGroup
			for g := range 4 {
				w := replicas[g%len(replicas)]
				wg.Go(func() {
					for range 3 {
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
		count := func(prefix string) map[string]int {
			out := map[string]int{}
			for _, s := range texts(t, db) {
				if strings.HasPrefix(s, prefix) {
					out[s]++
				}
			}
			return out
		}
		storetest.ClockOf(db).Set(at(2026, 11, 16, 8, 0, 0))
		if n := race("reminders"); n != nSchedules+1 {
			t.Fatalf("reminders: the replicas queued %d SMS, want %d", n, nSchedules+1)
		}
		got := count(alicePhone)
		for i := range nSchedules {
			if s := remind(alicePhone, fmt.Sprintf("You are on call for s%02d from Mon 09:00 MST until Mon 09:00 MST.", i)); got[s] != 1 {
				t.Errorf("%q queued %d times", s, got[s])
			}
		}
		for i := range nSchedules {
			if _, err := roster.SetMembers(context.Background(), "test", fmt.Sprintf("s%02d", i), []string{"bob", "alice"}); err != nil {
				t.Fatal(err)
			}
		}
		storetest.ClockOf(db).Set(at(2026, 11, 16, 8, 30, 0))
		if n := race("corrections"); n != 2*nSchedules {
			t.Fatalf("corrections: the replicas queued %d SMS, want %d", n, 2*nSchedules)
		}
		lost, now := count(remind(alicePhone, "Change")), count(bobPhone)
		for i := range nSchedules {
			l := remind(alicePhone, fmt.Sprintf("Change: you are no longer on call for s%02d from Mon 09:00 MST until Mon 09:00 MST.", i))
			n := remind(bobPhone, fmt.Sprintf("You are on call for s%02d from Mon 09:00 MST until Mon 09:00 MST.", i))
			if lost[l] != 1 || now[n] != 1 {
				t.Errorf("s%02d: correction queued %d times, new reminder %d times", i, lost[l], now[n])
			}
		}
		if strings.Contains(logs.String(), "level=ERROR") {
			t.Fatalf("errors logged:\n%s", logs.String())
		}
	})
}

// Run makes a pass at once, and stops with its context.
func TestShiftRemindersRunStopsWithItsContext(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	var logs storetest.LogBuffer
	seedRotation(t, db)
	storetest.ClockOf(db).Set(at(2026, 11, 16, 8, 0, 0))
	r := newReminders(db, &logs)
	r.Interval = 10 * time.Millisecond
	type result struct {
		n   int
		err error
	}
	passes := make(chan result, 1)
	r.AfterPass = func(n int, err error) {
		select {
		case passes <- result{n, err}: // the test reads only the first pass
		default:
		}
	}
	stop := r.Start(context.Background())
	select {
	case p := <-passes:
		if p.n != 1 || p.err != nil {
			t.Fatalf("first pass queued %d (%v), want alice's reminder", p.n, p.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run made no pass")
	}
	stop()
	if got := texts(t, db); len(got) != 1 {
		t.Fatalf("outbox %v", got)
	}
}
