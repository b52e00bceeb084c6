package console

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"supportline/auth"
	"supportline/errcode"
	"supportline/routing"
)

// Coverage gaps ahead: the projection `supportline coverage` prints, from
// Routing.Coverage as the CLI and the API ask it, for any number of days
// from 1 to 366 (90 when the form is left alone).

func (s *Server) registerCoverage(g *echo.Group) {
	g.GET("/coverage", s.signedIn(auth.Read, s.coveragePage))
}

type coverageRow struct {
	Gap routing.Gap
	// Breaks names the plan priorities of the gap in the policy's words.
	Breaks string
	// Length is how long the gap lasts, as people write durations.
	Length string
}

type coverageData struct {
	Days     int
	Coverage routing.Coverage
	Gaps     []coverageRow
}

func (s *Server) coveragePage(c echo.Context, _ auth.User) error {
	d := coverageData{Days: routing.DefaultCoverageDays}
	v := view{Title: "Coverage gaps ahead", Nav: "coverage", Form: c.QueryParams(), Data: d}
	if raw := strings.TrimSpace(c.QueryParam("days")); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < routing.MinCoverageDays || n > routing.MaxCoverageDays {
			return s.formError(c, "coverage", v, "days", errcode.Errorf(errcode.Invalid,
				"days must be from %d to %d, not %q", routing.MinCoverageDays, routing.MaxCoverageDays, raw))
		}
		d.Days = n
	}
	cov, err := s.Routing.Coverage(ctx(c), s.now(), d.Days)
	if err != nil {
		return s.fail(c, err)
	}
	d.Coverage = cov
	for _, g := range cov.Gaps {
		d.Gaps = append(d.Gaps, coverageRow{Gap: g, Breaks: routing.Breaks(g.Breaks, s.Routing.Policy.PriorityWord()), Length: g.Length()})
	}
	v.Data = d
	return s.render(c, http.StatusOK, "coverage", v)
}
