package auth_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"supportline/audit"
	"supportline/auth"
	"supportline/errcode"
	"supportline/oncall"
	"supportline/pins"
	"supportline/store"
	"supportline/store/storetest"
)

// cheap keeps argon2id fast in tests (pins.Params.Validate's minimum).
var cheap = pins.Params{MemoryKiB: 8, Time: 1, Threads: 1}

const (
	janePassword = "plum-ferry-gravel-7"
	bobPassword  = "tangerine kettle 1987"
	address      = "192.0.2.10"
)

// newUsers returns the users service on db, with engineer alice.
func newUsers(t *testing.T, db *store.DB) *auth.Users {
	t.Helper()
	eng := &oncall.Service{DB: db}
	if _, err := eng.AddEngineer(context.Background(), "admin", oncall.NewEngineer{Handle: "alice", Name: "Alice", Phone: "+17205550111"}); err != nil {
		t.Fatalf("add engineer: %v", err)
	}
	return &auth.Users{DB: db, Engineers: eng, Params: cheap}
}

func mustAdd(t *testing.T, s *auth.Users, n auth.NewUser) (auth.User, auth.Link) {
	t.Helper()
	u, l, err := s.Add(context.Background(), "tester", n)
	if err != nil {
		t.Fatalf("add %+v: %v", n, err)
	}
	return u, l
}

// mustUser adds a user and sets their password through the link.
func mustUser(t *testing.T, s *auth.Users, email string, role auth.Role, password string) auth.User {
	t.Helper()
	n := auth.NewUser{Email: email, Role: role}
	if role == auth.Engineer {
		n.Engineer = "alice"
	}
	_, l := mustAdd(t, s, n)
	u, err := s.SetPassword(context.Background(), l.Text, password)
	if err != nil {
		t.Fatalf("set password of %s: %v", email, err)
	}
	return u
}

func mustSignIn(t *testing.T, s *auth.Users, email, password, addr string) auth.Session {
	t.Helper()
	sess, err := s.SignIn(context.Background(), email, password, addr, "test-agent/1.0")
	if err != nil {
		t.Fatalf("sign in %s from %s: %v", email, addr, err)
	}
	return sess
}

// wantSession checks that text resumes a session of email.
func wantSession(t *testing.T, s *auth.Users, text, email string) {
	t.Helper()
	u, err := s.Resume(context.Background(), text)
	if err != nil || u.Email != email {
		t.Fatalf("Resume = %+v, %v; want a session of %s", u, err, email)
	}
}

func wantNoSession(t *testing.T, s *auth.Users, text string) {
	t.Helper()
	if u, err := s.Resume(context.Background(), text); !errors.Is(err, auth.ErrNoSession) || u != (auth.User{}) {
		t.Fatalf("Resume = %+v, %v; want ErrNoSession", u, err)
	}
}

// badLink is the start of the one message of a link that does not work.
const badLink = "this link does not work: it was used, it expired"

func wantBadLink(t *testing.T, s *auth.Users, text string) {
	t.Helper()
	u, err := s.LinkUser(context.Background(), text)
	if !errcode.Is(err, errcode.NotFound) || !strings.HasPrefix(errcode.Message(err), badLink) || u.Email != "" {
		t.Fatalf("LinkUser(%.10q...) = %+v, %v; want the bad-link answer", text, u, err)
	}
	u, err = s.SetPassword(context.Background(), text, "walnut lantern quartz")
	if !errcode.Is(err, errcode.NotFound) || !strings.HasPrefix(errcode.Message(err), badLink) || u.Email != "" {
		t.Fatalf("SetPassword(%.10q...) = %+v, %v; want the bad-link answer", text, u, err)
	}
}

func wantBadSignIn(t *testing.T, s *auth.Users, email, password, addr string) {
	t.Helper()
	sess, err := s.SignIn(context.Background(), email, password, addr, "")
	if err != auth.ErrBadSignIn || sess != (auth.Session{}) {
		t.Fatalf("SignIn(%q) = %+v, %v; want exactly ErrBadSignIn", email, sess, err)
	}
}

