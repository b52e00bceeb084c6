package routing

import (
	"context"
	"time"

	"supportline/config"
	"supportline/oncall"
	"supportline/store"
)

// Service answers "where would this call go, and why" from the database:
// the one place `supportline route explain` and the admin API's
// /route/explain load who is on call and decide, so the two faces cannot
// disagree. Decide stays the pure rule; Service only loads its inputs.
type Service struct {
	DB     *store.DB
	Policy *config.Policy
}

// Explain decides the route of a call of plan at priority arriving at at,
// from the policy and the schedules, overrides and engineers in force at
// that instant, read in one transaction. Its errors are Decide's
// (errcode.Invalid for an unknown plan or priority) and the database's.
func (s *Service) Explain(ctx context.Context, plan string, priority int, at time.Time) (Route, error) {
	var r Route
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		roster, err := oncall.Snapshot(ctx, tx, at, at)
		if err != nil {
			return err
		}
		r, err = Decide(NewInput(s.Policy, plan, priority, at, roster))
		return err
	})
	return r, err
}
