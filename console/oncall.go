package console

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"supportline/auth"
	"supportline/errcode"
	"supportline/oncall"
	"supportline/sla"
)

// The on-call pages: every schedule and who is on call now (/oncall), one
// schedule's next four weeks as a calendar with its overrides
// (/oncall/:schedule), and the engineers (/engineers). The rules (who may
// override which schedule, what an override may cover) are oncall's and
// auth's; these handlers read the form, call one method, and render.

var (
	doneScheduleAdded   = notice("schedule-added", "Schedule added.")
	doneOverrideAdded   = notice("override-added", "Override added: it shows in the calendar.")
	doneOverrideNow     = notice("override-added-now", "Override added. The start asked for was already past, so it starts now.")
	doneOverrideRemoved = notice("override-removed", "Override removed.")
	doneEngineerAdded   = notice("engineer-added", "Engineer added.")
	doneEngineerChanged = notice("engineer-changed", "Engineer changed.")
	doneEngineerSame    = notice("engineer-unchanged", "Nothing changed: the engineer already had those values.")
	doneEngineerRemoved = notice("engineer-removed", "Engineer removed.")
)

// calendarDays is how many local days the schedule page shows; its
// shifts are read with at most calendarShifts of them.
const (
	calendarDays   = 28
	calendarShifts = 1000
)

func (s *Server) registerOnCall(g *echo.Group) {
	g.GET("/oncall", s.signedIn(auth.Read, s.onCallPage))
	g.POST("/oncall", s.signedIn(auth.AdminWork, s.addSchedule))
	g.GET("/oncall/:schedule", s.signedIn(auth.Read, s.schedulePage))
	g.POST("/oncall/:schedule/overrides", s.signedIn(auth.OverrideOwn, s.addOverride))
	g.POST("/overrides/:id/remove", s.signedIn(auth.OverrideOwn, s.removeOverride))
	g.GET("/engineers", s.signedIn(auth.Read, s.engineersPage))
	g.POST("/engineers", s.signedIn(auth.AdminWork, s.addEngineer))
	g.POST("/engineers/:handle", s.signedIn(auth.AdminWork, s.changeEngineer))
	g.POST("/engineers/:handle/remove", s.signedIn(auth.AdminWork, s.removeEngineer))
	s.registerRoute(g)
}

// ocRefuse re-renders page, built by build only now that a form was
// refused, with err next to field (see formError).
func (s *Server) ocRefuse(c echo.Context, page string, build func() (view, error), field string, err error) error {
	if errcode.CodeOf(err) == errcode.Internal {
		return s.fail(c, err)
	}
	v, verr := build()
	if verr != nil {
		return s.fail(c, verr)
	}
	return s.formError(c, page, v, field, err)
}

// scheduleRow is a schedule with who covers it now.
type scheduleRow struct {
	oncall.StoredSchedule
	Zone    string
	Members string
	Shift   string
	Now     oncall.Coverage
}

type onCallData struct {
	Now       time.Time
	Schedules []scheduleRow
}

func (s *Server) onCallView(c echo.Context) (view, error) {
	now := s.now()
	ss, err := s.OnCall.Schedules(ctx(c))
	if err != nil {
		return view{}, err
	}
	cs, err := s.OnCall.OnCall(ctx(c), now)
	if err != nil {
		return view{}, err
	}
	byName := map[string]oncall.Coverage{}
	for _, cv := range cs {
		byName[cv.Schedule] = cv
	}
	d := onCallData{Now: now}
	for _, sch := range ss {
		d.Schedules = append(d.Schedules, scheduleRow{StoredSchedule: sch, Zone: zoneText(sch.Schedule),
			Members: membersText(sch.Members), Shift: sla.FormatDuration(sch.Shift), Now: byName[sch.Name]})
	}
	return view{Title: "On call", Nav: "oncall", Data: d}, nil
}

func (s *Server) onCallPage(c echo.Context, _ auth.User) error {
	v, err := s.onCallView(c)
	if err != nil {
		return s.fail(c, err)
	}
	return s.render(c, http.StatusOK, "oncall", v)
}

