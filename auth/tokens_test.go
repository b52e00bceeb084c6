package auth_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"supportline/audit"
	"supportline/auth"
	"supportline/errcode"
	"supportline/oncall"
	"supportline/store"
	"supportline/store/storetest"
)

func newService(t *testing.T, db *store.DB) *auth.Tokens {
	t.Helper()
	eng := &oncall.Service{DB: db}
	if _, err := eng.AddEngineer(context.Background(), "admin", oncall.NewEngineer{Handle: "alice", Name: "Alice", Phone: "+17205550111"}); err != nil {
		t.Fatalf("add engineer: %v", err)
	}
	return &auth.Tokens{DB: db, Engineers: eng}
}

func mustCreate(t *testing.T, s *auth.Tokens, n auth.NewToken) (auth.Token, string) {
	t.Helper()
	tok, text, err := s.Create(context.Background(), "tester", n)
	if err != nil {
		t.Fatalf("create %+v: %v", n, err)
	}
	return tok, text
}

func wantRefused(t *testing.T, s *auth.Tokens, bearer, reason string) {
	t.Helper()
	p, err := s.Authenticate(context.Background(), bearer)
	if !errors.Is(err, auth.ErrUnauthenticated) || !strings.Contains(err.Error(), reason) {
		t.Fatalf("Authenticate(%q) = %+v, %v; want ErrUnauthenticated (%s)", bearer, p, err, reason)
	}
	if p != (auth.Principal{}) {
		t.Errorf("refused token still gives principal %+v", p)
	}
}

func TestTokenCreateAuthenticateListRevoke(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db)
		clock := storetest.ClockOf(db)
		now := clock.Now() // 2026-11-18T15:00:00Z

		crm, crmText := mustCreate(t, s, auth.NewToken{Name: "crm", Role: auth.Admin})
		if !strings.HasPrefix(crmText, "slt_") || len(crmText) != 47 {
			t.Fatalf("token text %q: want slt_ and 43 base64url characters", crmText)
		}
		if !crm.ExpiresAt.Equal(now.Add(90 * 24 * time.Hour)) {
			t.Errorf("default expiry %s, want 90 days after %s", crm.ExpiresAt, now)
		}
		_, aliceText := mustCreate(t, s, auth.NewToken{Name: "alice.phone", Role: auth.Engineer, Engineer: "alice", TTL: 12 * time.Hour})
		_, viewText := mustCreate(t, s, auth.NewToken{Name: "dash_1", Role: auth.Viewer, TTL: 365 * 24 * time.Hour})
		if crmText == aliceText || crmText == viewText {
			t.Fatal("two tokens share their text")
		}

		for _, tc := range []struct {
			bearer string
			want   auth.Principal
		}{
			{crmText, auth.Principal{Kind: auth.KindToken, Name: "crm", Role: auth.Admin}},
			{"Bearer " + crmText, auth.Principal{Kind: auth.KindToken, Name: "crm", Role: auth.Admin}},
			{"bearer " + aliceText, auth.Principal{Kind: auth.KindToken, Name: "alice.phone", Role: auth.Engineer, Engineer: "alice"}},
			{viewText, auth.Principal{Kind: auth.KindToken, Name: "dash_1", Role: auth.Viewer}},
		} {
			p, err := s.Authenticate(ctx, tc.bearer)
			if err != nil || p != tc.want {
				t.Errorf("Authenticate(%.12q...) = %+v, %v; want %+v", tc.bearer, p, err, tc.want)
			}
		}

		list, err := s.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, tok := range list {
			names = append(names, fmt.Sprintf("%s/%s/%v/%v", tok.Name, tok.Role, tok.Engineer != nil && *tok.Engineer == "alice", tok.LastUsedAt != nil && tok.LastUsedAt.Equal(now)))
			if tok.CreatedBy != "tester" || !tok.CreatedAt.Equal(now) || tok.Expired {
				t.Errorf("listed %+v", tok)
			}
		}
		if got := strings.Join(names, " "); got != "alice.phone/engineer/true/true crm/admin/false/true dash_1/viewer/false/true" {
			t.Errorf("List = %s", got)
		}

		if err := s.Revoke(ctx, "tester", "crm"); err != nil {
			t.Fatal(err)
		}
		wantRefused(t, s, crmText, "revoked")
		if err := s.Revoke(ctx, "tester", "crm"); !errcode.Is(err, errcode.NotFound) {
			t.Errorf("revoke twice: %v, want not found", err)
		}
		if err := s.Revoke(ctx, "tester", "nope"); !errcode.Is(err, errcode.NotFound) {
			t.Errorf("revoke unknown: %v, want not found", err)
		}
		// Revoking frees the name; the old text still does not work.
		_, crm2 := mustCreate(t, s, auth.NewToken{Name: "crm", Role: auth.Viewer})
		if p, err := s.Authenticate(ctx, crm2); err != nil || p.Role != auth.Viewer {
			t.Errorf("new crm token: %+v %v", p, err)
		}
		wantRefused(t, s, crmText, "revoked")

		// Expiry, by the database clock.
		clock.Advance(12*time.Hour - time.Microsecond)
		if _, err := s.Authenticate(ctx, aliceText); err != nil {
			t.Errorf("a microsecond before expiry: %v", err)
		}
		clock.Advance(time.Microsecond)
		wantRefused(t, s, aliceText, "expired")
		list, _ = s.List(ctx)
		for _, tok := range list {
			if tok.Expired != (tok.Name == "alice.phone") {
				t.Errorf("%s expired = %v at %s", tok.Name, tok.Expired, clock.Now())
			}
		}

		// An engineer token goes with its engineer.
		clock.Set(now)
		_, bobText := mustCreate(t, s, auth.NewToken{Name: "alice2", Role: auth.Engineer, Engineer: "alice"})
		if _, err := s.Engineers.RemoveEngineer(ctx, "admin", "alice"); err != nil {
			t.Fatal(err)
		}
		wantRefused(t, s, bobText, "unknown token")
	})
}

func TestTokenCreateRefusesBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db)
		mustCreate(t, s, auth.NewToken{Name: "crm", Role: auth.Admin})
		for _, tc := range []struct {
			name string
			in   auth.NewToken
			code errcode.Code
			want string
		}{
			{"empty name", auth.NewToken{Role: auth.Admin}, errcode.Invalid, "1 to 40"},
			{"upper case", auth.NewToken{Name: "CRM", Role: auth.Admin}, errcode.Invalid, "1 to 40"},
			{"space", auth.NewToken{Name: "my crm", Role: auth.Admin}, errcode.Invalid, "1 to 40"},
			{"41 characters", auth.NewToken{Name: strings.Repeat("a", 41), Role: auth.Admin}, errcode.Invalid, "1 to 40"},
			{"unknown role", auth.NewToken{Name: "x", Role: "root"}, errcode.Invalid, "admin, engineer or viewer"},
			{"no role", auth.NewToken{Name: "x"}, errcode.Invalid, "admin, engineer or viewer"},
			{"engineer without handle", auth.NewToken{Name: "x", Role: auth.Engineer}, errcode.Invalid, "--engineer"},
			{"admin with handle", auth.NewToken{Name: "x", Role: auth.Admin, Engineer: "alice"}, errcode.Invalid, "only an engineer token"},
			{"viewer with handle", auth.NewToken{Name: "x", Role: auth.Viewer, Engineer: "alice"}, errcode.Invalid, "only an engineer token"},
			{"unknown engineer", auth.NewToken{Name: "x", Role: auth.Engineer, Engineer: "zed"}, errcode.NotFound, "zed"},
			{"too long", auth.NewToken{Name: "x", Role: auth.Admin, TTL: 366 * 24 * time.Hour}, errcode.Invalid, "at most 365d, not 366d"},
			{"too short", auth.NewToken{Name: "x", Role: auth.Admin, TTL: time.Minute}, errcode.Invalid, "at least 1h"},
			{"negative", auth.NewToken{Name: "x", Role: auth.Admin, TTL: -time.Hour}, errcode.Invalid, "at least 1h"},
			{"name taken", auth.NewToken{Name: "crm", Role: auth.Viewer}, errcode.Conflict, "revoke it first"},
			{"name taken, with the command that frees it", auth.NewToken{Name: "crm", Role: auth.Viewer}, errcode.Conflict, "revoke it first (supportline token revoke crm)"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, text, err := s.Create(ctx, "tester", tc.in)
				if !errcode.Is(err, tc.code) || !strings.Contains(errcode.Message(err), tc.want) || text != "" {
					t.Fatalf("Create(%+v) = %q, %v; want %s with %q", tc.in, text, err, tc.code, tc.want)
				}
			})
		}
		var n int
		if err := db.SQL().QueryRow(`SELECT count(*) FROM api_tokens`).Scan(&n); err != nil || n != 1 {
			t.Errorf("%d tokens stored (%v), want only crm", n, err)
		}
		events, err := (&audit.Service{DB: db}).List(ctx, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		creates := 0
		for _, e := range events {
			if e.Action == "token.create" {
				creates++
			}
		}
		if creates != 1 {
			t.Errorf("%d token.create events, want 1 (refusals change nothing)", creates)
		}
	})
}

