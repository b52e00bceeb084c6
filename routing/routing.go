// Package routing decides where a support call goes: refused (the plan has
// no phone support), live (dial these engineers in turn) or voicemail
// (outside the plan's live hours, or nobody reachable), and says why in
// words an admin can act on.
//
// Decide is pure: the caller passes the policy, the plan, the priority, the
// instant and what the store loaded (schedules, overrides, engineers), and
// gets a Route back. It never reads the database, the clock, HTTP or Twilio,
// so the phone line, the SMS wiring, `supportline route explain` and the
// admin API all get the same answer for the same inputs. Service.Explain is
// the one place that loads those inputs for a question asked of an instant
// (the CLI's and the API's route explain).
package routing

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"supportline/config"
	"supportline/errcode"
	"supportline/oncall"
	"supportline/sla"
)

// Kind is what happens to a call.
type Kind string

// The kinds of route.
const (
	// Refuse: the plan has no phone support; the caller hears the plan's
	// message and the call ends without a ticket.
	Refuse Kind = "refuse"
	// Live: dial Route.Steps one after the other.
	Live Kind = "live"
	// Voicemail: record a message on the ticket; nobody is dialled.
	Voicemail Kind = "voicemail"
)

// Engineer is what routing needs to know about an engineer.
type Engineer struct {
	Handle string `json:"handle"`
	Name   string `json:"name"`
	Phone  string `json:"phone"` // E.164
	SMS    bool   `json:"sms"`   // takes text messages
}

// Input is one routing question with everything needed to answer it.
type Input struct {
	Policy   *config.Policy
	Plan     string
	Priority int
	// At is the instant the call is routed (and the SLA clock would start).
	At time.Time
	// Schedules are the schedules in the database, by name. A schedule an
	// escalation policy names but that is missing here is skipped.
	Schedules map[string]oncall.Schedule
	// Overrides may include overrides of any schedule; at least those in
	// force at At must be present.
	Overrides []oncall.Override
	// Engineers are the engineers in the database, by handle.
	Engineers map[string]Engineer
}

// NewInput builds an Input from what oncall.Snapshot loaded.
func NewInput(p *config.Policy, plan string, priority int, at time.Time, r oncall.Roster) Input {
	engs := make(map[string]Engineer, len(r.Engineers))
	for h, e := range r.Engineers {
		engs[h] = Engineer{Handle: e.Handle, Name: e.Name, Phone: e.Phone, SMS: e.SMS}
	}
	return Input{Policy: p, Plan: plan, Priority: priority, At: at,
		Schedules: r.Schedules, Overrides: r.Overrides, Engineers: engs}
}

// Step is one engineer to dial.
type Step struct {
	Handle string `json:"handle"`
	Name   string `json:"name"`
	// Number is the engineer's phone, E.164.
	Number string `json:"number"`
	// Ring is how long to ring before moving on to the next step.
	Ring time.Duration `json:"-"`
	// PolicyStep is the 1-based step of the escalation policy this engineer
	// was found in.
	PolicyStep int `json:"policy_step"`
	// Schedule is the schedule of that step.
	Schedule string `json:"schedule"`
	// Override is the ID of the override that put the engineer on call, 0
	// for the rotation.
	Override int64 `json:"override,omitempty"`
}

// MarshalJSON writes Ring as people type it ("20s", "2m"), not in Go's
// form ("2m0s"): scripts and people read it.
func (s Step) MarshalJSON() ([]byte, error) {
	type plain Step
	return json.Marshal(struct {
		plain
		Ring string `json:"ring"`
	}{plain(s), sla.FormatDuration(s.Ring)})
}

// Route is a routing decision and its reasons.
type Route struct {
	Kind Kind `json:"kind"`
	// Message is the decision in a few words. For Refuse it is the plan's
	// message, which the caller hears.
	Message string `json:"message"`
	// Steps are the engineers to dial, in order (Live only).
	Steps []Step `json:"steps"`
	// Reasons say, in words and in order, why: the live calendar, then every
	// escalation step dialled or skipped.
	Reasons []string `json:"reasons"`

	Plan     string    `json:"plan"`
	Priority int       `json:"priority"`
	At       time.Time `json:"at"`
	// Policy is the escalation policy of the plan priority ("" for Refuse).
	Policy string `json:"policy,omitempty"`
	// LiveCalendar is the calendar during which calls go live.
	LiveCalendar string `json:"live_calendar,omitempty"`
	// Due is when the first response would be due for a ticket opened At
	// (zero for Refuse: no ticket is opened).
	Due time.Time `json:"due,omitzero"`
	// Target is the response target as written ("1h", "2bd").
	Target string `json:"target,omitempty"`
	// Clock is the calendar the SLA clock runs on.
	Clock string `json:"clock,omitempty"`
	// PriorityName is the priority's name from the policy ("Critical").
	PriorityName string `json:"priority_name,omitempty"`
	// PriorityWord is what the policy calls priorities ("Severity").
	PriorityWord string `json:"priority_word,omitempty"`
}

