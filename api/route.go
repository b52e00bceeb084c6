package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"supportline/auth"
	policyfile "supportline/config"
	"supportline/errcode"
	"supportline/sla"
	"supportline/tickets"
)

// The route and SLA questions: what `supportline route explain`, `sla due`
// and `sla explain` answer, with the same JSON as their --json, plus the
// explanation in words where the CLI prints one.
type (
	routeQuery struct {
		Plan     string `query:"plan" doc:"A plan of the policy file (required)." example:"enterprise"`
		Priority string `query:"priority" doc:"A priority level (required)." example:"1"`
		At       string `query:"at" doc:"When the call comes in, RFC 3339; now when left out." example:"2026-11-21T03:00:00-07:00"`
	}
	// stepOut is routing.Step's JSON.
	stepOut struct {
		Handle     string `json:"handle" example:"alice"`
		Name       string `json:"name" example:"Alice"`
		Number     string `json:"number" doc:"The engineer's phone, E.164." example:"+17205550111"`
		Ring       string `json:"ring" doc:"How long to ring before the next step." example:"20s"`
		PolicyStep int    `json:"policy_step" doc:"The 1-based step of the escalation policy." example:"1"`
		Schedule   string `json:"schedule" example:"primary"`
		Override   int64  `json:"override,omitempty" doc:"The override that put the engineer on call; absent for the rotation."`
	}
	// routeOut is routing.Route's JSON and its explanation.
	routeOut struct {
		Kind         string    `json:"kind" enum:"refuse,live,voicemail"`
		Message      string    `json:"message" doc:"The decision in a few words; for refuse, the plan's message the caller hears."`
		Steps        []stepOut `json:"steps" doc:"The engineers to dial, in order (live only)."`
		Reasons      []string  `json:"reasons" doc:"Why, in order: the live calendar, then every escalation step dialled or skipped."`
		Plan         string    `json:"plan"`
		Priority     int       `json:"priority"`
		At           time.Time `json:"at"`
		Policy       string    `json:"policy,omitempty" doc:"The escalation policy of the plan priority."`
		LiveCalendar string    `json:"live_calendar,omitempty"`
		Due          time.Time `json:"due,omitzero" doc:"When the first response would be due for a ticket opened at at (not for refuse)."`
		Target       string    `json:"target,omitempty" example:"2h"`
		Clock        string    `json:"clock,omitempty" doc:"The calendar the SLA clock runs on."`
		PriorityName string    `json:"priority_name,omitempty" example:"Urgent"`
		PriorityWord string    `json:"priority_word,omitempty" example:"Priority"`
		// Explanation is what `supportline route explain` prints.
		Explanation string `json:"explanation" doc:"The decision and its reasons in words, one fact a line, as the CLI prints them."`
	}
	routeBody struct{ Body routeOut }

	slaQuery struct {
		Plan     string `query:"plan" doc:"A plan of the policy file (required)." example:"enterprise"`
		Priority string `query:"priority" doc:"A priority level (required)." example:"2"`
		Opened   string `query:"opened" doc:"When the clock started, RFC 3339 (required)." example:"2024-06-14T16:00:00-06:00"`
	}
	slaDueBody struct {
		Body struct {
			Due      string `json:"due" doc:"RFC 3339 in the calendar's zone." example:"2024-06-17T10:00:00-04:00"`
			Target   string `json:"target" example:"6h"`
			Calendar string `json:"calendar" example:"business"`
			Opened   string `json:"opened" example:"2024-06-14T16:00:00-06:00"`
		}
	}
	slaInterval struct {
		Start    string `json:"start"`
		End      string `json:"end"`
		Duration string `json:"duration" example:"1h"`
	}
	slaExplainBody struct {
		Body struct {
			Plan      string        `json:"plan"`
			Priority  int           `json:"priority"`
			Target    string        `json:"target" example:"6h"`
			Calendar  string        `json:"calendar" doc:"The calendar in words: zone, days, hours, holidays."`
			Opened    string        `json:"opened" doc:"RFC 3339 in the calendar's zone."`
			Due       string        `json:"due"`
			WarnAt    string        `json:"warn_at" doc:"When the warning goes out (the policy's sla.warn_at of the counted time)."`
			Intervals []slaInterval `json:"intervals" doc:"The business intervals counted."`
			Total     string        `json:"total" doc:"The business time counted."`
		}
	}
)