// auditOf lists the user.* events as "actor action subject detail".
func auditOf(t *testing.T, db *store.DB) []string {
	t.Helper()
	events, err := (&audit.Service{DB: db}).List(context.Background(), audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events {
		if strings.HasPrefix(e.Action, "user.") {
			got = append(got, strings.TrimSpace(e.Actor+" "+e.Action+" "+e.Subject+" "+e.Detail))
		}
	}
	return got
}

func HashSecret(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

func TestUserAdd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newUsers(t, db)
		now := storetest.ClockOf(db).Now() // 2026-11-18T15:00:00Z

		jane, link := mustAdd(t, s, auth.NewUser{Email: "  Jane@Example.COM ", Role: auth.Admin})
		if jane.Email != "jane@example.com" || jane.Role != auth.Admin || jane.Engineer != nil || jane.CreatedBy != "tester" ||
			!jane.CreatedAt.Equal(now) || jane.PasswordSet != nil || jane.Disabled != nil || jane.LastSignIn != nil {
			t.Errorf("added %+v", jane)
		}
		if len(link.Text) != 43 || !link.ExpiresAt.Equal(now.Add(24*time.Hour)) {
			t.Errorf("link %q expires %s, want 43 characters and 24 h after %s", link.Text, link.ExpiresAt, now)
		}
		if u, err := s.LinkUser(ctx, link.Text); err != nil || u.Email != "jane@example.com" || u.PasswordSet != nil {
			t.Errorf("LinkUser of a fresh link = %+v, %v", u, err)
		}
		al, alLink := mustAdd(t, s, auth.NewUser{Email: "al@example.com", Role: auth.Engineer, Engineer: " alice "})
		if al.Engineer == nil || *al.Engineer != "alice" || alLink.Text == link.Text {
			t.Errorf("engineer user %+v, link %q", al, alLink.Text)
		}
		if p := al.Principal(); p != (auth.Principal{Kind: auth.KindUser, Name: "al@example.com", Role: auth.Engineer, Engineer: "alice"}) || p.Actor() != "user:al@example.com" {
			t.Errorf("principal %+v", p)
		}
		mustAdd(t, s, auth.NewUser{Email: "viv@example.com", Role: auth.Viewer})

		for _, tc := range []struct {
			name string
			in   auth.NewUser
			code errcode.Code
			want string
		}{
			{"empty e-mail", auth.NewUser{Role: auth.Admin}, errcode.Invalid, "the e-mail is empty"},
			{"no domain", auth.NewUser{Email: "jane", Role: auth.Admin}, errcode.Invalid, "the e-mail must be a bare address"},
			{"with a name", auth.NewUser{Email: "Jane <jane@example.org>", Role: auth.Admin}, errcode.Invalid, "the e-mail must be the address alone"},
			{"too long", auth.NewUser{Email: strings.Repeat("a", 250) + "@example.com", Role: auth.Admin}, errcode.Invalid, "the e-mail is longer than"},
			{"duplicate", auth.NewUser{Email: "JANE@example.com", Role: auth.Viewer}, errcode.Conflict, "a user with e-mail jane@example.com exists"},
			{"unknown role", auth.NewUser{Email: "x@example.com", Role: "root"}, errcode.Invalid, "admin, engineer or viewer"},
			{"no role", auth.NewUser{Email: "x@example.com"}, errcode.Invalid, "admin, engineer or viewer"},
			{"engineer without handle", auth.NewUser{Email: "x@example.com", Role: auth.Engineer}, errcode.Invalid, "--engineer HANDLE"},
			{"unknown engineer", auth.NewUser{Email: "x@example.com", Role: auth.Engineer, Engineer: "zed"}, errcode.NotFound, "zed"},
			{"admin with handle", auth.NewUser{Email: "x@example.com", Role: auth.Admin, Engineer: "alice"}, errcode.Invalid, "only an engineer user names an engineer"},
			{"viewer with handle", auth.NewUser{Email: "x@example.com", Role: auth.Viewer, Engineer: "alice"}, errcode.Invalid, "only an engineer user names an engineer"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				u, l, err := s.Add(ctx, "tester", tc.in)
				if !errcode.Is(err, tc.code) || !strings.Contains(errcode.Message(err), tc.want) || l.Text != "" {
					t.Fatalf("Add(%+v) = %+v, %q, %v; want %s with %q", tc.in, u, l.Text, err, tc.code, tc.want)
				}
			})
		}

		list, err := s.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, u := range list {
			eng := "-"
			if u.Engineer != nil {
				eng = *u.Engineer
			}
			got = append(got, fmt.Sprintf("%s/%s/%s/%v", u.Email, u.Role, eng, u.CreatedAt.Equal(now) && u.CreatedAt.Location() == time.UTC))
		}
		if strings.Join(got, " ") != "al@example.com/engineer/alice/true jane@example.com/admin/-/true viv@example.com/viewer/-/true" {
			t.Errorf("List = %s", got)
		}
		if want := []string{
			"tester user.add user jane@example.com role admin",
			"tester user.add user al@example.com role engineer, engineer alice",
			"tester user.add user viv@example.com role viewer",
		}; strings.Join(auditOf(t, db), "\n") != strings.Join(want, "\n") {
			t.Errorf("audit (refusals record nothing):\n%s\nwant:\n%s", strings.Join(auditOf(t, db), "\n"), strings.Join(want, "\n"))
		}
		var links int
		if err := db.SQL().QueryRow(`SELECT count(*) FROM console_links`).Scan(&links); err != nil || links != 3 {
			t.Errorf("%d links stored (%v), want 3", links, err)
		}
	})
}

