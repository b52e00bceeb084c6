package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"supportline/auth"
	"supportline/errcode"
	"supportline/oncall"
)

// The inputs and outputs of the engineer, schedule, override and on-call
// operations. The domain's schedule and override types write their own
// JSON (the zone by name, the shift as typed), which huma cannot see
// through; the API answers with the same JSON, described by the mirror
// types below (scheduleOut, overrideOut), filled by reshape.
type (
	handlePath struct {
		Handle string `path:"handle" doc:"The engineer's handle." example:"alice"`
	}
	schedulePath struct {
		Name string `path:"name" doc:"The schedule's name." example:"primary"`
	}

	engineerBody struct{ Body oncall.Engineer }
	engineerList struct {
		Body struct {
			Engineers []oncall.Engineer `json:"engineers"`
		}
	}
	newEngineer struct {
		Body struct {
			Handle string `json:"handle" doc:"Short unique name used in schedules." example:"bob"`
			Name   string `json:"name" example:"Bob Smith"`
			Phone  string `json:"phone" doc:"E.164; separators are accepted and removed." example:"+17205550112"`
			Email  string `json:"email,omitempty" example:"bob@example.com"`
			SMS    *bool  `json:"sms,omitempty" doc:"Whether the engineer takes text messages; true when left out."`
		}
	}
	engineerChange struct {
		Handle string `path:"handle" doc:"The engineer's handle." example:"alice"`
		Body   struct {
			Name  *string `json:"name,omitempty" doc:"The new name."`
			Phone *string `json:"phone,omitempty" doc:"The new phone, E.164."`
			Email *string `json:"email,omitempty" doc:"The new email; an empty string removes it."`
			SMS   *bool   `json:"sms,omitempty" doc:"Whether the engineer takes text messages."`
		}
	}
	engineerChanged struct {
		Body struct {
			Engineer oncall.Engineer `json:"engineer"`
			// Changes is empty when every field given had its value already:
			// nothing was written or audited.
			Changes []oncall.FieldChange `json:"changes" doc:"What changed, old and new; empty when nothing did."`
		}
	}

	// scheduleOut is oncall.StoredSchedule's JSON.
	scheduleOut struct {
		Name         string    `json:"name" example:"primary"`
		Timezone     string    `json:"timezone" doc:"The IANA zone of the handoff; empty when the host cannot read it." example:"America/Denver"`
		Shift        string    `json:"shift" doc:"The length of one turn, as typed." example:"168h"`
		ShiftMinutes int64     `json:"shift_minutes" example:"10080"`
		Handoff      string    `json:"handoff" doc:"The wall-clock start of the first shift in the zone." example:"2026-11-16T09:00"`
		Members      []string  `json:"members" doc:"Engineer handles in rotation order; empty when only overrides staff it."`
		CreatedAt    time.Time `json:"created_at"`
		UpdatedAt    time.Time `json:"updated_at"`
	}
	scheduleBody struct{ Body scheduleOut }
	scheduleList struct {
		Body struct {
			Schedules []scheduleOut `json:"schedules"`
		}
	}
	newSchedule struct {
		Body struct {
			Name     string   `json:"name" doc:"Lowercase letters, digits, - and _, starting with a letter." example:"primary"`
			Timezone string   `json:"timezone" doc:"IANA time zone of the handoff." example:"America/Denver"`
			Shift    string   `json:"shift" doc:"Length of one turn in whole minutes." example:"168h"`
			Handoff  string   `json:"handoff" doc:"Wall-clock start of the first shift in the zone, YYYY-MM-DDTHH:MM." example:"2026-11-16T09:00"`
			Members  []string `json:"members,omitempty" doc:"Engineer handles in rotation order; repeats allowed."`
		}
	}
	scheduleMembers struct {
		Name string `path:"name" doc:"The schedule's name." example:"primary"`
		Body struct {
			Members []string `json:"members" doc:"The new rotation order; [] leaves only overrides."`
		}
	}
	scheduleRemoval struct {
		Name  string `path:"name" doc:"The schedule's name." example:"primary"`
		Force bool   `query:"force" doc:"Remove it even if an escalation policy names it (live calls then skip that step)."`
	}
	shiftsQuery struct {
		Name string `path:"name" doc:"The schedule's name." example:"primary"`
		From string `query:"from" doc:"List from this RFC 3339 instant; now when left out." example:"2026-11-21T03:00:00-07:00"`
		To   string `query:"to" doc:"List the shifts that start before this RFC 3339 instant (at most 1000); not with n." example:"2026-12-01T00:00:00Z"`
		N    string `query:"n" doc:"How many shifts to list, 1 to 1000; 5 when neither n nor to is given." example:"5"`
	}
	shiftsBody struct {
		Body struct {
			Schedule scheduleOut       `json:"schedule"`
			Shifts   []oncall.Coverage `json:"shifts" doc:"The shift in force at from first, overrides applied."`
		}
	}

	// overrideOut is oncall.StoredOverride's JSON.
	overrideOut struct {
		ID         int64      `json:"id" example:"7"`
		Schedule   string     `json:"schedule" example:"primary"`
		Engineer   string     `json:"engineer" example:"alice"`
		From       time.Time  `json:"from"`
		To         time.Time  `json:"to"`
		CreatedAt  time.Time  `json:"created_at"`
		CreatedBy  string     `json:"created_by" example:"token:crm"`
		StartedNow bool       `json:"started_now,omitempty" doc:"The start asked for was already past: the override starts when it was added."`
		AskedFrom  *time.Time `json:"asked_from,omitempty" doc:"The start asked for, when started_now."`
	}
	overrideBody struct{ Body overrideOut }
	overrideList struct {
		Body struct {
			Overrides []overrideOut `json:"overrides"`
		}
	}
	overridesQuery struct {
		Schedule string `query:"schedule" doc:"Only this schedule's overrides." example:"primary"`
		All      bool   `query:"all" doc:"Include overrides that have ended."`
	}
	newOverride struct {
		Body struct {
			Schedule string `json:"schedule" example:"primary"`
			Engineer string `json:"engineer" doc:"The handle of the engineer on call." example:"alice"`
			From     string `json:"from" doc:"RFC 3339, or YYYY-MM-DDTHH:MM in the schedule's zone; a past start starts now." example:"2026-11-21T09:00:00-07:00"`
			To       string `json:"to" doc:"The end (exclusive), same forms as from; not in the past." example:"2026-11-22T09:00"`
		}
	}
	overridePath struct {
		ID int64 `path:"id" doc:"The override's ID." example:"7"`
	}

	onCallQuery struct {
		At string `query:"at" doc:"The instant to ask about, RFC 3339; now when left out." example:"2026-11-21T03:00:00-07:00"`
	}
	onCallBody struct {
		Body struct {
			At     time.Time         `json:"at"`
			OnCall []oncall.Coverage `json:"oncall" doc:"Every schedule by name: who is on call, since and until when, or why nobody is."`
		}
	}
)

