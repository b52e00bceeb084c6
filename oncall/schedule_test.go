package oncall

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // tests must not depend on the host's zoneinfo

	"supportline/errcode"
)

func mustLoc(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatalf("load zone %s: %v", name, err)
	}
	return loc
}

func mustCivil(tb testing.TB, s string) Civil {
	tb.Helper()
	c, err := ParseCivil(s)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// mustTime parses an RFC 3339 instant; test instants spell out their offset
// so that a reader sees which side of a DST change they are on.
func mustTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func TestScheduleValidate(t *testing.T) {
	denver := mustLoc(t, "America/Denver")
	valid := Schedule{
		Name:     "primary",
		Location: denver,
		Shift:    168 * time.Hour,
		Handoff:  mustCivil(t, "2026-01-05T09:00"),
		Members:  []string{"alice", "bob", "carol"},
	}
	tests := []struct {
		name    string
		edit    func(*Schedule)
		wantErr []string // substrings; none means valid
	}{
		{"valid weekly rotation", func(*Schedule) {}, nil},
		{"repeated member weights the rotation", func(s *Schedule) { s.Members = []string{"alice", "bob", "alice"} }, nil},
		{"no members is valid (overrides only)", func(s *Schedule) { s.Members = nil }, nil},
		{"12h shift", func(s *Schedule) { s.Shift = 12 * time.Hour }, nil},
		{"90m shift", func(s *Schedule) { s.Shift = 90 * time.Minute }, nil},
		{"UTC", func(s *Schedule) { s.Location = time.UTC }, nil},
		{"empty name", func(s *Schedule) { s.Name = " " }, []string{`schedule "(unnamed)": name is empty`}},
		{"nil location", func(s *Schedule) { s.Location = nil }, []string{`schedule "primary": no time zone`}},
		{"Local location", func(s *Schedule) { s.Location = time.Local }, []string{"server's Local zone"}},
		{"zero shift", func(s *Schedule) { s.Shift = 0 }, []string{"shift 0s must be positive"}},
		{"negative shift", func(s *Schedule) { s.Shift = -time.Hour }, []string{"shift -1h must be positive"}},
		{"shift not whole minutes", func(s *Schedule) { s.Shift = 90 * time.Second }, []string{"shift 1m30s is not a whole number of minutes"}},
		{"zero handoff", func(s *Schedule) { s.Handoff = Civil{} }, []string{"handoff 0000-00-00T00:00: year 0 out of range"}},
		{"handoff 31 June", func(s *Schedule) { s.Handoff.Month, s.Handoff.Day = time.June, 31 }, []string{"day 31 out of range for June 2026"}},
		{"blank member", func(s *Schedule) { s.Members = []string{"alice", ""} }, []string{"member 2 of 2 has an empty handle"}},
		{
			"every problem at once",
			func(s *Schedule) { s.Location, s.Shift, s.Members = nil, 0, []string{" "} },
			[]string{"no time zone", "must be positive", "member 1 of 1 has an empty handle"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := valid
			s.Members = append([]string(nil), valid.Members...)
			tc.edit(&s)
			err := s.Validate()
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors containing %q", tc.wantErr)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

// The faces place Validate's refusal next to one field: the first
// problem's, in the order Validate checks them.
func TestScheduleValidateField(t *testing.T) {
	valid := Schedule{Name: "primary", Location: mustLoc(t, "America/Denver"), Shift: 24 * time.Hour,
		Handoff: mustCivil(t, "2026-01-05T09:00"), Members: []string{"alice"}}
	for _, tc := range []struct {
		name  string
		edit  func(*Schedule)
		field string
	}{
		{"empty name", func(s *Schedule) { s.Name = "" }, "name"},
		{"no zone", func(s *Schedule) { s.Location = nil }, "timezone"},
		{"zero shift", func(s *Schedule) { s.Shift = 0 }, "shift"},
		{"handoff 31 June", func(s *Schedule) { s.Handoff.Month, s.Handoff.Day = time.June, 31 }, "handoff"},
		{"blank member", func(s *Schedule) { s.Members = []string{" "} }, "members"},
		{"shift and members: the shift first", func(s *Schedule) { s.Shift, s.Members = 0, []string{""} }, "shift"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := valid
			tc.edit(&s)
			err := s.Validate()
			if got := errcode.FieldOf(err); got != tc.field || errcode.CodeOf(err) != errcode.Invalid {
				t.Fatalf("Validate() = %v: field %q code %q, want field %q, invalid", err, got, errcode.CodeOf(err), tc.field)
			}
		})
	}
}

func TestOverrideValidate(t *testing.T) {
	from := mustTime(t, "2026-06-10T12:00:00-06:00")
	valid := Override{ID: 1, Schedule: "primary", Engineer: "dave", From: from, To: from.Add(6 * time.Hour)}
	tests := []struct {
		name    string
		edit    func(*Override)
		wantErr string
	}{
		{"valid", func(*Override) {}, ""},
		{"no schedule", func(o *Override) { o.Schedule = "" }, "no schedule"},
		{"no engineer", func(o *Override) { o.Engineer = "  " }, "no engineer"},
		{"no from", func(o *Override) { o.From = time.Time{} }, "from and to are both required"},
		{"empty interval", func(o *Override) { o.To = o.From }, "to 2026-06-10T12:00:00-06:00 is not after from 2026-06-10T12:00:00-06:00"},
		{"reversed interval", func(o *Override) { o.To = o.From.Add(-time.Minute) }, "is not after from"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := valid
			tc.edit(&o)
			err := o.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("Validate() = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}