func TestUserLinks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newUsers(t, db)
		clock := storetest.ClockOf(db)
		start := clock.Now()

		_, link := mustAdd(t, s, auth.NewUser{Email: "jane@example.com", Role: auth.Admin})
		// A refused password leaves the link working.
		if _, err := s.SetPassword(ctx, link.Text, "Password2026!"); !errcode.Is(err, errcode.Invalid) || !strings.Contains(errcode.Message(err), "too common") {
			t.Fatalf("weak password: %v", err)
		}
		if _, err := s.SetPassword(ctx, link.Text, "jane-kettle-plum"); !errcode.Is(err, errcode.Invalid) || !strings.Contains(errcode.Message(err), "e-mail name") {
			t.Fatalf("password with the e-mail's name: %v", err)
		}
		wantBadSignIn(t, s, "jane@example.com", "", address) // no password yet
		clock.Advance(time.Hour)
		u, err := s.SetPassword(ctx, link.Text, janePassword)
		if err != nil || u.Email != "jane@example.com" || u.PasswordSet == nil || !u.PasswordSet.Equal(start.Add(time.Hour)) {
			t.Fatalf("SetPassword = %+v, %v", u, err)
		}
		wantBadLink(t, s, link.Text) // used up
		first := mustSignIn(t, s, "jane@example.com", janePassword, address)
		wantSession(t, s, first.Text, "jane@example.com")

		// A reset voids the older link; using the new one ends every
		// session and replaces the password.
		_, old, err := s.Reset(ctx, "tester", "jane@example.com")
		if err != nil {
			t.Fatal(err)
		}
		_, reset, err := s.Reset(ctx, "tester", "Jane@Example.com")
		if err != nil || reset.Text == old.Text {
			t.Fatalf("second reset: %q %v", reset.Text, err)
		}
		wantBadLink(t, s, old.Text)
		if u, err := s.LinkUser(ctx, reset.Text); err != nil || u.Email != "jane@example.com" {
			t.Fatalf("LinkUser of the newest link = %+v, %v", u, err)
		}
		if _, err := s.SetPassword(ctx, reset.Text, "walnut lantern quartz"); err != nil {
			t.Fatal(err)
		}
		wantNoSession(t, s, first.Text)
		wantBadSignIn(t, s, "jane@example.com", janePassword, address)
		mustSignIn(t, s, "jane@example.com", "walnut lantern quartz", address)

		// A link lasts 24 hours, by the database clock.
		_, bobLink := mustAdd(t, s, auth.NewUser{Email: "bob@example.com", Role: auth.Viewer})
		clock.Advance(24*time.Hour - time.Microsecond)
		if _, err := s.LinkUser(ctx, bobLink.Text); err != nil {
			t.Fatalf("a microsecond before expiry: %v", err)
		}
		clock.Advance(time.Microsecond)
		wantBadLink(t, s, bobLink.Text)
		wantBadSignIn(t, s, "bob@example.com", "walnut lantern quartz", address)

		// A disabled user's link does not work, nor after enabling.
		_, carolLink := mustAdd(t, s, auth.NewUser{Email: "carol@example.com", Role: auth.Viewer})
		if err := s.Disable(ctx, "tester", "carol@example.com"); err != nil {
			t.Fatal(err)
		}
		wantBadLink(t, s, carolLink.Text)
		if _, _, err := s.Reset(ctx, "tester", "carol@example.com"); !errcode.Is(err, errcode.Conflict) || !strings.Contains(errcode.Message(err), "enable them first") {
			t.Errorf("reset of a disabled user: %v", err)
		}
		if err := s.Enable(ctx, "tester", "carol@example.com"); err != nil {
			t.Fatal(err)
		}
		wantBadLink(t, s, carolLink.Text)
		if _, _, err := s.Reset(ctx, "tester", "nobody@example.com"); !errcode.Is(err, errcode.NotFound) || !strings.Contains(errcode.Message(err), `no user with e-mail "nobody@example.com"`) {
			t.Errorf("reset of nobody: %v", err)
		}

		// Disable voids links and ends sessions; were either missed (a
		// change made by hand), the disabled user's link and session
		// still do not work.
		mustUser(t, s, "frank@example.com", auth.Viewer, bobPassword)
		frank := mustSignIn(t, s, "frank@example.com", bobPassword, address)
		_, frankLink, err := s.Reset(ctx, "tester", "frank@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE console_users SET disabled_at = ? WHERE email = ?`, tx.Now, "frank@example.com")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		wantBadLink(t, s, frankLink.Text)
		wantNoSession(t, s, frank.Text)

		// Malformed text fails the same way, before any lookup.
		_, dana := mustAdd(t, s, auth.NewUser{Email: "dana@example.com", Role: auth.Viewer})
		flipped := dana.Text[:10] + "A" + dana.Text[11:]
		if dana.Text[10] == 'A' {
			flipped = dana.Text[:10] + "B" + dana.Text[11:]
		}
		for _, text := range []string{"", "x", dana.Text[:42], dana.Text + "A", strings.Repeat("+", 43), flipped,
			strings.ToUpper(dana.Text), HashSecret(dana.Text), "slt_" + dana.Text, dana.Text + "\n", " " + dana.Text} {
			if text == dana.Text {
				continue
			}
			wantBadLink(t, s, text)
		}
		if u, err := s.LinkUser(ctx, dana.Text); err != nil || u.Email != "dana@example.com" {
			t.Errorf("dana's link after the malformed ones: %+v %v", u, err)
		}
		// A used link, an expired one and an unknown one give one message.
		_, e1 := s.LinkUser(ctx, link.Text)
		_, e2 := s.LinkUser(ctx, bobLink.Text)
		_, e3 := s.LinkUser(ctx, strings.Repeat("A", 43))
		if errcode.Message(e1) != errcode.Message(e2) || errcode.Message(e2) != errcode.Message(e3) {
			t.Errorf("bad links answer differently: %q / %q / %q", errcode.Message(e1), errcode.Message(e2), errcode.Message(e3))
		}
	})
}

func TestUserSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newUsers(t, db)
		clock := storetest.ClockOf(db)
		mustUser(t, s, "jane@example.com", auth.Admin, janePassword)
		clock.Advance(time.Minute)
		now := clock.Now()

		sess := mustSignIn(t, s, " Jane@Example.com", janePassword, address)
		if len(sess.Text) != 43 || sess.User.Email != "jane@example.com" || !sess.ExpiresAt.Equal(now.Add(7*24*time.Hour)) {
			t.Errorf("session %+v", sess)
		}
		u, err := s.Resume(ctx, sess.Text)
		if err != nil || u.Email != "jane@example.com" || u.Role != auth.Admin || u.LastSignIn == nil || !u.LastSignIn.Equal(now) {
			t.Errorf("Resume = %+v, %v", u, err)
		}
		if p := u.Principal(); p.Actor() != "user:jane@example.com" || !p.Allows(auth.AdminWork) {
			t.Errorf("principal %+v", p)
		}
		var addr, agent string
		if err := db.SQL().QueryRow(`SELECT address, user_agent FROM console_sessions`).Scan(&addr, &agent); err != nil || addr != address || agent != "test-agent/1.0" {
			t.Errorf("session row: %q %q %v", addr, agent, err)
		}

		mustAdd(t, s, auth.NewUser{Email: "nopass@example.com", Role: auth.Viewer})
		mustUser(t, s, "off@example.com", auth.Viewer, bobPassword)
		if err := s.Disable(ctx, "tester", "off@example.com"); err != nil {
			t.Fatal(err)
		}
		for i, tc := range []struct{ name, email, password string }{
			{"wrong password", "jane@example.com", "plum-ferry-gravel-8"},
			{"password in another case", "jane@example.com", strings.ToUpper(janePassword)},
			{"empty password", "jane@example.com", ""},
			{"too long a password", "jane@example.com", janePassword + strings.Repeat("x", auth.MaxPassword)},
			{"unknown e-mail", "nobody@example.com", janePassword},
			{"empty e-mail", "", janePassword},
			{"no password set yet", "nopass@example.com", ""},
			{"no password set yet, any given", "nopass@example.com", janePassword},
			{"disabled user, right password", "off@example.com", bobPassword},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantBadSignIn(t, s, tc.email, tc.password, fmt.Sprintf("198.51.100.%d", i))
			})
		}
		if err := s.Enable(ctx, "tester", "off@example.com"); err != nil {
			t.Fatal(err)
		}
		mustSignIn(t, s, "off@example.com", bobPassword, address)

		var n int
		if err := db.SQL().QueryRow(`SELECT count(*) FROM console_sessions`).Scan(&n); err != nil || n != 2 {
			t.Errorf("%d sessions (%v), want jane's and off's", n, err)
		}
		got := auditOf(t, db)
		if !contains(got, "user:jane@example.com user.sign_in user jane@example.com from "+address) ||
			!contains(got, "user:jane@example.com user.set_password user jane@example.com") {
			t.Errorf("audit:\n%s", strings.Join(got, "\n"))
		}
	})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func wantThrottled(t *testing.T, s *auth.Users, email, password, addr string, minutes int) {
	t.Helper()
	sess, err := s.SignIn(context.Background(), email, password, addr, "")
	unit := "minutes"
	if minutes == 1 {
		unit = "minute"
	}
	want := fmt.Sprintf("too many failed sign-ins; try again in %d %s", minutes, unit)
	if !errcode.Is(err, errcode.Unavailable) || errcode.Message(err) != want || sess.Text != "" {
		t.Fatalf("SignIn(%s from %s) = %v; want unavailable %q", email, addr, err, want)
	}
}

