package oncall

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Override puts Engineer on call for Schedule over [From, To), whoever the
// rotation says. Overrides may overlap: at any instant the most recently
// created one in force wins (later CreatedAt, then higher ID), because the
// admin who added it last knows the latest arrangement, and "newest wins"
// needs no priority field for people to disagree about.
type Override struct {
	// ID is the store's key; it breaks CreatedAt ties, since two overrides
	// added in one transaction share a timestamp but not an ID.
	ID int64
	// Schedule is the name of the schedule covered; overrides for other
	// schedules are ignored, so callers may pass every override they have.
	Schedule string
	// Engineer is the handle on call while the override is in force.
	Engineer string
	// From and To bound the override, half-open so that back-to-back
	// overrides neither overlap nor leave a gap at the seam.
	From, To time.Time
	// CreatedAt orders overlapping overrides: the newest wins.
	CreatedAt time.Time
}

// Validate reports what `override add` must refuse: a missing schedule or
// engineer, a missing bound, or an empty or reversed interval. Resolve
// ignores overrides Validate would reject, so a bad row cannot put a blank
// handle on call or cut a real shift short.
func (o Override) Validate() error {
	var errs []error
	if strings.TrimSpace(o.Schedule) == "" {
		errs = append(errs, errors.New("override: no schedule"))
	}
	if strings.TrimSpace(o.Engineer) == "" {
		errs = append(errs, errors.New("override: no engineer"))
	}
	switch {
	case o.From.IsZero() || o.To.IsZero():
		errs = append(errs, errors.New("override: from and to are both required"))
	case !o.To.After(o.From):
		errs = append(errs, fmt.Errorf("override: to %s is not after from %s",
			o.To.Format(time.RFC3339), o.From.Format(time.RFC3339)))
	}
	return errors.Join(errs...)
}

// appliesTo reports whether o can affect schedule name at all.
func (o *Override) appliesTo(name string) bool {
	return o.Schedule == name && strings.TrimSpace(o.Engineer) != "" && o.From.Before(o.To)
}

// newerThan reports whether o takes precedence over p where both are in
// force. Equal CreatedAt and ID (a duplicate row) means neither is newer.
func (o *Override) newerThan(p *Override) bool {
	if !o.CreatedAt.Equal(p.CreatedAt) {
		return o.CreatedAt.After(p.CreatedAt)
	}
	return o.ID > p.ID
}
