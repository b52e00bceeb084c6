package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"supportline/audit"
	"supportline/oncall"
	"supportline/store"
	"supportline/store/storetest"
)

// ocDenver freezes the clock at Wednesday 2027-03-10 05:00 MST (12:00
// UTC), four days before America/Denver springs forward (Sunday
// 2027-03-14 02:00 MST becomes 03:00 MDT), adds engineer bob and schedule
// denver: 24h shifts handed off at 09:00 local from Monday 2027-03-01,
// alice then bob. So alice has the shifts starting on odd days of March
// and bob those on even days, always at 09:00 wall-clock time. Call it
// before signing in: moving the clock this far ends sessions.
func ocDenver(t *testing.T, h *harness) {
	t.Helper()
	ctx := context.Background()
	h.clock.Set(time.Date(2027, 3, 10, 12, 0, 0, 0, time.UTC))
	if _, err := h.srv.OnCall.AddEngineer(ctx, "setup", oncall.NewEngineer{Handle: "bob", Name: "Bob", Phone: "+17205550112"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.srv.OnCall.AddSchedule(ctx, "setup", oncall.NewSchedule{Name: "denver", Timezone: "America/Denver",
		Shift: 24 * time.Hour, Handoff: oncall.Civil{Year: 2027, Month: 3, Day: 1, Hour: 9}, Members: []string{"alice", "bob"}}); err != nil {
		t.Fatal(err)
	}
}

// ocCell is the calendar's cell of a local date (2006-01-02).
func ocCell(t *testing.T, p page, date string) string {
	t.Helper()
	i := strings.Index(p.Body, `id="day-`+date+`"`)
	if i < 0 {
		t.Fatalf("no calendar day %s:\n%s", date, p.Body)
	}
	cell := p.Body[i:]
	return cell[:strings.Index(cell, "</li>")]
}

// ocNear fails the test unless msg is shown next to the input with id:
// after it and before the next label or button.
func ocNear(t *testing.T, p page, id, msg string) {
	t.Helper()
	i := strings.Index(p.Body, `id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no input %s:\n%s", id, p.Body)
	}
	rest := p.Body[i:]
	end := len(rest)
	for _, stop := range []string{"<label", "<button"} {
		if j := strings.Index(rest, stop); j >= 0 && j < end {
			end = j
		}
	}
	if !strings.Contains(rest[:end], `class="field-error"`) || !strings.Contains(rest[:end], msg) {
		t.Errorf("%q is not next to %s:\n%s", msg, id, rest[:end])
	}
}

// ocAudit fails the test unless an event of action was recorded by actor.
func ocAudit(t *testing.T, h *harness, action, actor string) {
	t.Helper()
	evs, err := h.srv.Audit.List(context.Background(), audit.Filter{Actor: actor})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Action == action {
			return
		}
	}
	t.Errorf("no %s event by %s in %+v", action, actor, evs)
}

func TestOnCallCalendar(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ocDenver(t, h)
		admin := h.signedIn("admin@example.com")

		// Who is on call now, until when, in the schedule's zone.
		admin.get("/oncall").want(t, http.StatusOK).
			has(t, `href="/oncall/denver"`, "<strong>Alice</strong> (alice)", "Wed 10 Mar 2027 09:00 MST", "24h shifts from 2027-03-01T09:00 America/Denver")

		p := admin.get("/oncall/denver").want(t, http.StatusOK).has(t, "The next four weeks, in America/Denver")
		// 28 local days from today's local date.
		if !strings.Contains(ocCell(t, p, "2027-03-10"), "(today)") {
			t.Error("the first day is not today")
		}
		ocCell(t, p, "2027-04-06")
		if strings.Contains(p.Body, `id="day-2027-04-07"`) || strings.Contains(p.Body, `id="day-2027-03-09"`) {
			t.Error("the calendar shows more than 28 days from today")
		}
		// The night shift before today still touches today.
		if c := ocCell(t, p, "2027-03-10"); !strings.Contains(c, "alice 09:00–09:00") || !strings.Contains(c, "bob 09:00–09:00") {
			t.Errorf("today's cell: %s", c)
		}
		// The DST day: 23 hours long, and both shifts still hand off at
		// 09:00 local, before (MST) and after (MDT) the change; so on the
		// day after.
		for _, date := range []string{"2027-03-13", "2027-03-14", "2027-03-15"} {
			c := ocCell(t, p, date)
			if strings.Count(c, "09:00–09:00") != 2 || strings.Contains(c, "10:00") || strings.Contains(c, "08:00") {
				t.Errorf("cell %s: %s", date, c)
			}
		}
		if c := ocCell(t, p, "2027-03-14"); !strings.Contains(c, "Clocks change: MST to MDT, a 23h day") ||
			!strings.Contains(c, "alice 09:00–09:00 <span class=\"muted\">(Sat 13 Mar to Sun 14 Mar)</span>") ||
			!strings.Contains(c, "bob 09:00–09:00 <span class=\"muted\">(Sun 14 Mar to Mon 15 Mar)</span>") {
			t.Errorf("the DST day: %s", c)
		}
		if strings.Contains(ocCell(t, p, "2027-03-15"), "Clocks change") {
			t.Error("a clock change on the day after")
		}

		// "I'll take Saturday": alice takes the afternoon of Saturday 20,
		// a bob day, typed as wall-clock times in America/Denver (MDT).
		r := admin.post("/oncall/denver/overrides", url.Values{"engineer": {"alice"}, "from": {"2027-03-20T12:00"}, "to": {"2027-03-20T18:00"}}).
			want(t, http.StatusSeeOther)
		if r.location() != "/oncall/denver?done=override-added" {
			t.Errorf("after adding: %q", r.location())
		}
		os, err := h.srv.OnCall.Overrides(context.Background(), "denver", time.Time{})
		if err != nil || len(os) != 1 {
			t.Fatalf("overrides %v, %v", os, err)
		}
		o := os[0]
		if want := time.Date(2027, 3, 20, 18, 0, 0, 0, time.UTC); !o.From.Equal(want) || o.Engineer != "alice" {
			t.Errorf("stored override %+v, want from %s", o, want)
		}
		ocAudit(t, h, "override.add", "user:admin@example.com")

		p = admin.get(r.location()).want(t, http.StatusOK).has(t, "Override added: it shows in the calendar.", fmt.Sprintf(`id="override-%d"`, o.ID))
		c := ocCell(t, p, "2027-03-20")
		for _, want := range []string{
			"alice 09:00–09:00", "bob 09:00–12:00",
			fmt.Sprintf(`<span class="shift override">alice 12:00–18:00 <strong>override #%d</strong>`, o.ID),
			"bob 18:00–09:00",
		} {
			if !strings.Contains(c, want) {
				t.Errorf("Saturday lacks %q: %s", want, c)
			}
		}
		if strings.Count(p.Body, "shift override") != 1 {
			t.Error("the override is marked on other days too")
		}
		// `supportline oncall` reads the same table.
		cs, err := h.srv.OnCall.OnCall(context.Background(), time.Date(2027, 3, 20, 20, 0, 0, 0, time.UTC))
		if err != nil || len(cs) != 1 || cs[0].Engineer != "alice" || cs[0].Override != o.ID {
			t.Errorf("on call at the override: %+v, %v", cs, err)
		}
	})
}