// addSchedule reads the form as `schedule add` reads its flags.
func (s *Server) addSchedule(c echo.Context, u auth.User) error {
	page := func() (view, error) { return s.onCallView(c) }
	shift, handoff := strings.TrimSpace(c.FormValue("shift")), strings.TrimSpace(c.FormValue("handoff"))
	d, err := time.ParseDuration(shift)
	if err != nil {
		return s.ocRefuse(c, "oncall", page, "shift", errcode.Errorf(errcode.Invalid, "shift %q is not a duration such as 24h, 168h or 12h", shift))
	}
	h, err := oncall.ParseCivil(handoff)
	if err != nil {
		return s.ocRefuse(c, "oncall", page, "handoff", errcode.Errorf(errcode.Invalid, "handoff: %v", err))
	}
	var members []string
	if m := strings.TrimSpace(c.FormValue("members")); m != "" {
		members = strings.Split(m, ",")
	}
	if _, err := s.OnCall.AddSchedule(ctx(c), u.Principal().Actor(), oncall.NewSchedule{
		Name: c.FormValue("name"), Timezone: c.FormValue("timezone"), Shift: d, Handoff: h, Members: members}); err != nil {
		return s.ocRefuse(c, "oncall", page, formField(err, "name", "timezone", "shift", "handoff", "members"), err)
	}
	return redirect(c, "/oncall", doneScheduleAdded)
}

// calShift is one shift in one day's cell of the calendar.
type calShift struct {
	Engineer, Name string
	// From and To are the shift's own wall-clock times in the zone; Span
	// names its days when it starts or ends on another day than the cell's.
	From, To, Span string
	Override       int64
}

// calDay is one local day of the calendar.
type calDay struct {
	// ID is the local date, 2006-01-02; Label how people read it.
	ID, Label string
	Today     bool
	// Change says the clocks change that day, and how long it is.
	Change string
	Shifts []calShift
}

// overrideRow is an override as the schedule page lists it, in its zone.
type overrideRow struct {
	oncall.StoredOverride
	From, To string
}

type scheduleData struct {
	Schedule oncall.StoredSchedule
	Zone     string
	Members  string
	Shift    string
	Days     []calDay
	// Truncated is set when more shifts than calendarShifts fall in the
	// four weeks: the calendar ends early and says so.
	Truncated bool
	Overrides []overrideRow
	// MayOverride is whether the user may add and remove overrides of
	// this schedule (the handler checks again); Engineers whom they may
	// put on call.
	MayOverride bool
	Engineers   []oncall.Engineer
}

// scheduleView builds the schedule page: 28 local days from today's
// local date in the schedule's zone, each day bounded by its own local
// midnights (23 or 25 hours on the days the clocks change), with every
// shift that touches it, overrides applied (OnCall.Upcoming).
func (s *Server) scheduleView(c echo.Context, u auth.User, name string) (view, error) {
	sch, err := s.OnCall.Schedule(ctx(c), name)
	if err != nil {
		return view{}, err
	}
	loc := sch.Location
	if loc == nil {
		loc = time.UTC
	}
	now := s.now().In(loc)
	y, m, d := now.Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, loc)
	_, shifts, err := s.OnCall.Upcoming(ctx(c), sch.Name, start, calendarShifts)
	if err != nil {
		return view{}, err
	}
	data := scheduleData{Schedule: sch, Zone: zoneText(sch.Schedule), Members: membersText(sch.Members), Shift: sla.FormatDuration(sch.Shift)}
	end := time.Date(y, m, d+calendarDays, 0, 0, 0, 0, loc)
	if len(shifts) == calendarShifts && shifts[len(shifts)-1].Until.Before(end) {
		data.Truncated = true
	}
	for i := range calendarDays {
		ds, de := time.Date(y, m, d+i, 0, 0, 0, 0, loc), time.Date(y, m, d+i+1, 0, 0, 0, 0, loc)
		day := calDay{ID: ds.Format("2006-01-02"), Label: ds.Format("Mon 2 Jan"), Today: i == 0}
		n1, o1 := ds.Zone()
		n2, o2 := de.Zone()
		if o1 != o2 {
			day.Change = fmt.Sprintf("Clocks change: %s to %s, a %s day", n1, n2, sla.FormatDuration(de.Sub(ds)))
		}
		for _, sh := range shifts {
			if !sh.Since.Before(de) || !sh.Until.After(ds) {
				continue
			}
			from, to := sh.Since.In(loc), sh.Until.In(loc)
			cs := calShift{Engineer: sh.Engineer, Name: sh.Name, From: from.Format("15:04"), To: to.Format("15:04"), Override: sh.Override}
			if from.Before(ds) || to.After(de) {
				cs.Span = from.Format("Mon 2 Jan") + " to " + to.Format("Mon 2 Jan")
			}
			day.Shifts = append(day.Shifts, cs)
		}
		data.Days = append(data.Days, day)
	}
	os, err := s.OnCall.Overrides(ctx(c), sch.Name, s.now())
	if err != nil {
		return view{}, err
	}
	for _, o := range os {
		data.Overrides = append(data.Overrides, overrideRow{StoredOverride: o,
			From: o.From.In(loc).Format("Mon 2006-01-02 15:04 MST"), To: o.To.In(loc).Format("Mon 2006-01-02 15:04 MST")})
	}
	p := u.Principal()
	if p.Allows(auth.OverrideOwn) && p.MayOverride(sch.Members) {
		data.MayOverride = true
		if p.Allows(auth.AdminWork) {
			if data.Engineers, err = s.OnCall.Engineers(ctx(c)); err != nil {
				return view{}, err
			}
		} else if p.Engineer != "" {
			e, err := s.OnCall.Engineer(ctx(c), p.Engineer)
			if err != nil {
				return view{}, err
			}
			data.Engineers = []oncall.Engineer{e}
		}
	}
	return view{Title: "Schedule " + sch.Name, Nav: "oncall", Data: data}, nil
}