func TestTokenAuthenticateRefusesMalformed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db)
		_, text := mustCreate(t, s, auth.NewToken{Name: "crm", Role: auth.Admin})
		other := "ghp_" + text[4:]
		flipped := text[:10] + "A" + text[11:]
		if text[10] == 'A' {
			flipped = text[:10] + "B" + text[11:]
		}
		for _, tc := range []struct{ name, bearer, reason string }{
			{"empty", "", "no token"},
			{"Bearer alone", "Bearer", "prefix"},
			{"Bearer and a space", "Bearer ", "no token"},
			{"prefix alone", "slt_", "malformed"},
			{"Bearer and prefix", "Bearer slt_", "malformed"},
			{"random string", "hunter2", "prefix"},
			{"another prefix", other, "prefix"},
			{"Basic scheme", "Basic " + text, "prefix"},
			{"truncated", text[:46], "malformed"},
			{"one too many", text + "A", "malformed"},
			{"not base64url", "slt_" + strings.Repeat("+", 43), "malformed"},
			{"padding", "slt_" + strings.Repeat("A", 42) + "=", "malformed"},
			{"unknown token", "slt_" + strings.Repeat("A", 43), "unknown token"},
			{"one character changed", flipped, "unknown token"},
			{"hash instead of text", "slt_" + strings.Repeat("0", 43), "unknown token"},
			{"upper-cased", strings.ToUpper(text), "prefix"},
		} {
			t.Run(tc.name, func(t *testing.T) { wantRefused(t, s, tc.bearer, tc.reason) })
		}
	})
}

func TestTokenLastUseRecordedAtMostOnceAMinute(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db)
		clock := storetest.ClockOf(db)
		start := clock.Now()
		_, text := mustCreate(t, s, auth.NewToken{Name: "crm", Role: auth.Admin})
		lastUsed := func() *time.Time {
			t.Helper()
			list, err := s.List(ctx)
			if err != nil || len(list) != 1 {
				t.Fatalf("list: %v %v", list, err)
			}
			return list[0].LastUsedAt
		}
		if lastUsed() != nil {
			t.Fatal("a new token has a last use")
		}
		for _, step := range []struct {
			at   time.Duration // after start
			want time.Duration // last_used_at after start
		}{
			{0, 0},
			{10 * time.Second, 0},
			{59 * time.Second, 0},
			{60 * time.Second, 60 * time.Second},
			{61 * time.Second, 60 * time.Second},
			{119 * time.Second, 60 * time.Second},
			{5 * time.Minute, 5 * time.Minute},
		} {
			clock.Set(start.Add(step.at))
			if _, err := s.Authenticate(ctx, text); err != nil {
				t.Fatal(err)
			}
			if got := lastUsed(); got == nil || !got.Equal(start.Add(step.want)) {
				t.Errorf("used at +%s: last used %v, want +%s", step.at, got, step.want)
			}
		}
		// A refused token records nothing.
		_, other := mustCreate(t, s, auth.NewToken{Name: "old", Role: auth.Viewer, TTL: time.Hour})
		clock.Advance(2 * time.Hour)
		wantRefused(t, s, other, "expired")
		var n int
		if err := db.SQL().QueryRow(`SELECT count(*) FROM api_tokens WHERE name = 'old' AND last_used_at IS NOT NULL`).Scan(&n); err != nil || n != 0 {
			t.Errorf("expired token's use recorded (%d, %v)", n, err)
		}
	})
}

func TestTokenSecretNeverStored(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db)
		var texts []string
		for _, n := range []auth.NewToken{
			{Name: "crm", Role: auth.Admin},
			{Name: "alice", Role: auth.Engineer, Engineer: "alice"},
		} {
			_, text := mustCreate(t, s, n)
			texts = append(texts, text)
			if _, err := s.Authenticate(ctx, text); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Revoke(ctx, "tester", "crm"); err != nil {
			t.Fatal(err)
		}
		cells := dumpTable(t, db, "api_tokens")
		cells = append(cells, dumpTable(t, db, "audit_events")...)
		if len(cells) == 0 {
			t.Fatal("nothing dumped")
		}
		for _, text := range texts {
			secret := text[len(auth.Prefix):]
			for _, c := range cells {
				if strings.Contains(c, secret) || strings.Contains(c, secret[:16]) {
					t.Errorf("a stored cell holds the token's secret: %q", c)
				}
			}
		}
		events, err := (&audit.Service{DB: db}).List(ctx, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range events {
			if strings.HasPrefix(e.Action, "token.") {
				got = append(got, e.Actor+" "+e.Action+" "+e.Subject+" "+e.Detail)
			}
		}
		want := []string{
			"tester token.create token crm role admin, expires 2027-02-16T15:00:00Z",
			"tester token.create token alice role engineer, expires 2027-02-16T15:00:00Z, engineer alice",
			"tester token.revoke token crm ",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("audit events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}

// dumpTable returns every cell of every row of table as text.
func dumpTable(t *testing.T, db *store.DB, table string) []string {
	t.Helper()
	rows, err := db.SQL().Query(`SELECT * FROM ` + table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			out = append(out, fmt.Sprint(v))
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
