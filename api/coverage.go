package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"supportline/auth"
)

// Coverage gaps found ahead: what `supportline coverage --json` prints,
// plus the words the CLI prints.
type (
	coverageQuery struct {
		Days int `query:"days" minimum:"1" maximum:"366" default:"90" doc:"How many days ahead to look, from now (1 to 366)." example:"90"`
	}
	promiseOut struct {
		Plan         string `json:"plan" example:"premium"`
		Priority     int    `json:"priority" example:"1"`
		PriorityName string `json:"priority_name,omitempty" example:"Critical"`
	}
	gapStepOut struct {
		Step     int      `json:"step" doc:"The 1-based step of the escalation policy." example:"1"`
		Schedule string   `json:"schedule" example:"primary"`
		Reasons  []string `json:"reasons" doc:"Why the step has nobody to dial during the gap, in time order."`
	}
	gapOut struct {
		Start    time.Time    `json:"start" doc:"Start of the window, in the live calendar's zone (for the 24x7 calendar, the first schedule's)."`
		End      time.Time    `json:"end" doc:"End of the window (excluded)."`
		Calendar string       `json:"calendar" doc:"The live calendar." example:"always"`
		Policy   string       `json:"policy" doc:"The escalation policy." example:"oncall"`
		Breaks   []promiseOut `json:"breaks" doc:"The plan priorities whose live calls would have nobody to dial."`
		Steps    []gapStepOut `json:"steps"`
		Why      string       `json:"why" doc:"The gap in one sentence." example:"schedule primary: nobody on call from Sat 2026-12-05 18:00 MST to Sun 08:00 MST: override #3 ended and the rotation has no members"`
	}
	scheduleIssueOut struct {
		Schedule string    `json:"schedule" example:"secondary"`
		Problem  string    `json:"problem" enum:"missing,invalid,no-members,not-started"`
		Starts   time.Time `json:"starts,omitzero" doc:"When a rotation that has not started starts."`
		Why      string    `json:"why"`
	}
	coverageOut struct {
		From      time.Time          `json:"from"`
		To        time.Time          `json:"to"`
		Days      int                `json:"days" example:"90"`
		Gaps      []gapOut           `json:"gaps" doc:"Every gap of the window, in time order."`
		Schedules []scheduleIssueOut `json:"schedules" doc:"Schedules that cannot staff themselves, whatever the overrides."`
		// Explanation is what `supportline coverage` prints.
		Explanation string `json:"explanation" doc:"The projection in words, as the CLI prints it."`
	}
	coverageBody struct{ Body coverageOut }
)

func (s *Server) registerCoverage() {
	register(s, huma.Operation{OperationID: "get-coverage", Method: http.MethodGet, Path: "/coverage",
		Summary: "Coverage gaps ahead", Description: "Projects the rotations and overrides over the coming days against every promise of the policy file: " +
			"the windows in which a plan priority's live calendar is open but no step of its escalation policy has an engineer on call with a phone, " +
			"and the schedules whose rotation has not started or has no members.", Tags: []string{"routing"}},
		auth.Read, func(ctx context.Context, _ auth.Principal, in *coverageQuery) (*coverageBody, error) {
			c, err := s.Routing.Coverage(ctx, s.now(), in.Days)
			if err != nil {
				return nil, err
			}
			out, err := reshape[coverageOut](c)
			if err != nil {
				return nil, err
			}
			out.Gaps, out.Schedules, out.Explanation = nonNil(out.Gaps), nonNil(out.Schedules), c.Text(s.Routing.Policy.PriorityWord())
			for i := range out.Gaps {
				out.Gaps[i].Breaks, out.Gaps[i].Steps = nonNil(out.Gaps[i].Breaks), nonNil(out.Gaps[i].Steps)
				for j := range out.Gaps[i].Steps {
					out.Gaps[i].Steps[j].Reasons = nonNil(out.Gaps[i].Steps[j].Reasons)
				}
			}
			return &coverageBody{Body: out}, nil
		})
}
