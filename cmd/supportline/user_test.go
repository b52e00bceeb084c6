package main

import (
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"supportline/auth"
	"supportline/oncall"
	"supportline/store"
)

// linkOf finds the one set-password link in out and returns it with its
// text.
func linkOf(t *testing.T, out string) (link, text string) {
	t.Helper()
	m := regexp.MustCompile(`(?m)^(\S+/welcome\?t=(\S+))$`).FindAllStringSubmatch(out, -1)
	if len(m) != 1 {
		t.Fatalf("no one link in %q", out)
	}
	text, err := url.QueryUnescape(m[0][2])
	if err != nil {
		t.Fatal(err)
	}
	return m[0][1], text
}

// usersOf opens the CLI's database as auth.Users, as the console would.
func usersOf(t *testing.T, c *cli) *auth.Users {
	t.Helper()
	db, err := store.Open(context.Background(), c.db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &auth.Users{DB: db, Engineers: &oncall.Service{DB: db}}
}

func TestUserCommands(t *testing.T) {
	t.Setenv("SUPPORTLINE_ADMIN_URL", "")
	t.Setenv("SUPPORTLINE_ADMIN_ADDR", "")
	c := newCLI(t)
	c.mustRun("engineer", "add", "--handle", "alice", "--name", "Alice", "--phone", "+17205550111")

	code, out, errs := c.run("user", "add", "--email", "Jane@Example.com", "--role", "admin")
	if code != 0 || errs != "" || !strings.HasPrefix(out, "user jane@example.com (admin) added. Send them this link to set a password; it works once, until ") {
		t.Fatalf("add: exit %d, %q %q", code, out, errs)
	}
	link, text := linkOf(t, out)
	if !strings.HasPrefix(link, "http://127.0.0.1:8081/welcome?t=") || len(text) != 43 {
		t.Errorf("link %q: want the default admin address and 43 characters of text", link)
	}
	users := usersOf(t, c)
	ctx := context.Background()
	if u, err := users.LinkUser(ctx, text); err != nil || u.Email != "jane@example.com" {
		t.Fatalf("the printed link: %+v %v", u, err)
	}

	t.Setenv("SUPPORTLINE_ADMIN_URL", "https://support-admin.example.com/")
	code, out, errs = c.run("--json", "user", "add", "--email", "al@example.com", "--role", "engineer", "--engineer", "alice")
	var added struct {
		Email, Role, Link string
		Engineer          *string
		ExpiresAt         time.Time `json:"expires_at"`
	}
	if err := json.Unmarshal([]byte(out), &added); code != 0 || err != nil {
		t.Fatalf("add --json: exit %d, %q %q (%v)", code, out, errs, err)
	}
	if added.Email != "al@example.com" || added.Role != "engineer" || added.Engineer == nil || *added.Engineer != "alice" ||
		!strings.HasPrefix(added.Link, "https://support-admin.example.com/welcome?t=") {
		t.Errorf("add --json = %+v", added)
	}
	if d := time.Until(added.ExpiresAt); d < 23*time.Hour || d > 24*time.Hour+time.Minute {
		t.Errorf("the link expires at %s, want in 24 h", added.ExpiresAt)
	}
	t.Setenv("SUPPORTLINE_ADMIN_URL", "")
	t.Setenv("SUPPORTLINE_ADMIN_ADDR", "0.0.0.0:9091")
	_, out, _ = c.run("user", "add", "--email", "viv@example.com", "--role", "viewer")
	if link, _ := linkOf(t, out); !strings.HasPrefix(link, "http://127.0.0.1:9091/welcome?t=") {
		t.Errorf("with SUPPORTLINE_ADMIN_ADDR=0.0.0.0:9091 the link is %q", link)
	}
	t.Setenv("SUPPORTLINE_ADMIN_ADDR", "")

	// Jane sets her password and signs in; list shows it, never a secret.
	if _, err := users.SetPassword(ctx, text, "plum-ferry-gravel-7"); err != nil {
		t.Fatal(err)
	}
	sess, err := users.SignIn(ctx, "jane@example.com", "plum-ferry-gravel-7", "192.0.2.1", "")
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs = c.run("user", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || errs != "" || len(lines) != 4 || strings.Join(strings.Fields(lines[0]), " ") != "EMAIL ROLE ENGINEER CREATED PASSWORD DISABLED LAST SIGN-IN" {
		t.Fatalf("list: exit %d, %q %q", code, out, errs)
	}
	for i, want := range []string{`^al@example\.com +engineer +alice +\S+Z +not set +- +-$`,
		`^jane@example\.com +admin +- +\S+Z +set \S+Z +- +\S+Z$`, `^viv@example\.com +viewer +- +\S+Z +not set +- +-$`} {
		if !regexp.MustCompile(want).MatchString(lines[i+1]) {
			t.Errorf("list line %d %q does not match %s", i+1, lines[i+1], want)
		}
	}
	code, out, _ = c.run("user", "list", "--json")
	var listed []struct {
		Email       string
		Role        string
		Engineer    *string
		PasswordSet *time.Time `json:"password_set_at"`
		Disabled    *time.Time `json:"disabled_at"`
		LastSignIn  *time.Time `json:"last_sign_in_at"`
	}
	if err := json.Unmarshal([]byte(out), &listed); code != 0 || err != nil || len(listed) != 3 ||
		listed[1].Email != "jane@example.com" || listed[1].PasswordSet == nil || listed[1].LastSignIn == nil || listed[0].PasswordSet != nil {
		t.Errorf("list --json: exit %d, %s (%v)", code, out, err)
	}
	if strings.Contains(out, "argon2") || strings.Contains(out, `"id"`) {
		t.Errorf("list --json shows a hash or an id: %s", out)
	}

	// sign-out ends her sessions; disable and enable; reset prints a
	// new link and voids the old.
	code, out, errs = c.run("user", "sign-out", "JANE@example.com")
	if code != 0 || out != "user jane@example.com signed out everywhere: 1 session(s) ended\n" {
		t.Fatalf("sign-out: exit %d, %q %q", code, out, errs)
	}
	if _, err := users.Resume(ctx, sess.Text); err != auth.ErrNoSession {
		t.Errorf("session after sign-out: %v", err)
	}
	if code, out, _ := c.run("user", "sign-out", "jane@example.com", "--json"); code != 0 || !strings.Contains(out, `"sessions_ended": 0`) {
		t.Errorf("sign-out --json: exit %d, %s", code, out)
	}
	code, out, errs = c.run("user", "disable", "jane@example.com")
	if code != 0 || !strings.HasPrefix(out, "user jane@example.com disabled: their sessions ended") {
		t.Fatalf("disable: exit %d, %q %q", code, out, errs)
	}
	if _, err := users.SignIn(ctx, "jane@example.com", "plum-ferry-gravel-7", "192.0.2.1", ""); err != auth.ErrBadSignIn {
		t.Errorf("sign in while disabled: %v", err)
	}
	if code, out, _ := c.run("user", "list"); code != 0 || !regexp.MustCompile(`(?m)^jane@example\.com +admin +- +\S+Z +set \S+Z +\S+Z +\S+Z$`).MatchString(out) {
		t.Errorf("list after disable:\n%s", out)
	}
	if code, out, errs := c.run("user", "enable", "jane@example.com", "--json"); code != 0 || !strings.Contains(out, `"disabled": false`) {
		t.Fatalf("enable: exit %d, %q %q", code, out, errs)
	}
	if _, err := users.SignIn(ctx, "jane@example.com", "plum-ferry-gravel-7", "192.0.2.1", ""); err != nil {
		t.Errorf("sign in after enable: %v", err)
	}
	code, out, errs = c.run("user", "reset", "al@example.com")
	if code != 0 || !strings.HasPrefix(out, "user al@example.com (engineer for engineer alice) reset; ") {
		t.Fatalf("reset: exit %d, %q %q", code, out, errs)
	}
	_, newText := linkOf(t, out)
	_, oldText := linkOf(t, added.Link+"\n")
	if u, err := users.LinkUser(ctx, newText); err != nil || u.Email != "al@example.com" {
		t.Errorf("the reset link: %+v %v", u, err)
	}
	if _, err := users.LinkUser(ctx, oldText); err == nil {
		t.Error("the link before the reset still works")
	}

	for _, tc := range []struct {
		name string
		args []string
		env  string // SUPPORTLINE_ADMIN_URL, or SUPPORTLINE_ADMIN_ADDR after "addr:"
		exit int
		want string
	}{
		{"no e-mail", []string{"user", "add", "--role", "admin"}, "", 2, "needs --email EMAIL and --role"},
		{"no role", []string{"user", "add", "--email", "x@example.com"}, "", 2, "needs --email EMAIL and --role"},
		{"bad e-mail", []string{"user", "add", "--email", "x@", "--role", "admin"}, "", 2, "the e-mail must be a bare address"},
		{"bad role", []string{"user", "add", "--email", "x@example.com", "--role", "root"}, "", 2, "admin, engineer or viewer"},
		{"engineer without handle", []string{"user", "add", "--email", "x@example.com", "--role", "engineer"}, "", 2, "--engineer HANDLE"},
		{"viewer with handle", []string{"user", "add", "--email", "x@example.com", "--role", "viewer", "--engineer", "alice"}, "", 2, "only an engineer user"},
		{"unknown flag", []string{"user", "add", "--mail", "x@example.com"}, "", 2, "unknown flag --mail"},
		{"unknown engineer", []string{"user", "add", "--email", "x@example.com", "--role", "engineer", "--engineer", "zed"}, "", 3, "zed"},
		{"taken", []string{"user", "add", "--email", "jane@example.com", "--role", "viewer"}, "", 3, "a user with e-mail jane@example.com exists"},
		{"admin URL with a query", []string{"user", "add", "--email", "x@example.com", "--role", "admin"}, "https://admin.example.com/?a=b", 2, "SUPPORTLINE_ADMIN_URL="},
		{"admin URL relative", []string{"user", "reset", "jane@example.com"}, "admin.example.com", 2, "SUPPORTLINE_ADMIN_URL="},
		{"admin URL ftp", []string{"user", "add", "--email", "x@example.com", "--role", "admin"}, "ftp://admin.example.com", 2, "must be an absolute http:// or https:// URL"},
		{"admin address without a port", []string{"user", "add", "--email", "x@example.com", "--role", "admin"}, "addr:localhost", 2, `SUPPORTLINE_ADMIN_ADDR="localhost" is not a listen address`},
		{"disable nobody", []string{"user", "disable", "nobody@example.com"}, "", 3, `no user with e-mail "nobody@example.com"`},
		{"enable nobody", []string{"user", "enable", "nobody@example.com"}, "", 3, `no user with e-mail "nobody@example.com"`},
		{"reset nobody", []string{"user", "reset", "nobody@example.com"}, "", 3, `no user with e-mail "nobody@example.com"`},
		{"sign out nobody", []string{"user", "sign-out", "nobody@example.com"}, "", 3, `no user with e-mail "nobody@example.com"`},
		{"enable an enabled user", []string{"user", "enable", "jane@example.com"}, "", 3, "is not disabled"},
		{"disable without e-mail", []string{"user", "disable"}, "", 2, "needs a user's e-mail"},
		{"reset two", []string{"user", "reset", "a@example.com", "b@example.com"}, "", 2, "needs a user's e-mail"},
		{"logout", []string{"user", "logout", "jane@example.com"}, "", 2, "did you mean sign-out?"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if addr, ok := strings.CutPrefix(tc.env, "addr:"); ok {
				t.Setenv("SUPPORTLINE_ADMIN_ADDR", addr)
			} else {
				t.Setenv("SUPPORTLINE_ADMIN_URL", tc.env)
			}
			code, out, errs := c.run(tc.args...)
			if code != tc.exit || out != "" || !strings.Contains(errs, tc.want) || strings.Count(errs, "\n") != 1 {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d and %q", code, out, errs, tc.exit, tc.want)
			}
		})
	}
	if n := len(mustList(t, users)); n != 3 {
		t.Errorf("%d users after the refusals, want 3", n)
	}

	_, out, _ = c.run("audit", "list")
	for _, want := range []string{"user.add", "user.sign_out_everywhere", "user.disable", "user.enable", "user.reset"} {
		if !regexp.MustCompile(`(?m)\btester\b.*\b` + regexp.QuoteMeta(want) + `\b`).MatchString(out) {
			t.Errorf("audit list lacks %s by tester:\n%s", want, out)
		}
	}
	if strings.Contains(out, text) || strings.Contains(out, newText) || strings.Contains(out, "plum-ferry") {
		t.Errorf("audit list shows a secret:\n%s", out)
	}
}

func mustList(t *testing.T, s *auth.Users) []auth.User {
	t.Helper()
	list, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestUserConsoleURL(t *testing.T) {
	for _, tc := range []struct{ adminURL, addr, want string }{
		{"", "127.0.0.1:8081", "http://127.0.0.1:8081"},
		{"", ":8081", "http://127.0.0.1:8081"},
		{"", "0.0.0.0:8081", "http://127.0.0.1:8081"},
		{"", "[::]:8081", "http://127.0.0.1:8081"},
		{"", "[::1]:8081", "http://[::1]:8081"},
		{"", "admin.internal:8081", "http://admin.internal:8081"},
		{"https://admin.example.com/console", "127.0.0.1:8081", "https://admin.example.com/console"},
	} {
		if got := consoleURL(tc.adminURL, tc.addr); got != tc.want {
			t.Errorf("consoleURL(%q, %q) = %q, want %q", tc.adminURL, tc.addr, got, tc.want)
		}
	}
	for _, tc := range []struct{ env, want string }{
		{"", ""},
		{"https://admin.example.com", "https://admin.example.com"},
		{"https://admin.example.com/", "https://admin.example.com"},
		{"http://127.0.0.1:8081/console/", "http://127.0.0.1:8081/console"},
		{"https://admin.example.com/?x=1", "!"},
		{"https://admin.example.com/?", "!"},
		{"https://admin.example.com/#top", "!"},
		{"https://user:pw@admin.example.com", "!"},
		{"admin.example.com", "!"},
		{"/console", "!"},
		{"ftp://admin.example.com", "!"},
		{"https://", "!"},
		{" https://admin.example.com", "!"},
	} {
		got, err := adminURLFromEnv(func(k string) string {
			if k == "SUPPORTLINE_ADMIN_URL" {
				return tc.env
			}
			return ""
		})
		if tc.want == "!" {
			if err == nil || !strings.Contains(err.Error(), "SUPPORTLINE_ADMIN_URL=") {
				t.Errorf("SUPPORTLINE_ADMIN_URL=%q: %q, %v; want refused naming the variable", tc.env, got, err)
			}
		} else if err != nil || got != tc.want {
			t.Errorf("SUPPORTLINE_ADMIN_URL=%q: %q, %v; want %q", tc.env, got, err, tc.want)
		}
	}
	// serve refuses a bad one at start, as every setting.
	phoneLineEnv(t)
	t.Setenv("SUPPORTLINE_ADMIN_URL", "https://admin.example.com/?a=b")
	var out, errs strings.Builder
	code := run(context.Background(), []string{"serve", "--db", "postgres://nobody@127.0.0.1:1/none?connect_timeout=1", "--addr", "127.0.0.1:0"}, &out, &errs)
	if code != 2 || !strings.Contains(errs.String(), "SUPPORTLINE_ADMIN_URL=") || strings.Contains(out.String(), "listening") {
		t.Errorf("serve with a bad SUPPORTLINE_ADMIN_URL: exit %d, %q %q", code, out.String(), errs.String())
	}
}

var (
	demoConsoleLine  = regexp.MustCompile(`(?m)^Console \(open it in a browser and sign in\):\n  (\S+)\n  e-mail:        (\S+)\n  password:      (\S+) \(replaced at every start of the demo\)$`)
	demoPasswordForm = regexp.MustCompile(`^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$`)
)

func TestServeDemoConsoleUser(t *testing.T) {
	t.Setenv("TWILIO_AUTH_TOKEN", "")
	t.Setenv("SUPPORTLINE_PUBLIC_URL", "")
	t.Setenv("SUPPORTLINE_ADMIN_URL", "")
	unsetTwilio(t)
	c := newCLI(t)
	start := func() string {
		t.Helper()
		s := startServe(t, "--demo", "--db", c.db)
		s.waitReady(t)
		m := demoConsoleLine.FindStringSubmatch(s.out.String())
		if m == nil {
			t.Fatalf("the demo banner has no console lines: %q", s.out)
		}
		if m[1] != "http://"+s.admin || m[2] != "demo@supportline.example" || !demoPasswordForm.MatchString(m[3]) {
			t.Errorf("console %q, e-mail %q, password %q", m[1], m[2], m[3])
		}
		if !strings.Contains(s.out.String(), "admin token:") || strings.Index(s.out.String(), "admin token:") > strings.Index(s.out.String(), "Console (") {
			t.Errorf("the console lines are not under the admin API's: %q", s.out)
		}
		if strings.Contains(s.errs.String(), m[3]) {
			t.Errorf("the password is in the log: %s", s.errs)
		}
		s.stop()
		if code := s.wait(); code != 0 {
			t.Fatalf("demo serve exited %d: %s", code, s.errs)
		}
		return m[3]
	}
	first := start()
	users := usersOf(t, c)
	ctx := context.Background()
	sess, err := users.SignIn(ctx, "demo@supportline.example", first, "192.0.2.1", "")
	if err != nil || sess.User.Role != auth.Admin {
		t.Fatalf("sign in with the printed password: %+v %v", sess.User, err)
	}

	// A second start finds the user, even disabled, and replaces the
	// password; the old one and its sessions stop working.
	if err := users.Disable(ctx, "tester", "demo@supportline.example"); err != nil {
		t.Fatal(err)
	}
	second := start()
	if second == first {
		t.Fatal("the password was not replaced")
	}
	if _, err := users.SignIn(ctx, "demo@supportline.example", first, "192.0.2.1", ""); err != auth.ErrBadSignIn {
		t.Errorf("the first start's password: %v", err)
	}
	if _, err := users.SignIn(ctx, "demo@supportline.example", second, "192.0.2.1", ""); err != nil {
		t.Errorf("the second start's password: %v", err)
	}
	if list := mustList(t, users); len(list) != 1 || list[0].Disabled != nil {
		t.Errorf("users after two starts: %+v", list)
	}

	// A real user makes it a database that is not the demo's.
	c.mustRun("user", "add", "--email", "jane@example.com", "--role", "admin")
	s := startServe(t, "--demo", "--db", c.db)
	if code, errs := s.wait(), s.errs.String(); code != 3 || !strings.Contains(errs, "holds data that is not demo data: user jane@example.com") {
		t.Fatalf("demo on a database with a real user: exit %d %q", code, errs)
	}
}