func TestUserSignInThrottle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newUsers(t, db)
		clock := storetest.ClockOf(db)
		mustUser(t, s, "jane@example.com", auth.Admin, janePassword)
		start := clock.Now()

		t.Run("five failures for an e-mail", func(t *testing.T) {
			for i := range 5 {
				clock.Set(start.Add(time.Duration(i) * time.Minute))
				wantBadSignIn(t, s, "jane@example.com", "wrong-password-"+fmt.Sprint(i), fmt.Sprintf("203.0.113.%d", i))
			}
			// Even the right password, from another address, in any case.
			wantThrottled(t, s, "JANE@example.com", janePassword, "203.0.113.99", 11)
			clock.Set(start.Add(14*time.Minute + time.Second))
			wantThrottled(t, s, "jane@example.com", janePassword, "203.0.113.99", 1)
			clock.Set(start.Add(15 * time.Minute))
			mustSignIn(t, s, "jane@example.com", janePassword, "203.0.113.99")
		})
		t.Run("an unknown e-mail alike", func(t *testing.T) {
			clock.Set(start.Add(30 * time.Minute))
			for i := range 5 {
				wantBadSignIn(t, s, "nobody@example.com", janePassword, fmt.Sprintf("203.0.113.%d", 10+i))
			}
			wantThrottled(t, s, "nobody@example.com", janePassword, "203.0.113.99", 15)
		})
		t.Run("a success clears the e-mail's count", func(t *testing.T) {
			clock.Set(start.Add(time.Hour))
			for range 2 {
				for i := range 4 {
					wantBadSignIn(t, s, "jane@example.com", "wrong-password", fmt.Sprintf("203.0.113.%d", 20+i))
				}
				mustSignIn(t, s, "jane@example.com", janePassword, "203.0.113.24")
			}
			wantBadSignIn(t, s, "jane@example.com", "wrong-password", "203.0.113.25") // 1 of 5, not 9
		})
		t.Run("twenty failures from an address", func(t *testing.T) {
			clock.Set(start.Add(2 * time.Hour))
			for i := range 20 {
				wantBadSignIn(t, s, fmt.Sprintf("guess%d@example.com", i), janePassword, "198.51.100.66")
			}
			wantThrottled(t, s, "jane@example.com", janePassword, "198.51.100.66", 15)
			mustSignIn(t, s, "jane@example.com", janePassword, "198.51.100.67")
			clock.Advance(15 * time.Minute)
			mustSignIn(t, s, "jane@example.com", janePassword, "198.51.100.66")
		})
	})
}

func TestUserSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newUsers(t, db)
		clock := storetest.ClockOf(db)
		mustUser(t, s, "jane@example.com", auth.Admin, janePassword)
		mustUser(t, s, "bob@example.com", auth.Viewer, bobPassword)

		t.Run("idle 8 h ends a session", func(t *testing.T) {
			sess := mustSignIn(t, s, "jane@example.com", janePassword, address)
			clock.Advance(7*time.Hour + 59*time.Minute)
			wantSession(t, s, sess.Text, "jane@example.com")
			clock.Advance(8*time.Hour - time.Microsecond)
			wantSession(t, s, sess.Text, "jane@example.com")
			clock.Advance(8 * time.Hour)
			wantNoSession(t, s, sess.Text)
		})
		t.Run("used every hour, it still ends at 7 days", func(t *testing.T) {
			sess := mustSignIn(t, s, "jane@example.com", janePassword, address)
			for h := 1; h < 7*24; h++ {
				clock.Advance(time.Hour)
				wantSession(t, s, sess.Text, "jane@example.com")
			}
			clock.Advance(time.Hour)
			wantNoSession(t, s, sess.Text)
		})
		t.Run("last use written at most once a minute", func(t *testing.T) {
			sess := mustSignIn(t, s, "jane@example.com", janePassword, address)
			start := clock.Now()
			for _, step := range []struct{ at, want time.Duration }{
				{0, 0},
				{30 * time.Second, 0},
				{59 * time.Second, 0},
				{60 * time.Second, 60 * time.Second},
				{61 * time.Second, 60 * time.Second},
				{119 * time.Second, 60 * time.Second},
				{5 * time.Minute, 5 * time.Minute},
			} {
				clock.Set(start.Add(step.at))
				wantSession(t, s, sess.Text, "jane@example.com")
				var seen time.Time
				if err := db.Statements(ctx, func(q *store.Q) error {
					return q.Get(ctx, &seen, `SELECT last_seen_at FROM console_sessions WHERE hash = ?`, HashSecret(sess.Text))
				}); err != nil || !seen.Equal(start.Add(step.want)) {
					t.Errorf("used at +%s: last_seen_at %s (%v), want +%s", step.at, seen.UTC(), err, step.want)
				}
			}
		})
		t.Run("sign out ends only that session", func(t *testing.T) {
			a := mustSignIn(t, s, "jane@example.com", janePassword, address)
			b := mustSignIn(t, s, "jane@example.com", janePassword, address)
			if err := s.SignOut(ctx, a.Text); err != nil {
				t.Fatal(err)
			}
			wantNoSession(t, s, a.Text)
			wantSession(t, s, b.Text, "jane@example.com")
			for _, text := range []string{a.Text, "", "junk", strings.Repeat("A", 43)} {
				if err := s.SignOut(ctx, text); err != nil {
					t.Errorf("SignOut(%q) = %v, want no error", text, err)
				}
			}
		})
		t.Run("sign out everywhere ends all of the user's sessions only", func(t *testing.T) {
			if _, err := s.SignOutEverywhere(ctx, "tester", "jane@example.com"); err != nil {
				t.Fatal(err)
			}
			a := mustSignIn(t, s, "jane@example.com", janePassword, address)
			b := mustSignIn(t, s, "jane@example.com", janePassword, "192.0.2.11")
			other := mustSignIn(t, s, "bob@example.com", bobPassword, address)
			n, err := s.SignOutEverywhere(ctx, "user:jane@example.com", "Jane@example.com")
			if err != nil || n != 2 {
				t.Fatalf("SignOutEverywhere = %d, %v; want 2", n, err)
			}
			wantNoSession(t, s, a.Text)
			wantNoSession(t, s, b.Text)
			wantSession(t, s, other.Text, "bob@example.com")
			if got := auditOf(t, db); !contains(got, "user:jane@example.com user.sign_out_everywhere user jane@example.com 2 sessions ended") {
				t.Errorf("audit:\n%s", strings.Join(got, "\n"))
			}
			if _, err := s.SignOutEverywhere(ctx, "tester", "nobody@example.com"); !errcode.Is(err, errcode.NotFound) {
				t.Errorf("sign out nobody: %v", err)
			}
		})
		t.Run("disable ends sessions; enable lets the old password work", func(t *testing.T) {
			sess := mustSignIn(t, s, "bob@example.com", bobPassword, address)
			if err := s.Disable(ctx, "tester", "bob@example.com"); err != nil {
				t.Fatal(err)
			}
			wantNoSession(t, s, sess.Text)
			wantBadSignIn(t, s, "bob@example.com", bobPassword, address)
			if err := s.Disable(ctx, "tester", "bob@example.com"); !errcode.Is(err, errcode.Conflict) || !strings.Contains(errcode.Message(err), "already disabled") {
				t.Errorf("disable twice: %v", err)
			}
			list, _ := s.List(ctx)
			if len(list) != 2 || list[0].Email != "bob@example.com" || list[0].Disabled == nil || !list[0].Disabled.Equal(clock.Now()) {
				t.Errorf("listed %+v", list)
			}
			if err := s.Enable(ctx, "tester", "bob@example.com"); err != nil {
				t.Fatal(err)
			}
			wantNoSession(t, s, sess.Text) // ended, not paused
			mustSignIn(t, s, "bob@example.com", bobPassword, address)
			if err := s.Enable(ctx, "tester", "bob@example.com"); !errcode.Is(err, errcode.Conflict) || !strings.Contains(errcode.Message(err), "is not disabled") {
				t.Errorf("enable twice: %v", err)
			}
			for _, err := range []error{s.Disable(ctx, "tester", "nobody@example.com"), s.Enable(ctx, "tester", "nobody@example.com")} {
				if !errcode.Is(err, errcode.NotFound) || !strings.Contains(errcode.Message(err), `no user with e-mail "nobody@example.com"`) {
					t.Errorf("disable or enable nobody: %v", err)
				}
			}
		})
		t.Run("reset keeps the old password until the link is used", func(t *testing.T) {
			sess := mustSignIn(t, s, "jane@example.com", janePassword, address)
			_, link, err := s.Reset(ctx, "tester", "jane@example.com")
			if err != nil {
				t.Fatal(err)
			}
			wantSession(t, s, sess.Text, "jane@example.com")
			mustSignIn(t, s, "jane@example.com", janePassword, address)
			if _, err := s.SetPassword(ctx, link.Text, "walnut lantern quartz"); err != nil {
				t.Fatal(err)
			}
			wantNoSession(t, s, sess.Text)
			wantBadSignIn(t, s, "jane@example.com", janePassword, address)
			mustSignIn(t, s, "jane@example.com", "walnut lantern quartz", address)
		})
	})
}

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestUserSecretsNeverStored(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newUsers(t, db)
		_, link := mustAdd(t, s, auth.NewUser{Email: "jane@example.com", Role: auth.Admin})
		if _, err := s.SetPassword(ctx, link.Text, janePassword); err != nil {
			t.Fatal(err)
		}
		_, reset, err := s.Reset(ctx, "tester", "jane@example.com")
		if err != nil {
			t.Fatal(err)
		}
		sess := mustSignIn(t, s, "jane@example.com", janePassword, address)
		wantBadSignIn(t, s, "jane@example.com", "walnut lantern quartz", address)
		secrets := []string{link.Text, reset.Text, sess.Text, janePassword, "walnut lantern quartz"}

		for table, col := range map[string]string{"console_links": "hash", "console_sessions": "hash"} {
			cols, rows := storetest.Rows(t, db, table)
			if len(rows) == 0 {
				t.Fatalf("no rows in %s", table)
			}
			for _, row := range rows {
				for i, c := range cols {
					if v := fmt.Sprint(row[i]); c == col && !hex64.MatchString(v) {
						t.Errorf("%s.%s = %q, want 64 hex digits", table, c, v)
					}
				}
			}
		}
		var hash string
		if err := db.SQL().QueryRow(`SELECT password_hash FROM console_users`).Scan(&hash); err != nil || !strings.HasPrefix(hash, "$argon2id$v=19$m=8,t=1,p=1$") {
			t.Errorf("password_hash %q (%v), want an argon2id string", hash, err)
		}
		var hashes int
		if err := db.SQL().QueryRow(`SELECT count(*) FROM console_links`).Scan(&hashes); err != nil || hashes != 2 {
			t.Errorf("%d links (%v)", hashes, err)
		}
		for table, dump := range storetest.Dump(t, db) {
			for _, secret := range secrets {
				if strings.Contains(dump, secret) || strings.Contains(dump, secret[:12]) {
					t.Errorf("table %s holds a secret (%.6s...): %s", table, secret, dump)
				}
			}
		}
		if got := strings.Join(auditOf(t, db), "\n"); got != strings.Join([]string{
			"tester user.add user jane@example.com role admin",
			"user:jane@example.com user.set_password user jane@example.com",
			"tester user.reset user jane@example.com",
			"user:jane@example.com user.sign_in user jane@example.com from " + address,
		}, "\n") {
			t.Errorf("audit:\n%s", got)
		}
	})
}

