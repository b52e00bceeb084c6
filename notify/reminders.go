package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"supportline/contactinfo"
	"supportline/oncall"
	"supportline/store"
)

// DefaultReminderInterval is how often [Reminders.Run] looks at the shifts
// to come when Interval is not set.
const DefaultReminderInterval = 15 * time.Second

// Reminders is the shift reminder watcher. An engineer who takes SMS gets
// one before each of their shifts, Lead before it starts, through the
// outbox; a shift that changed after its reminder (an override added or
// removed, the rotation changed, the schedule removed) gets a correction.
// A shift is what oncall says it is ([oncall.Next]): a rotation shift, or
// the piece of it left between overrides, or an override in force, so a
// shift that comes from an override is reminded like any other.
//
// Each pass computes the shifts from the roster and compares them with
// the reminders that stand (table shift_reminders): the database decides
// "exactly once" however many replicas run a pass at the same moment. A
// reminder is a row inserted with ON CONFLICT DO NOTHING under a partial
// unique index on (schedule, engineer, start, end) of the standing rows,
// and its SMS is enqueued only when the insert took, in the same
// transaction; a correction is an UPDATE that marks a standing row
// corrected, and its SMS is enqueued only when the update changed the row.
//
// A shift is due its reminder from Lead before its start until Lead after
// it: one that began a moment ago without a reminder (an override that
// starts at once, a server that was down) is reminded late, but turning
// reminders on does not text everyone who has been on call for days.
type Reminders struct {
	DB  *store.DB
	Log *slog.Logger // nil: slog.Default()
	// Lead is how long before a shift's start its reminder is due (the
	// policy's notifications.shift_reminder); 0 or less is off: no pass
	// reads or writes anything, and no SMS, reminder or correction, is sent.
	Lead time.Duration
	// Interval between passes of Run; DefaultReminderInterval when zero.
	Interval time.Duration
	// AfterPass, if set, is called by Run after each pass has committed or
	// failed, with what Tick returned (a test waiting for a pass).
	AfterPass func(queued int, err error)
}

// reminderTexts are every SMS about a shift, with placeholders in braces
// filled by [reminderText]; times are in the schedule's zone.
var reminderTexts = struct{ remind, changed, noLonger string }{
	remind:   "You are on call for {schedule} from {start} until {end}.",
	changed:  "Change: you are now on call for {schedule} from {start} until {end} (was {was_start} until {was_end}).",
	noLonger: "Change: you are no longer on call for {schedule} from {start} until {end}.",
}

// Start runs the watcher in a goroutine until ctx ends or stop is called;
// stop waits for a pass in progress. With Lead off it logs so and starts
// nothing.
func (r *Reminders) Start(ctx context.Context) (stop func()) {
	if r.Lead <= 0 {
		r.log().Info("shift reminders off (notifications.shift_reminder: off)")
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(ctx)
	}()
	r.log().Info("shift reminders started", "lead", r.Lead.String(), "interval", r.interval().String())
	return func() {
		cancel()
		<-done
	}
}

