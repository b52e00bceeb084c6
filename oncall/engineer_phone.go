package oncall

import (
	"context"
	"fmt"
	"strings"
	"time"

	"supportline/errcode"
	"supportline/store"
)

// EngineerByPhone returns the engineer whose phone is exactly phone
// (strict E.164, as stored): the SMS face knows an engineer by the number
// a message comes from. No engineer with that number is errcode.NotFound;
// several (a shared on-call handset) is errcode.Conflict naming them,
// because a command from that number cannot say who is answering.
//
// zone is where the engineer keeps time, for telling them an instant: the
// zone of the first schedule they are a member of (by name), UTC when they
// are in none. Schedules is not filled.
func (s *Service) EngineerByPhone(ctx context.Context, phone string) (e Engineer, zone *time.Location, err error) {
	var found []struct {
		Engineer
		Zone *string `db:"zone"`
	}
	err = s.DB.Statements(ctx, func(q *store.Q) error {
		return q.Select(ctx, &found, `SELECT `+engineerColumns+`,
			(SELECT s.timezone FROM schedule_members m JOIN schedules s ON s.id = m.schedule_id
			 WHERE m.engineer_id = e.id ORDER BY s.name LIMIT 1) AS zone
			FROM engineers e WHERE e.phone = ? ORDER BY e.handle LIMIT 5`, phone)
	})
	if err != nil {
		return Engineer{}, nil, fmt.Errorf("read engineers by phone: %w", err)
	}
	switch len(found) {
	case 0:
		return Engineer{}, nil, errcode.New(errcode.NotFound, "no engineer has this phone number")
	case 1:
		e := found[0].Engineer
		e.CreatedAt = e.CreatedAt.UTC()
		zone = time.UTC
		if found[0].Zone != nil {
			if loc, err := loadZone(*found[0].Zone); err == nil {
				zone = loc
			}
		}
		return e, zone, nil
	}
	handles := make([]string, len(found))
	for i, e := range found {
		handles[i] = e.Handle
	}
	return Engineer{}, nil, errcode.Errorf(errcode.Conflict, "engineers %s share this phone number", strings.Join(handles, ", "))
}