func TestOnCallEmptyAndSchedules(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	admin, viewer := h.signedIn("admin@example.com"), h.signedIn("viewer@example.com")
	viewer.get("/oncall").want(t, http.StatusOK).has(t, "No schedules yet: add one", "supportline schedule add").
		lacks(t, "Add a schedule", `action="/oncall"`)
	admin.get("/oncall").want(t, http.StatusOK).has(t, "No schedules yet: add one with the form below", `action="/oncall"`, `<label for="sch-tz">`)

	good := url.Values{"name": {"primary"}, "timezone": {"America/Denver"}, "shift": {"168h"}, "handoff": {"2026-11-16T09:00"}, "members": {"alice"}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for key, vs := range good {
			f[key] = vs
		}
		f.Set(k, v)
		return f
	}
	before := h.rows()
	viewer.post("/oncall", good).want(t, http.StatusForbidden).has(t, "Nothing was changed")
	h.unchanged(before, "a viewer's forged post")
	for _, tc := range []struct {
		name, field, value, input, msg string
		status                         int
	}{
		{"bad zone", "timezone", "Mars/Olympus", "sch-tz", `Unknown time zone &#34;Mars/Olympus&#34;`, http.StatusBadRequest},
		{"bad shift", "shift", "a week", "sch-shift", `Shift &#34;a week&#34; is not a duration such as 24h, 168h or 12h`, http.StatusBadRequest},
		{"bad handoff", "handoff", "", "sch-handoff", "Handoff: civil time", http.StatusBadRequest},
		{"bad name", "name", "Primary!", "sch-name", "Schedule name &#34;Primary!&#34;", http.StatusBadRequest},
		{"unknown member", "members", "alice,zed", "sch-members", "No engineer &#34;zed&#34;", http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := admin.post("/oncall", with(tc.field, tc.value)).want(t, tc.status)
			ocNear(t, p, tc.input, tc.msg)
			h.unchanged(before, tc.name)
		})
	}
	admin.post("/oncall", good).want(t, http.StatusSeeOther)
	ocAudit(t, h, "schedule.add", "user:admin@example.com")
	before = h.rows()
	p := admin.post("/oncall", good).want(t, http.StatusConflict)
	ocNear(t, p, "sch-name", "Schedule primary already exists")
	h.unchanged(before, "a duplicate schedule")
	admin.get("/oncall?done=schedule-added").want(t, http.StatusOK).has(t, "Schedule added.", `href="/oncall/primary"`)
	viewer.get("/oncall/primary").want(t, http.StatusOK).has(t, "No overrides to come.").lacks(t, "Add an override", "/overrides")
	viewer.get("/oncall/nope").want(t, http.StatusNotFound).has(t, "No schedule &#34;nope&#34;")
}

