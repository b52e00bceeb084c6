package oncall

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"supportline/config"
	"supportline/store"
)

// PolicyUses names the escalation policy steps of p that name schedule,
// e.g. "escalation policy oncall step 1", sorted; none when p is nil.
func PolicyUses(p *config.Policy, schedule string) []string {
	if p == nil {
		return nil
	}
	var out []string
	for name, ep := range p.EscalationPolicies {
		for i, st := range ep.Steps {
			if st.Schedule == schedule {
				out = append(out, fmt.Sprintf("escalation policy %s step %d", name, i+1))
			}
		}
	}
	sort.Strings(out)
	return out
}

// PolicyCheck is what comparing the policy's escalation steps with the
// schedules in the database found. The policy file is validated on its
// own when it loads; whether the schedules it names exist can only be
// known against a database, so that half of the check lives here.
type PolicyCheck struct {
	// Missing lists the schedules named by the policy but not in the
	// database, sorted, each once.
	Missing []string `json:"missing"`
	// Problems has one entry per escalation step naming a missing
	// schedule, located in the policy file, in policy then step order.
	Problems config.Problems `json:"-"`
}

// CheckPolicy reports the escalation steps of s.Policy that name schedules
// missing from the database: live calls skip those steps, which an admin
// wants to hear about before a customer finds out. It only reads.
func (s *Service) CheckPolicy(ctx context.Context) (PolicyCheck, error) {
	if s.Policy == nil {
		return PolicyCheck{}, errors.New("check policy: oncall.Service has no Policy")
	}
	var have []string
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.Select(ctx, &have, `SELECT name FROM schedules`); err != nil {
			return fmt.Errorf("read schedule names: %w", err)
		}
		return nil
	})
	if err != nil {
		return PolicyCheck{}, err
	}
	return checkPolicy(s.Policy, have, s.DB.String()), nil
}

// checkPolicy is CheckPolicy's decision on plain values: the policy, the
// schedule names the database holds, and how to name the database.
func checkPolicy(p *config.Policy, have []string, db string) PolicyCheck {
	exists := make(map[string]bool, len(have))
	for _, n := range have {
		exists[n] = true
	}
	names := make([]string, 0, len(p.EscalationPolicies))
	for name := range p.EscalationPolicies {
		names = append(names, name)
	}
	sort.Strings(names)
	c := PolicyCheck{Missing: []string{}}
	missing := map[string]bool{}
	for _, name := range names {
		for i, st := range p.EscalationPolicies[name].Steps {
			if exists[st.Schedule] {
				continue
			}
			if !missing[st.Schedule] {
				missing[st.Schedule] = true
				c.Missing = append(c.Missing, st.Schedule)
			}
			c.Problems = append(c.Problems, config.Problem{File: p.Source, Path: fmt.Sprintf("escalation_policies.%s.steps[%d].schedule", name, i),
				Msg: fmt.Sprintf("escalation policy %s step %d names schedule %q, which is not in the database %s; live calls skip this step (add it with supportline schedule add %s)",
					name, i+1, st.Schedule, db, st.Schedule)})
		}
	}
	sort.Strings(c.Missing)
	return c
}