// Run makes a pass at once and then every Interval until ctx ends. Pass
// failures are logged; the next pass tries again.
func (r *Reminders) Run(ctx context.Context) {
	ticker := time.NewTicker(r.interval())
	defer ticker.Stop()
	for {
		n, err := r.Tick(ctx)
		if err != nil && ctx.Err() == nil {
			r.log().Error("shift reminder pass failed", "err", err)
		}
		if r.AfterPass != nil {
			r.AfterPass(n, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

func (r *Reminders) interval() time.Duration {
	if r.Interval > 0 {
		return r.Interval
	}
	return DefaultReminderInterval
}

func (r *Reminders) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.Default()
}

// Tick makes one pass in one transaction at the database clock's now and
// returns how many SMS it queued (reminders and corrections).
func (r *Reminders) Tick(ctx context.Context) (int, error) {
	if r.Lead <= 0 {
		return 0, nil
	}
	var done []sentReminder
	err := r.DB.InTx(ctx, func(tx *store.Tx) error {
		standing, err := standingReminders(ctx, tx)
		if err != nil {
			return err
		}
		// Every override that can shape a shift in force now or to come:
		// a shift's start or end is cut by overrides that ended before now
		// or begin after the lead window. A shift that began more than
		// a year ago is the only one this could misjudge.
		roster, err := oncall.Snapshot(ctx, tx, tx.Now.AddDate(-1, 0, 0), tx.Now.AddDate(100, 0, 0))
		if err != nil {
			return err
		}
		for _, a := range planReminders(tx.Now, r.Lead, roster, standing) {
			s, err := a.apply(ctx, tx)
			if err != nil {
				return err
			}
			done = append(done, s...)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("shift reminders: %w", err)
	}
	queued := 0
	for _, s := range done { // after the commit, so a line means it is stored
		if s.queued {
			queued++
		}
		r.log().Info("shift "+s.what, "schedule", s.schedule, "engineer", s.engineer,
			"start", s.start.Format(time.RFC3339), "end", s.end.Format(time.RFC3339), "sms", s.queued)
	}
	return queued, nil
}

// reminderRow is a standing row of shift_reminders.
type reminderRow struct {
	ID       int64     `db:"id"`
	Schedule string    `db:"schedule"`
	Timezone string    `db:"timezone"`
	Engineer string    `db:"engineer"`
	StartsAt time.Time `db:"starts_at"`
	EndsAt   time.Time `db:"ends_at"`
}

// standingReminders reads the reminders not corrected whose shift has not
// ended at tx.Now, by schedule, start and id.
func standingReminders(ctx context.Context, tx *store.Tx) ([]reminderRow, error) {
	var out []reminderRow
	if err := tx.Select(ctx, &out, `SELECT id, schedule, timezone, engineer, starts_at, ends_at FROM shift_reminders
		WHERE corrected_at IS NULL AND ends_at > ? ORDER BY schedule, starts_at, id`, tx.Now); err != nil {
		return nil, fmt.Errorf("read shift reminders: %w", err)
	}
	for i := range out {
		out[i].StartsAt, out[i].EndsAt = out[i].StartsAt.UTC(), out[i].EndsAt.UTC()
	}
	return out, nil
}

// shift is one shift of one schedule as a pass sees it.
type shift struct {
	schedule string
	loc      *time.Location
	engineer string
	start    time.Time
	end      time.Time
}

func (s shift) same(r reminderRow) bool {
	return s.schedule == r.Schedule && s.engineer == r.Engineer && s.start.Equal(r.StartsAt) && s.end.Equal(r.EndsAt)
}

// action is one thing a pass does, in the order planReminders returns
// them: per schedule in name order, the corrections and then the
// reminders, each by start. Every pass orders the same work the same way,
// so that two replicas running one pass wait on each other instead of
// deadlocking. It is applied in the transaction whose tx.Now the pass
// planned at.
type action struct {
	// Without correct: insert a row for sh of kind ("reminder": and text
	// phone; "carried": silently, the engineer knows it already). With
	// correct: mark that row corrected (correction); with "changed", also
	// insert carry[0] as the row that stands instead and text its times;
	// with "carried", insert each of carry silently.
	kind       string
	correct    *reminderRow
	correction string
	sh         shift
	carry      []shift
	gapFrom    time.Time // "no_longer": the coverage lost
	gapTo      time.Time
	phone      string // "" when nobody is to be texted
}

// sentReminder is what a pass did, for the log line after the commit.
type sentReminder struct {
	what               string
	schedule, engineer string
	start, end         time.Time
	queued             bool
}

// planReminders decides, from plain values, what a pass at now does: which
// shifts to remind and which standing reminders to correct. It reads no
// clock and no database, so tests can ask it about any instant.
//
// A shift (from oncall.Next, overrides applied) is due its reminder from
// lead before its start until lead after it, when its engineer takes SMS and no
// standing reminder has the same schedule, engineer, start and end. A
// standing reminder that no shift matches any more is corrected: when its
// engineer has a due shift overlapping it that was not reminded, one SMS
// gives the new times ("changed"); otherwise the first stretch of it,
// from now on, that the engineer no longer covers is texted ("no_longer");
// and when the engineer covers all of it still, split differently (an
// override of their own), nothing is sent and the pieces inside it stand
// in its place ("carried"). A due shift inside what the engineer was told
// and still stands is recorded without an SMS. Engineers removed, or who
// no longer take SMS, are not texted ("unsent").
func planReminders(now time.Time, lead time.Duration, roster oncall.Roster, standing []reminderRow) []action {
	bySchedule := map[string][]reminderRow{}
	names := map[string]bool{}
	for _, r := range standing {
		bySchedule[r.Schedule] = append(bySchedule[r.Schedule], r)
		names[r.Schedule] = true
	}
	for name := range roster.Schedules {
		names[name] = true
	}
	order := make([]string, 0, len(names))
	for name := range names {
		order = append(order, name)
	}
	sort.Strings(order)

	phoneOf := func(handle string) string {
		e, ok := roster.Engineers[handle]
		if !ok || !e.SMS || contactinfo.ValidPhone(e.Phone) != nil {
			return ""
		}
		return e.Phone
	}
	// Resolve looks at every override it is given; each schedule gets
	// only its own.
	overridesOf := map[string][]oncall.Override{}
	for _, o := range roster.Overrides {
		overridesOf[o.Schedule] = append(overridesOf[o.Schedule], o)
	}
	var out []action
	for _, name := range order {
		rows := bySchedule[name]
		horizon := now.Add(lead)
		for _, r := range rows {
			if r.EndsAt.After(horizon) {
				horizon = r.EndsAt
			}
		}
		var shifts []shift
		if s, ok := roster.Schedules[name]; ok {
			shifts = shiftsUntil(s, overridesOf[name], now, horizon)
		}
		// Which shifts have their reminder already (matched) or get one
		// through a correction (taken).
		handled := make([]bool, len(shifts))
		// What each engineer has been told and still stands, after this
		// pass: a shift inside it needs no SMS of its own.
		told := map[string][]shift{}
		var unmatched []reminderRow
		for _, r := range rows {
			found := false
			for i, sh := range shifts {
				if !handled[i] && sh.same(r) {
					handled[i], found = true, true
					told[r.Engineer] = append(told[r.Engineer], sh)
					break
				}
			}
			if !found {
				unmatched = append(unmatched, r)
			}
		}
		due := func(sh shift) bool { return !sh.start.After(now.Add(lead)) && sh.start.After(now.Add(-lead)) }
		for _, r := range unmatched {
			row := r
			a := action{correct: &row, phone: phoneOf(r.Engineer)}
			a.sh = shift{schedule: r.Schedule, loc: zoneOrUTC(r.Timezone), engineer: r.Engineer, start: r.StartsAt, end: r.EndsAt}
			// The engineer's shifts that overlap the one they were told of.
			var mine []int
			for i, sh := range shifts {
				if sh.engineer == r.Engineer && sh.start.Before(r.EndsAt) && sh.end.After(r.StartsAt) {
					mine = append(mine, i)
				}
			}
			from, to, lost := firstGap(r, now, shifts, mine)
			switch {
			case !lost:
				a.correction = "carried"
				told[r.Engineer] = append(told[r.Engineer], a.sh)
				for _, i := range mine {
					if sh := shifts[i]; !handled[i] && !sh.start.Before(r.StartsAt) && !sh.end.After(r.EndsAt) {
						handled[i] = true
						a.carry = append(a.carry, sh)
					}
				}
			case a.phone == "":
				a.correction = "unsent"
			default:
				a.correction, a.gapFrom, a.gapTo = "no_longer", from, to
				for _, i := range mine {
					if !handled[i] && due(shifts[i]) {
						handled[i] = true
						a.correction, a.carry = "changed", []shift{shifts[i]}
						break
					}
				}
			}
			out = append(out, a)
		}
		for i, sh := range shifts {
			switch {
			case handled[i] || !due(sh):
			case covered(told[sh.engineer], sh):
				out = append(out, action{sh: sh, kind: "carried"})
			default:
				if phone := phoneOf(sh.engineer); phone != "" {
					out = append(out, action{sh: sh, kind: "reminder", phone: phone})
				}
			}
		}
	}
	return out
}

// covered reports whether the union of spans contains all of sh.
func covered(spans []shift, sh shift) bool {
	sort.Slice(spans, func(i, j int) bool { return spans[i].start.Before(spans[j].start) })
	cursor := sh.start
	for _, sp := range spans {
		if sp.start.After(cursor) {
			break
		}
		if sp.end.After(cursor) {
			cursor = sp.end
		}
	}
	return !cursor.Before(sh.end)
}

// firstGap is the first stretch of reminder r, from now on, that the
// engineer's shifts mine (indexes into shifts, by start) do not cover.
func firstGap(r reminderRow, now time.Time, shifts []shift, mine []int) (from, to time.Time, ok bool) {
	cursor := r.StartsAt
	if now.After(cursor) {
		cursor = now
	}
	for _, i := range mine {
		sh := shifts[i]
		if sh.start.After(cursor) {
			return cursor, sh.start, true
		}
		if sh.end.After(cursor) {
			cursor = sh.end
		}
	}
	if cursor.Before(r.EndsAt) {
		return cursor, r.EndsAt, true
	}
	return time.Time{}, time.Time{}, false
}

// maxShiftsPerPass bounds the shifts one schedule yields to a pass (a
// one-minute rotation and a week's lead would otherwise be ten thousand).
const maxShiftsPerPass = 2000

// shiftsUntil lists the shifts of s, overrides applied, that have not ended
// at now and start at or before horizon, the one in force at now first.
func shiftsUntil(s oncall.Schedule, overrides []oncall.Override, now, horizon time.Time) []shift {
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	var out []shift
	at := now
	for len(out) < maxShiftsPerPass {
		next := oncall.Next(s, overrides, at, 16)
		for _, sh := range next {
			if sh.Start.After(horizon) || len(out) == maxShiftsPerPass {
				return out
			}
			out = append(out, shift{schedule: s.Name, loc: loc, engineer: sh.Engineer, start: sh.Start.UTC(), end: sh.End.UTC()})
		}
		if len(next) < 16 {
			return out
		}
		at = next[len(next)-1].End
	}
	return out
}

func zoneOrUTC(name string) *time.Location {
	if loc, err := time.LoadLocation(name); err == nil {
		return loc
	}
	return time.UTC
}

// apply does a in tx and says what it did.
func (a action) apply(ctx context.Context, tx *store.Tx) ([]sentReminder, error) {
	if a.correct == nil {
		return a.remind(ctx, tx, a.sh, a.kind)
	}
	res, err := tx.Exec(ctx, `UPDATE shift_reminders SET corrected_at = ?, correction = ? WHERE id = ? AND corrected_at IS NULL`,
		tx.Now, a.correction, a.correct.ID)
	if err != nil {
		return nil, fmt.Errorf("correct shift reminder %d: %w", a.correct.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, fmt.Errorf("correct shift reminder %d: %w", a.correct.ID, err)
	} else if n == 0 {
		// Another pass corrected it first; the shift this correction would
		// have announced gets its plain reminder, unless that pass gave it.
		if a.correction != "changed" {
			return nil, nil
		}
		return a.remind(ctx, tx, a.carry[0], "reminder")
	}
	was := a.sh
	switch a.correction {
	case "carried":
		for _, sh := range a.carry {
			if _, _, err := insertReminder(ctx, tx, sh, "carried"); err != nil {
				return nil, err
			}
		}
		return []sentReminder{{what: "reminder carried to the shift's new pieces", schedule: was.schedule, engineer: was.engineer, start: was.start, end: was.end}}, nil
	case "unsent":
		return []sentReminder{{what: "changed; the engineer does not take SMS", schedule: was.schedule, engineer: was.engineer, start: was.start, end: was.end}}, nil
	case "no_longer":
		body := reminderText(reminderTexts.noLonger, shift{schedule: was.schedule, loc: was.loc, start: a.gapFrom, end: a.gapTo}, shift{}, tx.Now)
		if _, err := Enqueue(ctx, tx, Message{EventKey: fmt.Sprintf("shift:%d:no_longer", a.correct.ID), To: a.phone, Body: body}); err != nil {
			return nil, err
		}
		return []sentReminder{{what: "correction: no longer on call", schedule: was.schedule, engineer: was.engineer, start: a.gapFrom, end: a.gapTo, queued: true}}, nil
	default: // changed
		sh := a.carry[0]
		id, ok, err := insertReminder(ctx, tx, sh, "changed")
		if err != nil {
			return nil, err
		}
		key := fmt.Sprintf("shift:%d:changed", a.correct.ID)
		if ok {
			key = fmt.Sprintf("shift:%d", id)
		}
		body := reminderText(reminderTexts.changed, sh, was, tx.Now)
		if _, err := Enqueue(ctx, tx, Message{EventKey: key, To: a.phone, Body: body}); err != nil {
			return nil, err
		}
		return []sentReminder{{what: "correction: new times", schedule: sh.schedule, engineer: sh.engineer, start: sh.start, end: sh.end, queued: true}}, nil
	}
}

// remind inserts the row of sh and, for kind "reminder", texts it when the
// insert took: a row standing for the same shift (another replica's) wins.
func (a action) remind(ctx context.Context, tx *store.Tx, sh shift, kind string) ([]sentReminder, error) {
	id, ok, err := insertReminder(ctx, tx, sh, kind)
	if err != nil || !ok {
		return nil, err
	}
	if kind == "carried" {
		return []sentReminder{{what: "known to the engineer already", schedule: sh.schedule, engineer: sh.engineer, start: sh.start, end: sh.end}}, nil
	}
	body := reminderText(reminderTexts.remind, sh, shift{}, tx.Now)
	if _, err := Enqueue(ctx, tx, Message{EventKey: fmt.Sprintf("shift:%d", id), To: a.phone, Body: body}); err != nil {
		return nil, err
	}
	return []sentReminder{{what: "reminder", schedule: sh.schedule, engineer: sh.engineer, start: sh.start, end: sh.end, queued: true}}, nil
}

// insertReminder records that sh's engineer was told of it (or carried);
// ok is false when a standing row already says so.
func insertReminder(ctx context.Context, tx *store.Tx, sh shift, kind string) (id int64, ok bool, err error) {
	err = tx.Get(ctx, &id, `INSERT INTO shift_reminders (schedule, timezone, engineer, starts_at, ends_at, kind, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
		sh.schedule, sh.loc.String(), sh.engineer, sh.start, sh.end, kind, tx.Now)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("record shift reminder of %s in %s at %s: %w", sh.engineer, sh.schedule, sh.start.Format(time.RFC3339), err)
	}
	return id, true, nil
}

// reminderText fills text's placeholders: {schedule}, {start} and {end} from
// sh, {was_start} and {was_end} from was, each as "Mon 09:00 MST" in the
// schedule's zone, with the date too when the weekday alone could mislead.
func reminderText(text string, sh, was shift, now time.Time) string {
	start, end := spell(sh.loc, sh.start, sh.end, now)
	wasStart, wasEnd := spell(sh.loc, was.start, was.end, now)
	return strings.NewReplacer("{schedule}", sh.schedule, "{start}", start, "{end}", end,
		"{was_start}", wasStart, "{was_end}", wasEnd).Replace(text)
}

// spell words a shift's bounds. A weekday names the right day when the
// start is within six days of now and the end within a week of the start;
// otherwise both carry the date.
func spell(loc *time.Location, start, end, now time.Time) (string, string) {
	if start.IsZero() {
		return "", ""
	}
	if loc == nil {
		loc = time.UTC
	}
	s, e := start.In(loc), end.In(loc)
	layout := "Mon 15:04 MST"
	if e.After(s.AddDate(0, 0, 7)) || s.After(now.AddDate(0, 0, 6)) || s.Before(now.AddDate(0, 0, -6)) {
		layout = "Mon 2006-01-02 15:04 MST"
	}
	return s.Format(layout), e.Format(layout)
}