// maxShifts bounds one shifts answer, as the CLI's --next does.
const maxShifts = 1000

// registerOnCall adds the engineer, schedule, override and on-call
// operations, and the route and SLA questions that read them with the
// policy file (route.go).
func (s *Server) registerOnCall() {
	s.registerEngineers()
	s.registerSchedules()
	s.registerOverrides()
	s.registerRoute()
	register(s, huma.Operation{OperationID: "get-oncall", Method: http.MethodGet, Path: "/oncall",
		Summary: "Who is on call", Description: "In every schedule, at an instant (now by default), overrides applied.", Tags: []string{"schedules"}},
		auth.Read, func(ctx context.Context, _ auth.Principal, in *onCallQuery) (*onCallBody, error) {
			at, err := s.instant("at", in.At)
			if err != nil {
				return nil, err
			}
			cs, err := s.OnCall.OnCall(ctx, at)
			if err != nil {
				return nil, err
			}
			out := &onCallBody{}
			out.Body.At, out.Body.OnCall = at, nonNil(cs)
			return out, nil
		})
}

func (s *Server) registerEngineers() {
	tags := []string{"engineers"}
	register(s, huma.Operation{OperationID: "list-engineers", Method: http.MethodGet, Path: "/engineers",
		Summary: "List engineers", Description: "With the schedules each is a member of, by handle.", Tags: tags},
		auth.Read, func(ctx context.Context, _ auth.Principal, _ *struct{}) (*engineerList, error) {
			es, err := s.OnCall.Engineers(ctx)
			if err != nil {
				return nil, err
			}
			out := &engineerList{}
			out.Body.Engineers = nonNil(es)
			for i := range out.Body.Engineers {
				out.Body.Engineers[i] = engineerOut(out.Body.Engineers[i])
			}
			return out, nil
		})
	register(s, huma.Operation{OperationID: "get-engineer", Method: http.MethodGet, Path: "/engineers/{handle}",
		Summary: "Get an engineer", Description: "The engineer by handle.", Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.Read, func(ctx context.Context, _ auth.Principal, in *handlePath) (*engineerBody, error) {
			e, err := s.OnCall.Engineer(ctx, in.Handle)
			if err != nil {
				return nil, err
			}
			return &engineerBody{Body: engineerOut(e)}, nil
		})
	register(s, huma.Operation{OperationID: "add-engineer", Method: http.MethodPost, Path: "/engineers", DefaultStatus: http.StatusCreated,
		Summary: "Add an engineer", Description: "Refused (409) when the handle is taken.", Tags: tags, Errors: []int{http.StatusConflict}},
		auth.AdminWork, func(ctx context.Context, p auth.Principal, in *newEngineer) (*engineerBody, error) {
			b := in.Body
			e, err := s.OnCall.AddEngineer(ctx, p.Actor(), oncall.NewEngineer{Handle: b.Handle, Name: b.Name, Phone: b.Phone,
				Email: b.Email, NoSMS: b.SMS != nil && !*b.SMS})
			if err != nil {
				return nil, err
			}
			return &engineerBody{Body: engineerOut(e)}, nil
		})
	register(s, huma.Operation{OperationID: "change-engineer", Method: http.MethodPatch, Path: "/engineers/{handle}",
		Summary: "Change an engineer's name, phone, email or SMS setting", Description: "Only the fields given, at least one.",
		Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.AdminWork, func(ctx context.Context, p auth.Principal, in *engineerChange) (*engineerChanged, error) {
			b := in.Body
			e, changes, err := s.OnCall.SetEngineer(ctx, p.Actor(), in.Handle,
				oncall.EngineerChange{Name: b.Name, Phone: b.Phone, Email: b.Email, SMS: b.SMS})
			if err != nil {
				return nil, err
			}
			out := &engineerChanged{}
			out.Body.Engineer, out.Body.Changes = engineerOut(e), nonNil(changes)
			return out, nil
		})
	register(s, huma.Operation{OperationID: "remove-engineer", Method: http.MethodDelete, Path: "/engineers/{handle}",
		Summary: "Remove an engineer", Description: "Refused (409) while they are a member of a schedule or cover an override that has not ended.",
		Tags: tags, Errors: []int{http.StatusNotFound, http.StatusConflict}},
		auth.AdminWork, func(ctx context.Context, p auth.Principal, in *handlePath) (*engineerBody, error) {
			e, err := s.OnCall.RemoveEngineer(ctx, p.Actor(), in.Handle)
			if err != nil {
				return nil, err
			}
			return &engineerBody{Body: engineerOut(e)}, nil
		})
}

// engineerOut makes no schedules [] rather than null, as the schema says.
func engineerOut(e oncall.Engineer) oncall.Engineer {
	e.Schedules = nonNil(e.Schedules)
	return e
}

func (s *Server) registerSchedules() {
	tags := []string{"schedules"}
	register(s, huma.Operation{OperationID: "list-schedules", Method: http.MethodGet, Path: "/schedules",
		Summary: "List schedules", Description: "Every rotation with its members, by name.", Tags: tags},
		auth.Read, func(ctx context.Context, _ auth.Principal, _ *struct{}) (*scheduleList, error) {
			ss, err := s.OnCall.Schedules(ctx)
			if err != nil {
				return nil, err
			}
			out := &scheduleList{}
			out.Body.Schedules = make([]scheduleOut, len(ss))
			for i, sch := range ss {
				if out.Body.Schedules[i], err = reshape[scheduleOut](sch); err != nil {
					return nil, err
				}
			}
			return out, nil
		})
	register(s, huma.Operation{OperationID: "get-schedule", Method: http.MethodGet, Path: "/schedules/{name}",
		Summary: "Get a schedule", Description: "The schedule with its members in rotation order.", Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.Read, func(ctx context.Context, _ auth.Principal, in *schedulePath) (*scheduleBody, error) {
			return scheduleAnswer(s.OnCall.Schedule(ctx, in.Name))
		})
	register(s, huma.Operation{OperationID: "add-schedule", Method: http.MethodPost, Path: "/schedules", DefaultStatus: http.StatusCreated,
		Summary: "Add a rotation", Description: "Refused (404) when a member is not an engineer, (409) when the name is taken.",
		Tags: tags, Errors: []int{http.StatusNotFound, http.StatusConflict}},
		auth.AdminWork, func(ctx context.Context, p auth.Principal, in *newSchedule) (*scheduleBody, error) {
			b := in.Body
			d, err := time.ParseDuration(strings.TrimSpace(b.Shift))
			if err != nil {
				return nil, errcode.WithField(errcode.Errorf(errcode.Invalid, "shift %q is not a duration such as 24h, 168h or 12h", b.Shift), "shift")
			}
			h, err := oncall.ParseCivil(b.Handoff)
			if err != nil {
				return nil, errcode.WithField(errcode.Errorf(errcode.Invalid, "handoff: %v", err), "handoff")
			}
			return scheduleAnswer(s.OnCall.AddSchedule(ctx, p.Actor(), oncall.NewSchedule{
				Name: b.Name, Timezone: b.Timezone, Shift: d, Handoff: h, Members: b.Members}))
		})
	register(s, huma.Operation{OperationID: "set-schedule-members", Method: http.MethodPut, Path: "/schedules/{name}/members",
		Summary: "Replace a schedule's members", Description: "The new rotation order; unknown handles are 404, all named at once.",
		Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.AdminWork, func(ctx context.Context, p auth.Principal, in *scheduleMembers) (*scheduleBody, error) {
			return scheduleAnswer(s.OnCall.SetMembers(ctx, p.Actor(), in.Name, in.Body.Members))
		})
	register(s, huma.Operation{OperationID: "remove-schedule", Method: http.MethodDelete, Path: "/schedules/{name}",
		Summary: "Remove a schedule with its overrides",
		Description: "Refused (409) when an escalation policy of the policy file names it, unless force=true. " +
			"The conflict's detail is the CLI's and says --force: over the API, that is ?force=true.",
		Tags: tags, Errors: []int{http.StatusNotFound, http.StatusConflict}},
		auth.AdminWork, func(ctx context.Context, p auth.Principal, in *scheduleRemoval) (*scheduleBody, error) {
			sch, err := s.OnCall.RemoveSchedule(ctx, p.Actor(), in.Name, in.Force)
			if errcode.Is(err, errcode.Conflict) { // the only conflict: a policy names it
				err = errcode.Errorf(errcode.Conflict, "%s (?force=true)", errcode.Message(err))
			}
			return scheduleAnswer(sch, err)
		})
	register(s, huma.Operation{OperationID: "list-shifts", Method: http.MethodGet, Path: "/schedules/{name}/shifts",
		Summary: "A schedule's shifts", Description: "From an instant on, overrides applied, the shift in force at from first: " +
			"the next n, or those that start before to.",
		Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.Read, s.shifts)
}

// shifts answers list-shifts: Upcoming for n, or for the shifts of
// [from, to), which it cuts from Upcoming's first maxShifts+1.
func (s *Server) shifts(ctx context.Context, _ auth.Principal, in *shiftsQuery) (*shiftsBody, error) {
	from, err := s.instant("from", in.From)
	if err != nil {
		return nil, err
	}
	n, to := 5, time.Time{}
	switch {
	case in.N != "" && in.To != "":
		return nil, errcode.New(errcode.Invalid, "give n or to, not both")
	case in.N != "":
		if n, err = strconv.Atoi(in.N); err != nil || n < 1 || n > maxShifts {
			return nil, errcode.WithField(errcode.Errorf(errcode.Invalid, "n %q must be a number from 1 to %d", in.N, maxShifts), "n")
		}
	case in.To != "":
		if to, err = s.instant("to", in.To); err != nil {
			return nil, err
		}
		if !to.After(from) {
			return nil, errcode.WithField(errcode.Errorf(errcode.Invalid, "to %s must be after from %s", to.Format(time.RFC3339), from.Format(time.RFC3339)), "to")
		}
		n = maxShifts + 1
	}
	sch, shifts, err := s.OnCall.Upcoming(ctx, in.Name, from, n)
	if err != nil {
		return nil, err
	}
	if !to.IsZero() {
		kept := shifts[:0]
		for _, c := range shifts {
			if c.Since.Before(to) {
				kept = append(kept, c)
			}
		}
		if len(kept) > maxShifts {
			return nil, errcode.WithField(errcode.Errorf(errcode.Invalid, "more than %d shifts start between from and to; ask for a shorter window", maxShifts), "to")
		}
		shifts = kept
	}
	out := &shiftsBody{}
	if out.Body.Schedule, err = reshape[scheduleOut](sch); err != nil {
		return nil, err
	}
	out.Body.Shifts = nonNil(shifts)
	return out, nil
}

func scheduleAnswer(sch oncall.StoredSchedule, err error) (*scheduleBody, error) {
	if err != nil {
		return nil, err
	}
	out, err := reshape[scheduleOut](sch)
	if err != nil {
		return nil, err
	}
	return &scheduleBody{Body: out}, nil
}

func (s *Server) registerOverrides() {
	tags := []string{"overrides"}
	register(s, huma.Operation{OperationID: "list-overrides", Method: http.MethodGet, Path: "/overrides",
		Summary: "List overrides", Description: "Those that have not ended (all=true: also past ones), by start.",
		Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.Read, func(ctx context.Context, _ auth.Principal, in *overridesQuery) (*overrideList, error) {
			after := s.now()
			if in.All {
				after = time.Time{}
			}
			os, err := s.OnCall.Overrides(ctx, in.Schedule, after)
			if err != nil {
				return nil, err
			}
			out := &overrideList{}
			out.Body.Overrides = make([]overrideOut, len(os))
			for i, o := range os {
				if out.Body.Overrides[i], err = reshape[overrideOut](o); err != nil {
					return nil, err
				}
			}
			return out, nil
		})
	register(s, huma.Operation{OperationID: "add-override", Method: http.MethodPost, Path: "/overrides", DefaultStatus: http.StatusCreated,
		Summary: "Put an engineer on call in place of the rotation",
		Description: "Where overrides overlap, the newest wins. An override cannot end in the past; one whose start is past starts now, and says so. " +
			"An engineer token may override only the schedules its engineer is a member of.",
		Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.OverrideOwn, func(ctx context.Context, p auth.Principal, in *newOverride) (*overrideBody, error) {
			b := in.Body
			if err := p.CheckOverride(ctx, s.OnCall, b.Schedule); err != nil {
				return nil, err
			}
			o, err := s.OnCall.AddOverride(ctx, p.Actor(), oncall.NewOverride{Schedule: b.Schedule, Engineer: b.Engineer, From: b.From, To: b.To})
			if err != nil {
				return nil, err
			}
			return overrideAnswer(o)
		})
	register(s, huma.Operation{OperationID: "remove-override", Method: http.MethodDelete, Path: "/overrides/{id}",
		Summary: "Remove an override", Description: "An engineer token may remove only overrides of the schedules its engineer is a member of.",
		Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.OverrideOwn, func(ctx context.Context, p auth.Principal, in *overridePath) (*overrideBody, error) {
			if !p.MayOverride(nil) { // not an admin: only an override of the engineer's own schedules
				if err := s.mayRemoveOverride(ctx, p, in.ID); err != nil {
					return nil, err
				}
			}
			o, err := s.OnCall.RemoveOverride(ctx, p.Actor(), in.ID)
			if err != nil {
				return nil, err
			}
			return overrideAnswer(o)
		})
}

// mayRemoveOverride is CheckOverride for the schedule of override id,
// which the domain does not look up on its own (an unknown id is 404, as
// RemoveOverride answers it).
func (s *Server) mayRemoveOverride(ctx context.Context, p auth.Principal, id int64) error {
	o, err := s.OnCall.Override(ctx, id)
	if err != nil {
		return err
	}
	return p.CheckOverride(ctx, s.OnCall, o.Schedule)
}

func overrideAnswer(o oncall.StoredOverride) (*overrideBody, error) {
	out, err := reshape[overrideOut](o)
	if err != nil {
		return nil, err
	}
	return &overrideBody{Body: out}, nil
}

// instant reads an RFC 3339 query parameter; empty is the store's now
// (Server.now).
func (s *Server) instant(name, v string) (time.Time, error) {
	if v == "" {
		return s.now(), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, errcode.WithField(errcode.Errorf(errcode.Invalid, "%s %q is not an RFC 3339 time such as 2026-11-21T03:00:00-07:00", name, v), name)
	}
	return t, nil
}

// reshape turns a domain value that writes its own JSON into the mirror
// type that documents that JSON, through the JSON itself, so that the API
// answers exactly what the CLI's --json prints.
func reshape[T any](v any) (T, error) {
	var out T
	raw, err := json.Marshal(v)
	if err != nil {
		return out, fmt.Errorf("reshape %T: %w", v, err)
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return out, fmt.Errorf("reshape %T into %T: %w", v, out, err)
	}
	return out, nil
}