func (s *Server) schedulePage(c echo.Context, u auth.User) error {
	v, err := s.scheduleView(c, u, c.Param("schedule"))
	if err != nil {
		return s.fail(c, err)
	}
	return s.render(c, http.StatusOK, "schedule", v)
}

// addOverride is "I'll take Saturday": from and to are wall-clock times
// of the form's datetime-local inputs, which the domain reads in the
// schedule's zone.
func (s *Server) addOverride(c echo.Context, u auth.User) error {
	name := c.Param("schedule")
	p := u.Principal()
	if err := p.CheckOverride(ctx(c), s.OnCall, name); err != nil {
		return s.fail(c, err)
	}
	page := func() (view, error) { return s.scheduleView(c, u, name) }
	in := oncall.NewOverride{Schedule: name, Engineer: strings.TrimSpace(c.FormValue("engineer")), From: c.FormValue("from"), To: c.FormValue("to")}
	switch {
	case in.Engineer == "":
		return s.ocRefuse(c, "schedule", page, "engineer", errcode.New(errcode.Invalid, "engineer is required: choose who is on call"))
	case strings.TrimSpace(in.From) == "":
		return s.ocRefuse(c, "schedule", page, "from", errcode.New(errcode.Invalid, "from is required: when the override starts"))
	case strings.TrimSpace(in.To) == "":
		return s.ocRefuse(c, "schedule", page, "to", errcode.New(errcode.Invalid, "to is required: when the override ends"))
	}
	o, err := s.OnCall.AddOverride(ctx(c), p.Actor(), in)
	if err != nil {
		if errcode.Is(err, errcode.NotFound) && errcode.FieldOf(err) != "engineer" {
			return s.fail(c, err) // the schedule went away
		}
		return s.ocRefuse(c, "schedule", page, formField(err, "engineer", "from", "to"), err)
	}
	done := doneOverrideAdded
	if o.StartedNow {
		done = doneOverrideNow
	}
	return redirect(c, "/oncall/"+o.Schedule, done)
}

// removeOverride applies auth's override check, as the API does, to the
// override's schedule before removing it. Only an engineer needs the
// schedule looked up: an admin may remove any override, and an unknown
// one is RemoveOverride's not-found.
func (s *Server) removeOverride(c echo.Context, u auth.User) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return s.fail(c, errcode.Errorf(errcode.NotFound, "no override #%s", c.Param("id")))
	}
	p := u.Principal()
	if !p.MayOverride(nil) {
		o, err := s.OnCall.Override(ctx(c), id)
		if err != nil {
			return s.fail(c, err)
		}
		if err := p.CheckOverride(ctx(c), s.OnCall, o.Schedule); err != nil {
			return s.fail(c, err)
		}
	}
	o, err := s.OnCall.RemoveOverride(ctx(c), p.Actor(), id)
	if err != nil {
		return s.fail(c, err)
	}
	return redirect(c, "/oncall/"+o.Schedule, doneOverrideRemoved)
}