func TestOverrideForms(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	ocDenver(t, h)
	ctx := context.Background()
	if _, err := h.srv.OnCall.AddSchedule(ctx, "setup", oncall.NewSchedule{Name: "west", Timezone: "America/Los_Angeles",
		Shift: 24 * time.Hour, Handoff: oncall.Civil{Year: 2027, Month: 3, Day: 1, Hour: 9}, Members: []string{"bob"}}); err != nil {
		t.Fatal(err)
	}
	west, err := h.srv.OnCall.AddOverride(ctx, "setup", oncall.NewOverride{Schedule: "west", Engineer: "bob", From: "2027-03-12T09:00", To: "2027-03-12T17:00"})
	if err != nil {
		t.Fatal(err)
	}
	admin, alice, viewer := h.signedIn("admin@example.com"), h.signedIn("alice@example.com"), h.signedIn("viewer@example.com")
	saturday := url.Values{"engineer": {"alice"}, "from": {"2027-03-20T09:00"}, "to": {"2027-03-21T09:00"}}

	t.Run("viewer sees no buttons and is refused", func(t *testing.T) {
		viewer.get("/oncall/west").want(t, http.StatusOK).has(t, "#"+fmt.Sprint(west.ID)).
			lacks(t, "Add an override", "/remove", `name="engineer"`)
		before := h.rows()
		viewer.post("/oncall/denver/overrides", saturday).want(t, http.StatusForbidden).has(t, "Nothing was changed")
		viewer.post(fmt.Sprintf("/overrides/%d/remove", west.ID), nil).want(t, http.StatusForbidden)
		h.unchanged(before, "a viewer's forged posts")
	})

	t.Run("engineer not a member", func(t *testing.T) {
		alice.get("/oncall/west").want(t, http.StatusOK).lacks(t, "Add an override", "/remove")
		before := h.rows()
		alice.post("/oncall/west/overrides", saturday).want(t, http.StatusForbidden).
			has(t, "User alice@example.com may change only the overrides of schedules engineer &#34;alice&#34; is a member of, and west is not one")
		alice.post(fmt.Sprintf("/overrides/%d/remove", west.ID), nil).want(t, http.StatusForbidden)
		h.unchanged(before, "an engineer's post for another schedule")
	})

	t.Run("engineer picks only themself", func(t *testing.T) {
		p := alice.get("/oncall/denver").want(t, http.StatusOK).has(t, "Add an override", `<option value="alice"`,
			`<label for="ov-from">From (wall-clock time in America/Denver)</label>`)
		if strings.Contains(p.Body, `<option value="bob"`) {
			t.Error("an engineer may pick another engineer")
		}
		admin.get("/oncall/denver").want(t, http.StatusOK).has(t, `<option value="bob"`, `<option value="alice"`)
	})

	t.Run("bad input", func(t *testing.T) {
		before := h.rows()
		for _, tc := range []struct {
			name, engineer, from, to, input, msg string
			status                               int
		}{
			{"no engineer", "", "2027-03-20T09:00", "2027-03-21T09:00", "ov-engineer", "Engineer is required", http.StatusBadRequest},
			{"no from", "alice", "", "2027-03-21T09:00", "ov-from", "From is required", http.StatusBadRequest},
			{"no to", "alice", "2027-03-20T09:00", " ", "ov-to", "To is required", http.StatusBadRequest},
			{"bad from", "alice", "Saturday", "2027-03-21T09:00", "ov-from", "From: &#34;Saturday&#34; is neither an RFC 3339 instant", http.StatusBadRequest},
			{"bad to", "alice", "2027-03-20T09:00", "2027-03-21T25:00", "ov-to", "To: &#34;2027-03-21T25:00&#34; is neither", http.StatusBadRequest},
			{"to before from", "alice", "2027-03-21T09:00", "2027-03-20T09:00", "ov-to", "The override must end after it starts", http.StatusBadRequest},
			{"in the past", "alice", "2027-03-01T09:00", "2027-03-02T09:00", "ov-to", "which is already past", http.StatusBadRequest},
			{"unknown engineer", "zed", "2027-03-20T09:00", "2027-03-21T09:00", "ov-engineer", "No engineer &#34;zed&#34;", http.StatusNotFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := admin.post("/oncall/denver/overrides", url.Values{"engineer": {tc.engineer}, "from": {tc.from}, "to": {tc.to}}).want(t, tc.status)
				ocNear(t, p, tc.input, tc.msg)
				p.has(t, "The next four weeks") // the page again, with the form filled
				if tc.from != "" {
					p.has(t, `value="`+tc.from+`"`)
				}
			})
		}
		admin.post("/oncall/nope/overrides", saturday).want(t, http.StatusNotFound).has(t, "No schedule &#34;nope&#34;")
		alice.post("/oncall/nope/overrides", saturday).want(t, http.StatusNotFound)
		admin.post("/overrides/999/remove", nil).want(t, http.StatusNotFound).has(t, "No override #999")
		admin.post("/overrides/abc/remove", nil).want(t, http.StatusNotFound)
		h.unchanged(before, "refused override forms")
	})

	t.Run("engineer adds and removes their own", func(t *testing.T) {
		r := alice.post("/oncall/denver/overrides", saturday).want(t, http.StatusSeeOther)
		os, err := h.srv.OnCall.Overrides(ctx, "denver", time.Time{})
		if err != nil || len(os) != 1 || os[0].CreatedBy != "user:alice@example.com" {
			t.Fatalf("overrides %+v, %v", os, err)
		}
		ocAudit(t, h, "override.add", "user:alice@example.com")
		p := alice.get(r.location()).want(t, http.StatusOK).has(t, fmt.Sprintf("Remove override #%d", os[0].ID))
		if !strings.Contains(ocCell(t, p, "2027-03-20"), fmt.Sprintf("override #%d", os[0].ID)) {
			t.Error("the override is not in the calendar")
		}
		r = alice.post(fmt.Sprintf("/overrides/%d/remove", os[0].ID), nil).want(t, http.StatusSeeOther)
		if r.location() != "/oncall/denver?done=override-removed" {
			t.Errorf("after removing: %q", r.location())
		}
		ocAudit(t, h, "override.remove", "user:alice@example.com")
	})

	t.Run("a past start starts now", func(t *testing.T) {
		r := admin.post("/oncall/denver/overrides", url.Values{"engineer": {"bob"}, "from": {"2027-03-09T09:00"}, "to": {"2027-03-11T09:00"}}).
			want(t, http.StatusSeeOther)
		admin.get(r.location()).want(t, http.StatusOK).has(t, "The start asked for was already past, so it starts now.")
	})

	t.Run("admin removes any", func(t *testing.T) {
		admin.post(fmt.Sprintf("/overrides/%d/remove", west.ID), nil).want(t, http.StatusSeeOther)
		ocAudit(t, h, "override.remove", "user:admin@example.com")
		admin.get("/oncall/west").want(t, http.StatusOK).has(t, "No overrides to come. Add one with the form below")
	})
}