func (s *Server) registerRoute() {
	register(s, huma.Operation{OperationID: "explain-route", Method: http.MethodGet, Path: "/route/explain",
		Summary: "Where a call would go, and why", Description: "The decision the phone line would take for a call of plan and priority at an instant, " +
			"from the policy file and who is on call, with every reason.", Tags: []string{"routing"}},
		auth.Read, func(ctx context.Context, _ auth.Principal, in *routeQuery) (*routeBody, error) {
			p, err := s.policy()
			if err != nil {
				return nil, err
			}
			priority, err := planPriority(p, in.Plan, in.Priority)
			if err != nil {
				return nil, err
			}
			at, err := s.instant("at", in.At)
			if err != nil {
				return nil, err
			}
			r, err := s.Routing.Explain(ctx, in.Plan, priority, at)
			if err != nil {
				return nil, err
			}
			out, err := reshape[routeOut](r)
			if err != nil {
				return nil, err
			}
			out.Steps, out.Reasons, out.Explanation = nonNil(out.Steps), nonNil(out.Reasons), r.Explain()
			return &routeBody{Body: out}, nil
		})
	register(s, huma.Operation{OperationID: "sla-due", Method: http.MethodGet, Path: "/sla/due",
		Summary: "When a response is due", Description: "For a ticket of plan and priority whose clock started at opened.", Tags: []string{"sla"}},
		auth.Read, func(_ context.Context, _ auth.Principal, in *slaQuery) (*slaDueBody, error) {
			e, err := s.explainPromise(in)
			if err != nil {
				return nil, err
			}
			out := &slaDueBody{}
			b := &out.Body
			b.Due, b.Target, b.Calendar, b.Opened = rfc3339(e.Due), e.Promise.Target.String(), e.Promise.Calendar.Name(), rfc3339(e.Opened)
			return out, nil
		})
	register(s, huma.Operation{OperationID: "sla-explain", Method: http.MethodGet, Path: "/sla/explain",
		Summary: "How a due time is computed", Description: "The target, the calendar and the business intervals counted.", Tags: []string{"sla"}},
		auth.Read, func(_ context.Context, _ auth.Principal, in *slaQuery) (*slaExplainBody, error) {
			e, err := s.explainPromise(in)
			if err != nil {
				return nil, err
			}
			pr := e.Promise
			out := &slaExplainBody{}
			b := &out.Body
			b.Intervals = make([]slaInterval, len(e.Intervals))
			for i, iv := range e.Intervals {
				b.Intervals[i] = slaInterval{rfc3339(iv.Start), rfc3339(iv.End), sla.FormatDuration(iv.End.Sub(iv.Start))}
			}
			b.Plan, b.Priority, b.Target, b.Calendar = pr.Plan, pr.Priority, pr.Target.String(), pr.Calendar.String()
			b.Opened, b.Due = rfc3339(e.Opened.In(pr.Calendar.Location())), rfc3339(e.Due)
			b.WarnAt, b.Total = rfc3339(e.WarnAt), sla.FormatDuration(e.Total)
			return out, nil
		})
}

// policy is the policy file in force; a Server built without one is a
// wiring bug, answered as an internal error.
func (s *Server) policy() (*policyfile.Policy, error) {
	if s.Policy == nil {
		return nil, errors.New("api.Server has no Policy")
	}
	return s.Policy, nil
}

// planPriority checks that a plan and a priority were given, in the CLI's
// words; which plans and levels exist is the domain's to say.
func planPriority(p *policyfile.Policy, plan, priority string) (int, error) {
	if plan == "" {
		return 0, errcode.WithField(errcode.Errorf(errcode.Invalid, "plan is required (plans: %s)", strings.Join(p.PlanNames(), ", ")), "plan")
	}
	if priority == "" {
		return 0, errcode.WithField(errcode.New(errcode.Invalid, "priority is required (a priority level such as 1)"), "priority")
	}
	n, err := strconv.Atoi(strings.TrimSpace(priority))
	if err != nil {
		return 0, errcode.WithField(errcode.Errorf(errcode.Invalid, "priority %q is not a priority level such as 1", priority), "priority")
	}
	return n, nil
}

// explainPromise reads an SLA question (plan, priority, opening instant)
// and answers it with tickets.ExplainPromise.
func (s *Server) explainPromise(in *slaQuery) (tickets.Explanation, error) {
	p, err := s.policy()
	if err != nil {
		return tickets.Explanation{}, err
	}
	priority, err := planPriority(p, in.Plan, in.Priority)
	if err != nil {
		return tickets.Explanation{}, err
	}
	if in.Opened == "" {
		return tickets.Explanation{}, errcode.WithField(errcode.New(errcode.Invalid, "opened is required: an RFC 3339 time such as 2024-06-14T16:00:00-06:00"), "opened")
	}
	opened, err := time.Parse(time.RFC3339, in.Opened)
	if err != nil {
		return tickets.Explanation{}, errcode.WithField(errcode.Errorf(errcode.Invalid, "opened %q is not an RFC 3339 time such as 2024-06-14T16:00:00-06:00", in.Opened), "opened")
	}
	return tickets.ExplainPromise(p, in.Plan, priority, opened)
}

func rfc3339(t time.Time) string { return t.Format(time.RFC3339Nano) }