// Decide routes a call of plan at priority, at in.At. The error is
// errcode.Invalid for an unknown plan, or for a priority the phone plan does
// not define; everything else is a Route, with Voicemail as the answer when
// nobody can be dialled. A plan without phone support is refused whatever
// the priority, since its callers never reach the priority menu.
func Decide(in Input) (Route, error) {
	if in.Policy == nil {
		return Route{}, errcode.New(errcode.Invalid, "routing needs a policy")
	}
	pl, ok := in.Policy.Plan(in.Plan)
	if !ok {
		return Route{}, errcode.WithField(errcode.Errorf(errcode.Invalid, "unknown plan %q (plans: %s)", in.Plan, strings.Join(in.Policy.PlanNames(), ", ")), "plan")
	}
	r := Route{Plan: in.Plan, Priority: in.Priority, At: in.At, Steps: []Step{}, PriorityWord: in.Policy.PriorityWord()}
	if pr, ok := in.Policy.Priority(in.Priority); ok {
		r.PriorityName = pr.Name
	}
	if !pl.Phone {
		r.Kind = Refuse
		r.Message = pl.Message
		r.Reasons = []string{fmt.Sprintf("plan %s does not include phone support: the caller hears the plan's message and the call ends, without a ticket", in.Plan)}
		return r, nil
	}
	pp, err := planPriority(in.Policy, in.Plan, pl, in.Priority)
	if err != nil {
		return Route{}, err
	}
	r.Policy, r.LiveCalendar, r.Target, r.Clock = pp.Route, pp.Live, pp.RespondWithin, pp.Clock
	if clock := in.Policy.Calendar(pp.Clock); clock != nil {
		r.Due = sla.Due(in.At, pp.Target, clock)
	}

	live := in.Policy.Calendar(pp.Live)
	if live == nil {
		// config validates calendar names, so only a hand-built policy gets here.
		r.Kind, r.Message = Voicemail, "no live calendar"
		r.Reasons = append(r.Reasons, fmt.Sprintf("calendar %q of plan %s priority %d is not in the policy", pp.Live, in.Plan, in.Priority))
		return r, nil
	}
	if !live.IsOpen(in.At) {
		r.Kind, r.Message = Voicemail, "outside live hours"
		r.Reasons = append(r.Reasons, outsideReason(live, in.At),
			fmt.Sprintf("%s next opens %s", live.Name(), live.NextOpen(in.At).Format("Monday 2006-01-02 15:04 ")+zoneName(live)))
		return r, nil
	}
	r.Reasons = append(r.Reasons, insideReason(live, in.At))

	steps, reasons := walk(in, pp.Route, false)
	r.Steps = append(r.Steps, steps...)
	r.Reasons = append(r.Reasons, reasons...)
	if len(r.Steps) == 0 {
		r.Kind, r.Message = Voicemail, "nobody reachable"
		r.Reasons = append(r.Reasons, fmt.Sprintf("no step of escalation policy %s has anyone to dial, so the call goes to voicemail", pp.Route))
		return r, nil
	}
	r.Kind = Live
	names := make([]string, len(r.Steps))
	for i, s := range r.Steps {
		names[i] = s.Handle
	}
	r.Message = "dial " + strings.Join(names, ", then ")
	return r, nil
}

func planPriority(p *config.Policy, plan string, pl config.Plan, level int) (config.PlanPriority, error) {
	pp, ok := pl.Priorities[level]
	if !ok {
		levels := pl.Levels()
		have := make([]string, len(levels))
		for i, l := range levels {
			have[i] = fmt.Sprint(l)
		}
		return pp, errcode.WithField(errcode.Errorf(errcode.Invalid, "plan %s has no priority %d (it has %s)", plan, level, strings.Join(have, ", ")), "priority")
	}
	if _, ok := p.EscalationPolicies[pp.Route]; !ok {
		return pp, errcode.WithField(errcode.Errorf(errcode.Invalid, "plan %s priority %d routes to escalation policy %q, which the policy file does not define", plan, level, pp.Route), "priority")
	}
	return pp, nil
}

