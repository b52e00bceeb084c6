package auth_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"supportline/auth"
	"supportline/store"
	"supportline/store/storetest"
)

// column lists one text column of a table's rows, sorted.
func column(t *testing.T, db *store.DB, query string) []string {
	t.Helper()
	var out []string
	if err := db.Statements(context.Background(), func(q *store.Q) error {
		return q.Select(context.Background(), &out, query)
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// Prune deletes the failure counts of ended windows, the sessions Resume
// refuses and the links dead for a week, each at its exact boundary, and
// leaves every row one second younger (UTC, from 2026-11-18 15:00, the
// frozen clock; "now" is eight days later).
func TestUserPrune(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newUsers(t, db)
		clock := storetest.ClockOf(db)
		now := clock.Now().Add(8 * 24 * time.Hour)
		at := func(d time.Duration) { t.Helper(); clock.Set(now.Add(d)) }
		const day = 24 * time.Hour

		// Links, one user each (a new link voids the user's older ones).
		at(-8 * day)
		mustUser(t, s, "jane@example.com", auth.Admin, janePassword) // used 8 days ago: goes
		mustAdd(t, s, auth.NewUser{Email: "expired-old@example.com", Role: auth.Viewer})
		at(-8*day + time.Second)
		mustAdd(t, s, auth.NewUser{Email: "expired-recent@example.com", Role: auth.Viewer})
		at(-7 * day)
		mustUser(t, s, "used-old@example.com", auth.Viewer, bobPassword)
		at(-7*day + time.Second)
		mustUser(t, s, "used-recent@example.com", auth.Viewer, bobPassword)
		at(-time.Hour)
		_, live := mustAdd(t, s, auth.NewUser{Email: "live@example.com", Role: auth.Viewer})

		// Sessions: idle for 8 hours, or 7 days old though used an hour ago.
		at(-8 * time.Hour)
		idle := mustSignIn(t, s, "jane@example.com", janePassword, address)
		at(-8*time.Hour + time.Second)
		nearlyIdle := mustSignIn(t, s, "jane@example.com", janePassword, address)
		at(-7 * day)
		old := mustSignIn(t, s, "jane@example.com", janePassword, address)
		at(-7*day + time.Second)
		nearlyOld := mustSignIn(t, s, "jane@example.com", janePassword, address)
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			for _, sess := range []auth.Session{old, nearlyOld} {
				if _, err := tx.Exec(ctx, `UPDATE console_sessions SET last_seen_at = ? WHERE hash = ?`, now.Add(-time.Hour), HashSecret(sess.Text)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}

		// Failure windows: one started 15 minutes ago (ended), one a
		// second later (still throttling), and more than a batch of
		// ended ones.
		at(-15 * time.Minute)
		for range 5 {
			wantBadSignIn(t, s, "ended@example.com", "wrong-password", "203.0.113.1")
		}
		at(-15*time.Minute + time.Second)
		for range 5 {
			wantBadSignIn(t, s, "throttled@example.com", "wrong-password", "203.0.113.2")
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			for i := range 1203 {
				if _, err := tx.Exec(ctx, `INSERT INTO console_sign_in_failures (key, failures, window_start) VALUES (?, 3, ?)`,
					fmt.Sprintf("addr:198.51.%d.%d", i/256, i%256), now.Add(-time.Hour)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}

		at(0)
		// What goes is already dead, by the service's own rules.
		wantNoSession(t, s, idle.Text)
		wantNoSession(t, s, old.Text)
		n, err := s.Prune(ctx)
		if err != nil || n != 3+2+1205 {
			t.Fatalf("Prune = %d, %v; want 3 links, 2 sessions and 1,205 failure counts", n, err)
		}

		if got, want := column(t, db, `SELECT u.email FROM console_links l JOIN console_users u ON u.id = l.user_id`),
			[]string{"expired-recent@example.com", "live@example.com", "used-recent@example.com"}; !slices.Equal(got, want) {
			t.Errorf("links of %v, want %v", got, want)
		}
		if got, want := column(t, db, `SELECT hash FROM console_sessions`), []string{HashSecret(nearlyIdle.Text), HashSecret(nearlyOld.Text)}; !slices.Equal(got, slices.Sorted(slices.Values(want))) {
			t.Errorf("sessions %v, want the nearly idle and the nearly old ones", got)
		}
		if got, want := column(t, db, `SELECT key FROM console_sign_in_failures`), []string{"addr:203.0.113.2", "email:throttled@example.com"}; !slices.Equal(got, want) {
			t.Errorf("failure counts %v, want %v", got, want)
		}
		// What stays still works.
		wantSession(t, s, nearlyIdle.Text, "jane@example.com")
		wantSession(t, s, nearlyOld.Text, "jane@example.com")
		if u, err := s.LinkUser(ctx, live.Text); err != nil || u.Email != "live@example.com" {
			t.Errorf("live link: %+v, %v", u, err)
		}
		wantThrottled(t, s, "throttled@example.com", janePassword, "203.0.113.3", 1)

		if n, err := s.Prune(ctx); err != nil || n != 0 {
			t.Fatalf("second Prune = %d, %v; want 0", n, err)
		}
	})
}

// An e-mail longer than any user's (254 bytes, once trimmed and
// lower-cased) is refused with the one answer before anything is written,
// so that the failures table cannot be filled with huge keys.
func TestUserSignInRefusesHugeEmail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newUsers(t, db)
		longest := strings.Repeat("a", 254-len("@example.com")) + "@example.com"
		mustUser(t, s, longest, auth.Viewer, bobPassword)

		for _, tc := range []struct {
			name, email string
			keys        []string
		}{
			{"255 bytes", "b" + longest, nil},
			{"a megabyte", strings.Repeat("x", 1<<20) + "@example.com", nil},
			{"254 bytes is counted", "C" + longest[1:], []string{"addr:192.0.2.77", "email:c" + longest[1:]}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := db.SQL().Exec(`DELETE FROM console_sign_in_failures`); err != nil {
					t.Fatal(err)
				}
				for range 30 { // past the address's limit of 20
					if sess, err := s.SignIn(context.Background(), tc.email, bobPassword, "192.0.2.77", ""); err != auth.ErrBadSignIn || sess != (auth.Session{}) {
						t.Fatalf("SignIn(%.20q..., %d bytes) = %v; want exactly ErrBadSignIn", tc.email, len(tc.email), err)
					}
					if tc.keys != nil {
						break
					}
				}
				if got := column(t, db, `SELECT key FROM console_sign_in_failures`); !slices.Equal(got, tc.keys) {
					t.Errorf("failure counts %.40q, want %.40q", got, tc.keys)
				}
			})
		}
		// The longest e-mail a user can have still signs in, around
		// spaces and in capitals.
		mustSignIn(t, s, "  "+strings.ToUpper(longest)+" ", bobPassword, "192.0.2.77")
	})
}