func TestUserGoesWithItsEngineer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newUsers(t, db)
		mustUser(t, s, "al@example.com", auth.Engineer, janePassword)
		mustUser(t, s, "jane@example.com", auth.Admin, bobPassword)
		al := mustSignIn(t, s, "al@example.com", janePassword, address)
		jane := mustSignIn(t, s, "jane@example.com", bobPassword, address)
		if u, err := s.Resume(ctx, al.Text); err != nil || u.Principal().Engineer != "alice" {
			t.Fatalf("al's session: %+v %v", u, err)
		}
		if _, err := s.Engineers.RemoveEngineer(ctx, "admin", "alice"); err != nil {
			t.Fatal(err)
		}
		wantNoSession(t, s, al.Text)
		wantBadSignIn(t, s, "al@example.com", janePassword, address)
		wantSession(t, s, jane.Text, "jane@example.com")
		list, err := s.List(ctx)
		if err != nil || len(list) != 1 || list[0].Email != "jane@example.com" {
			t.Errorf("List after removing alice = %+v, %v", list, err)
		}
		for _, table := range []string{"console_links", "console_sessions"} {
			var n int
			if err := db.SQL().QueryRow(`SELECT count(*) FROM ` + table + ` WHERE user_id NOT IN (SELECT id FROM console_users)`).Scan(&n); err != nil || n != 0 {
				t.Errorf("%d rows of %s outlive their user (%v)", n, table, err)
			}
		}
	})
}

// A browser's User-Agent is bytes a client chooses: one that is not UTF-8,
// or whose 200th byte falls inside a character, is kept as valid text (a
// PostgreSQL text column refuses anything else) and does not fail the
// sign-in.
func TestUserSignInAnyUserAgent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newUsers(t, db)
		mustUser(t, s, "jane@example.com", auth.Admin, janePassword)
		for _, tc := range []struct{ name, agent, want string }{
			{"not UTF-8", "Agent/1.0 \xff\xfe", "Agent/1.0 \uFFFD"},
			{"a character across the 200th byte", strings.Repeat("a", 199) + "é and more", strings.Repeat("a", 199)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := s.SignIn(context.Background(), "jane@example.com", janePassword, address, tc.agent); err != nil {
					t.Fatalf("SignIn with user agent %q: %v", tc.agent, err)
				}
				var agent string
				if err := db.SQL().QueryRow(`SELECT user_agent FROM console_sessions ORDER BY id DESC LIMIT 1`).Scan(&agent); err != nil || agent != tc.want {
					t.Errorf("stored user agent %q (%v), want %q", agent, err, tc.want)
				}
			})
		}
	})
}
