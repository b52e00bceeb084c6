package auth_test

import (
	"fmt"
	"strings"
	"testing"

	"supportline/auth"
	"supportline/errcode"
)

func TestTokenRoleAllows(t *testing.T) {
	all := []auth.Action{auth.Read, auth.ReadSecrets, auth.TicketWork, auth.OverrideOwn, auth.AdminWork, auth.ManageTokens}
	want := map[auth.Role][]auth.Action{
		auth.Viewer:   {auth.Read},
		auth.Engineer: {auth.Read, auth.TicketWork, auth.OverrideOwn},
		auth.Admin:    {auth.Read, auth.ReadSecrets, auth.TicketWork, auth.OverrideOwn, auth.AdminWork},
		"":            nil,
		"root":        nil,
		"Admin":       nil,
	}
	for role, may := range want {
		for _, a := range all {
			allowed := false
			for _, m := range may {
				allowed = allowed || m == a
			}
			t.Run(fmt.Sprintf("%q %s", role, a), func(t *testing.T) {
				if got := role.Allows(a); got != allowed {
					t.Errorf("Role(%q).Allows(%s) = %v, want %v", role, a, got, allowed)
				}
				if got := (auth.Principal{Name: "x", Role: role}).Allows(a); got != allowed {
					t.Errorf("Principal.Allows(%s) = %v, want %v", a, got, allowed)
				}
			})
		}
	}
	t.Run("no role manages tokens", func(t *testing.T) {
		for _, r := range auth.Roles {
			if r.Allows(auth.ManageTokens) {
				t.Errorf("%s may manage tokens", r)
			}
		}
	})
	t.Run("an unknown action is refused to every role", func(t *testing.T) {
		for _, r := range auth.Roles {
			if r.Allows("delete_everything") {
				t.Errorf("%s may do an unknown action", r)
			}
		}
	})
}

func TestTokenMayOverride(t *testing.T) {
	members := []string{"alice", "bob", "alice"}
	for _, tc := range []struct {
		name    string
		p       auth.Principal
		members []string
		want    bool
	}{
		{"admin of any schedule", auth.Principal{Name: "ops", Role: auth.Admin}, members, true},
		{"admin of a schedule with no members", auth.Principal{Name: "ops", Role: auth.Admin}, nil, true},
		{"engineer who is a member", auth.Principal{Name: "a", Role: auth.Engineer, Engineer: "alice"}, members, true},
		{"engineer who is not a member", auth.Principal{Name: "c", Role: auth.Engineer, Engineer: "carol"}, members, false},
		{"engineer of an empty schedule", auth.Principal{Name: "a", Role: auth.Engineer, Engineer: "alice"}, nil, false},
		{"engineer token without a handle", auth.Principal{Name: "a", Role: auth.Engineer}, []string{""}, false},
		{"handles compare exactly", auth.Principal{Name: "a", Role: auth.Engineer, Engineer: "Alice"}, members, false},
		{"viewer who is a member", auth.Principal{Name: "v", Role: auth.Viewer, Engineer: "alice"}, members, false},
		{"unknown role", auth.Principal{Name: "u", Role: "root", Engineer: "alice"}, members, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.MayOverride(tc.members); got != tc.want {
				t.Errorf("%+v.MayOverride(%v) = %v, want %v", tc.p, tc.members, got, tc.want)
			}
		})
	}
}

func TestPrincipalActor(t *testing.T) {
	if got := (auth.Principal{Kind: auth.KindToken, Name: "crm", Role: auth.Admin}).Actor(); got != "token:crm" {
		t.Errorf("Actor() = %q, want token:crm", got)
	}
	if got := (auth.Principal{Kind: auth.KindUser, Name: "jane@example.com", Role: auth.Viewer}).Actor(); got != "user:jane@example.com" {
		t.Errorf("Actor() = %q, want user:jane@example.com", got)
	}
}

func TestActsAs(t *testing.T) {
	admin := auth.Principal{Kind: auth.KindUser, Name: "ops@example.com", Role: auth.Admin}
	alice := auth.Principal{Kind: auth.KindToken, Name: "alice.phone", Role: auth.Engineer, Engineer: "alice"}
	for _, tc := range []struct {
		p           auth.Principal
		named, want string
		forbidden   bool
	}{
		{admin, "bob", "bob", false},
		{admin, "", "", false},
		{alice, "", "alice", false},
		{alice, "alice", "alice", false},
		{alice, "bob", "", true},
	} {
		got, err := tc.p.ActsAs(tc.named)
		if got != tc.want || (err != nil) != tc.forbidden || (err != nil && errcode.CodeOf(err) != errcode.Forbidden) {
			t.Errorf("%s ActsAs(%q) = %q, %v", tc.p.Name, tc.named, got, err)
		}
	}
}

func TestTokenParseTTL(t *testing.T) {
	const day = 24 * 60 * 60 * 1e9
	for _, tc := range []struct {
		in   string
		want int64 // nanoseconds; 0 means refused
	}{
		{"90d", 90 * day},
		{"365d", 365 * day},
		{"1d", day},
		{"12h", 12 * 60 * 60 * 1e9},
		{"1h", 60 * 60 * 1e9},
		{"90m", 90 * 60 * 1e9},
		{"366d", 0},
		{"8761h", 0},
		{"59m", 0},
		{"0d", 0},
		{"-1d", 0},
		{"d", 0},
		{"ninety days", 0},
		{"", 0},
		{"1y", 0},
		{"99999999999999d", 0},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := auth.ParseTTL(tc.in)
			if tc.want == 0 {
				if err == nil {
					t.Fatalf("ParseTTL(%q) = %s, want an error", tc.in, got)
				}
				return
			}
			if err != nil || int64(got) != tc.want {
				t.Fatalf("ParseTTL(%q) = %s %v, want %d ns", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestTokenLifetimeInMessages(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"366d", "not 366d"},
		{"8761h", "not 8761h"},
		{"59m", "not 59m"},
		{"-90m", "not -1h30m"},
	} {
		_, err := auth.ParseTTL(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseTTL(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
}