type engineersData struct {
	Engineers []oncall.Engineer
	// Editing is the engineer whose change form was refused: it opens
	// with the errors next to its fields.
	Editing string
}

// engineersView is the engineers page; editing names the engineer whose
// change form was refused.
func (s *Server) engineersView(c echo.Context, editing string) (view, error) {
	es, err := s.OnCall.Engineers(ctx(c))
	if err != nil {
		return view{}, err
	}
	return view{Title: "Engineers", Nav: "oncall", Data: engineersData{Engineers: es, Editing: editing}}, nil
}

func (s *Server) engineersPage(c echo.Context, _ auth.User) error {
	v, err := s.engineersView(c, "")
	if err != nil {
		return s.fail(c, err)
	}
	return s.render(c, http.StatusOK, "engineers", v)
}

// smsValue reads the form's SMS setting as `engineer set --sms` does.
func smsValue(v string) (bool, error) {
	on, ok := map[string]bool{"on": true, "off": false}[strings.ToLower(strings.TrimSpace(v))]
	if !ok {
		return false, errcode.Errorf(errcode.Invalid, "SMS takes on or off, not %q", v)
	}
	return on, nil
}

func (s *Server) addEngineer(c echo.Context, u auth.User) error {
	page := func() (view, error) { return s.engineersView(c, "") }
	on, err := smsValue(c.FormValue("sms"))
	if err != nil {
		return s.ocRefuse(c, "engineers", page, "sms", err)
	}
	if _, err := s.OnCall.AddEngineer(ctx(c), u.Principal().Actor(), oncall.NewEngineer{Handle: c.FormValue("handle"),
		Name: c.FormValue("name"), Phone: c.FormValue("phone"), Email: c.FormValue("email"), NoSMS: !on}); err != nil {
		return s.ocRefuse(c, "engineers", page, formField(err, "handle", "name", "phone", "email"), err)
	}
	return redirect(c, "/engineers", doneEngineerAdded)
}

// changeEngineer sends every field of the change form; the domain
// changes those whose value differs (an empty e-mail removes it).
func (s *Server) changeEngineer(c echo.Context, u auth.User) error {
	handle := c.Param("handle")
	if _, err := s.OnCall.Engineer(ctx(c), handle); err != nil {
		return s.fail(c, err)
	}
	page := func() (view, error) { return s.engineersView(c, handle) }
	on, err := smsValue(c.FormValue("sms"))
	if err != nil {
		return s.ocRefuse(c, "engineers", page, "sms", err)
	}
	name, phone, email := c.FormValue("name"), c.FormValue("phone"), c.FormValue("email")
	_, changes, err := s.OnCall.SetEngineer(ctx(c), u.Principal().Actor(), handle,
		oncall.EngineerChange{Name: &name, Phone: &phone, Email: &email, SMS: &on})
	if err != nil {
		if errcode.Is(err, errcode.NotFound) {
			return s.fail(c, err)
		}
		// The change form has no handle: the engineer is its page's.
		return s.ocRefuse(c, "engineers", page, formField(err, "name", "phone", "email"), err)
	}
	if len(changes) == 0 {
		return redirect(c, "/engineers", doneEngineerSame)
	}
	return redirect(c, "/engineers", doneEngineerChanged)
}

func (s *Server) removeEngineer(c echo.Context, u auth.User) error {
	if _, err := s.OnCall.RemoveEngineer(ctx(c), u.Principal().Actor(), c.Param("handle")); err != nil {
		if errcode.Is(err, errcode.Conflict) {
			return s.ocRefuse(c, "engineers", func() (view, error) { return s.engineersView(c, "") }, "", err)
		}
		return s.fail(c, err)
	}
	return redirect(c, "/engineers", doneEngineerRemoved)
}

// membersText and zoneText say a schedule's members and zone as `schedule
// list` does.
func membersText(m []string) string {
	if len(m) == 0 {
		return "(none: only overrides)"
	}
	return strings.Join(m, ", ")
}

func zoneText(s oncall.Schedule) string {
	if s.Location == nil {
		return "(unknown zone)"
	}
	return s.Location.String()
}