func TestEngineersPage(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	admin, alice, viewer := h.signedIn("admin@example.com"), h.signedIn("alice@example.com"), h.signedIn("viewer@example.com")
	bob := url.Values{"handle": {"bob"}, "name": {"Bob Smith"}, "phone": {"+1 720 555 0112"}, "email": {""}, "sms": {"off"}}

	viewer.get("/engineers").want(t, http.StatusOK).has(t, "alice", "&#43;17205550111").
		lacks(t, "Add an engineer", "Remove alice", "Change alice", `method="post" action="/engineers`)
	before := h.rows()
	viewer.post("/engineers", bob).want(t, http.StatusForbidden)
	alice.post("/engineers", bob).want(t, http.StatusForbidden)
	viewer.post("/engineers/alice", url.Values{"name": {"X"}, "phone": {"+17205550111"}, "sms": {"on"}}).want(t, http.StatusForbidden)
	viewer.post("/engineers/alice/remove", nil).want(t, http.StatusForbidden)
	h.unchanged(before, "forged engineer posts")

	t.Run("add", func(t *testing.T) {
		with := func(k, v string) url.Values {
			f := url.Values{}
			for key, vs := range bob {
				f[key] = vs
			}
			f.Set(k, v)
			return f
		}
		before := h.rows()
		for _, tc := range []struct {
			name, field, value, input, msg string
			status                         int
		}{
			{"bad handle", "handle", "Bob!", "eng-handle", "Handle &#34;Bob!&#34;: use 1 to 40 lowercase letters", http.StatusBadRequest},
			{"no name", "name", " ", "eng-name", "Engineer name is required", http.StatusBadRequest},
			{"bad phone", "phone", "720", "eng-phone", "Phone number &#34;720&#34;", http.StatusBadRequest},
			{"bad email", "email", "bob at example", "eng-email", "is not an email address", http.StatusBadRequest},
			{"bad sms", "sms", "maybe", "eng-sms", "SMS takes on or off, not &#34;maybe&#34;", http.StatusBadRequest},
			{"taken", "handle", "alice", "eng-handle", "Engineer alice already exists", http.StatusConflict},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := admin.post("/engineers", with(tc.field, tc.value)).want(t, tc.status)
				ocNear(t, p, tc.input, tc.msg)
			})
		}
		h.unchanged(before, "refused engineer adds")
		r := admin.post("/engineers", bob).want(t, http.StatusSeeOther)
		admin.get(r.location()).want(t, http.StatusOK).has(t, "Engineer added.", "Bob Smith", "&#43;17205550112", `id="engineer-bob"`)
		e, err := h.srv.OnCall.Engineer(context.Background(), "bob")
		if err != nil || e.SMS {
			t.Errorf("bob %+v, %v", e, err)
		}
		ocAudit(t, h, "engineer.add", "user:admin@example.com")
	})

	t.Run("change", func(t *testing.T) {
		before := h.rows()
		p := admin.post("/engineers/bob", url.Values{"name": {"Robert Smith"}, "phone": {"12"}, "email": {""}, "sms": {"on"}}).want(t, http.StatusBadRequest)
		ocNear(t, p, "phone-bob", "Phone number &#34;12&#34;")
		p.has(t, `value="Robert Smith"`)
		if strings.Contains(p.Body, `id="eng-phone" name="phone" value="12"`) {
			t.Error("the error fills the add form")
		}
		admin.post("/engineers/zed", url.Values{"name": {"Z"}, "phone": {"+17205550119"}, "sms": {"on"}}).want(t, http.StatusNotFound).has(t, "No engineer &#34;zed&#34;")
		h.unchanged(before, "refused engineer changes")

		r := admin.post("/engineers/bob", url.Values{"name": {"Robert Smith"}, "phone": {"+17205550112"}, "email": {"bob@example.com"}, "sms": {"on"}}).
			want(t, http.StatusSeeOther)
		if r.location() != "/engineers?done=engineer-changed" {
			t.Errorf("after a change: %q", r.location())
		}
		e, _ := h.srv.OnCall.Engineer(context.Background(), "bob")
		if e.Name != "Robert Smith" || e.Email != "bob@example.com" || !e.SMS {
			t.Errorf("bob %+v", e)
		}
		ocAudit(t, h, "engineer.set", "user:admin@example.com")
		before = h.rows()
		r = admin.post("/engineers/bob", url.Values{"name": {"Robert Smith"}, "phone": {"+17205550112"}, "email": {"bob@example.com"}, "sms": {"on"}}).
			want(t, http.StatusSeeOther)
		admin.get(r.location()).want(t, http.StatusOK).has(t, "Nothing changed: the engineer already had those values.")
		h.unchanged(before, "a change to the same values")
	})

	t.Run("remove", func(t *testing.T) {
		if _, err := h.srv.OnCall.AddSchedule(context.Background(), "setup", oncall.NewSchedule{Name: "primary", Timezone: "UTC",
			Shift: 24 * time.Hour, Handoff: oncall.Civil{Year: 2026, Month: 11, Day: 16, Hour: 9}, Members: []string{"alice"}}); err != nil {
			t.Fatal(err)
		}
		before := h.rows()
		admin.post("/engineers/alice/remove", nil).want(t, http.StatusConflict).
			has(t, "Engineer alice is a member of schedule(s) primary; take them out of the rotation first")
		admin.post("/engineers/zed/remove", nil).want(t, http.StatusNotFound)
		h.unchanged(before, "refused removals")
		admin.post("/engineers/bob/remove", nil).want(t, http.StatusSeeOther)
		ocAudit(t, h, "engineer.remove", "user:admin@example.com")
		admin.get("/engineers?done=engineer-removed").want(t, http.StatusOK).has(t, "Engineer removed.").lacks(t, `id="engineer-bob"`)
	})
}