// walk goes through the escalation policy's steps at in.At: who is on call
// in each step's schedule, skipping unknown or empty schedules and engineers
// already found in an earlier step. With smsOnly, engineers who do not take
// SMS are skipped too (for notifications).
func walk(in Input, policy string, smsOnly bool) ([]Step, []string) {
	var steps []Step
	var reasons []string
	dialled := map[string]int{} // handle -> 1-based policy step
	for i, ps := range in.Policy.EscalationPolicies[policy].Steps {
		n := i + 1
		head := fmt.Sprintf("step %d (schedule %s)", n, ps.Schedule)
		skip := func(format string, args ...any) {
			reasons = append(reasons, head+": skipped: "+fmt.Sprintf(format, args...))
		}
		sched, ok := in.Schedules[ps.Schedule]
		if !ok {
			skip("schedule %s is not in the database (add it with supportline schedule add)", ps.Schedule)
			continue
		}
		sh, ok := oncall.Resolve(sched, in.Overrides, in.At)
		if !ok {
			skip("%s", oncall.WhyNobody(sched, in.At))
			continue
		}
		eng, ok := in.Engineers[sh.Engineer]
		switch {
		case !ok:
			skip("%s is on call, but there is no engineer %s in the database", sh.Engineer, sh.Engineer)
			continue
		case eng.Phone == "":
			skip("%s is on call but has no phone number", sh.Engineer)
			continue
		case dialled[sh.Engineer] > 0:
			skip("%s is on call here too and was already reached in step %d", sh.Engineer, dialled[sh.Engineer])
			continue
		case smsOnly && !eng.SMS:
			skip("%s is on call but does not take SMS", sh.Engineer)
			continue
		}
		dialled[sh.Engineer] = n
		st := Step{Handle: eng.Handle, Name: eng.Name, Number: eng.Phone, Ring: ps.RingTimeout, PolicyStep: n, Schedule: ps.Schedule}
		how := "by rotation"
		if sh.Override != nil {
			st.Override = sh.Override.ID
			how = fmt.Sprintf("by override #%d", sh.Override.ID)
		}
		steps = append(steps, st)
		reasons = append(reasons, fmt.Sprintf("%s: %s (%s) is on call %s from %s until %s: dial %s, ring %s",
			head, eng.Handle, eng.Name, how, wall(sh.Start), wall(sh.End), eng.Phone, ps.RingTimeout))
	}
	return steps, reasons
}

// OnCallFor returns whom to text about a call or ticket of in.Plan at
// in.Priority, whatever the hour: the first engineer along the plan
// priority's escalation policy who is on call at in.At and takes SMS, as a
// one-element slice. It is nil when nobody is, and for a plan without phone
// support or an unknown plan or priority (they have no route).
func OnCallFor(in Input) []Step {
	policy, ok := route(in)
	if !ok {
		return nil
	}
	steps, _ := walk(in, policy, true)
	if len(steps) == 0 {
		return nil
	}
	return steps[:1]
}

// LastStep returns the engineers to text when a ticket of in.Plan at
// in.Priority breaches its SLA: whoever is on call at in.At in the last step
// of the plan priority's escalation policy and takes SMS. It is nil when
// nobody is, and for a plan without a route.
func LastStep(in Input) []Engineer {
	policy, ok := route(in)
	if !ok {
		return nil
	}
	steps := in.Policy.EscalationPolicies[policy].Steps
	if len(steps) == 0 {
		return nil
	}
	sched, ok := in.Schedules[steps[len(steps)-1].Schedule]
	if !ok {
		return nil
	}
	sh, ok := oncall.Resolve(sched, in.Overrides, in.At)
	if !ok {
		return nil
	}
	eng, ok := in.Engineers[sh.Engineer]
	if !ok || !eng.SMS || eng.Phone == "" {
		return nil
	}
	return []Engineer{eng}
}

// EscalateTo returns who to text when a ticket of in.Plan at in.Priority is
// escalated or breaches its SLA: the last step's engineer (LastStep), or,
// when nobody there takes SMS, every engineer on call along the route who
// does, so that an escalation never goes to no one while someone is on
// call. It is nil only when nobody on the route can be texted.
func EscalateTo(in Input) []Engineer {
	if last := LastStep(in); len(last) > 0 {
		return last
	}
	policy, ok := route(in)
	if !ok {
		return nil
	}
	steps, _ := walk(in, policy, true)
	out := make([]Engineer, 0, len(steps))
	for _, st := range steps {
		out = append(out, in.Engineers[st.Handle])
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// route is the escalation policy of in's plan priority, if it has one.
func route(in Input) (string, bool) {
	if in.Policy == nil {
		return "", false
	}
	pl, ok := in.Policy.Plan(in.Plan)
	if !ok || !pl.Phone {
		return "", false
	}
	pp, err := planPriority(in.Policy, in.Plan, pl, in.Priority)
	if err != nil {
		return "", false
	}
	return pp.Route, true
}
