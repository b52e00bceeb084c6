package ivr

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"supportline/oncall"
	"supportline/store"
)

// Step is where a call is in the menu.
type Step string

// The steps of a call.
const (
	StepSupportID Step = "support_id" // keying the 8-digit support ID
	StepPIN       Step = "pin"        // keying the PIN
	StepPriority  Step = "priority"   // choosing a priority (or 9: escalate)
	StepConfirm   Step = "confirm"    // confirming the top priority
	StepEscalate  Step = "escalate"   // keying the ticket number to escalate
	StepDialing   Step = "dialing"    // ringing engineers one policy step at a time
	StepVoicemail Step = "voicemail"  // recording a message
	StepDone      Step = "done"       // the call has nothing more to do
)

// Words says where a call at the step is, for people watching the line
// (the console's calls in progress): "keying the PIN".
func (s Step) Words() string {
	switch s {
	case StepSupportID:
		return "keying the support ID"
	case StepPIN:
		return "keying the PIN"
	case StepPriority:
		return "choosing a priority"
	case StepConfirm:
		return "confirming the priority"
	case StepEscalate:
		return "keying a ticket number to escalate"
	case StepDialing:
		return "ringing engineers"
	case StepVoicemail:
		return "leaving a voicemail"
	case StepDone:
		return "finishing"
	}
	return string(s)
}

// Outcome is how a call ended, for reports.
type Outcome string

// Outcomes.
const (
	OutcomeNone       Outcome = ""
	OutcomeRefused    Outcome = "refused"     // plan without phone support
	OutcomeLocked     Outcome = "locked"      // lockout or throttle
	OutcomeUnverified Outcome = "unverified"  // too many wrong PINs
	OutcomeExpired    Outcome = "pin_expired" // expired PIN
	OutcomeNoInput    Outcome = "no_input"    // silence or nonsense until goodbye
	OutcomeConnected  Outcome = "connected"   // an engineer accepted
	OutcomeVoicemail  Outcome = "voicemail"   // left a message
	OutcomeNoMessage  Outcome = "no_message"  // reached voicemail, said nothing
	OutcomeEscalated  Outcome = "escalated"   // escalated an existing ticket
	OutcomeHungUp     Outcome = "hung_up"     // caller left before a ticket
	OutcomeFailed     Outcome = "failed"      // we could not serve the call
)

// Call is the state of one phone call.
type Call struct {
	CallSid     string `db:"call_sid"`
	From        string `db:"from_number"`
	To          string `db:"to_number"`
	Step        Step   `db:"step"`
	Seq         int    `db:"seq"`
	ViaCallerID bool   `db:"via_caller_id"`
	// SupportID is the support ID of the contact the caller claims to be
	// (keyed and matched, or from caller ID); not secret. EntryKey is
	// instead the keyed hash of an entry that matched no contact
	// (pins.Claim): that entry may have been the caller's PIN, so its
	// digits are never kept.
	SupportID   string     `db:"support_id"`
	EntryKey    string     `db:"entry_key"`
	ContactID   *int64     `db:"contact_id"`
	AccountID   *int64     `db:"account_id"`
	PINAttempts int        `db:"pin_attempts"`
	Misses      int        `db:"misses"` // consecutive silences or invalid entries at this step
	Priority    *int       `db:"priority"`
	TicketID    *int64     `db:"ticket_id"`
	Route       string     `db:"route"` // JSON []DialStep
	DialStep    int        `db:"dial_step"`
	Outcome     Outcome    `db:"outcome"`
	Status      string     `db:"status"`
	Duration    *int       `db:"duration"`
	CreatedAt   time.Time  `db:"created_at"`
	UpdatedAt   time.Time  `db:"updated_at"`
	EndedAt     *time.Time `db:"ended_at"`

	// Read with the call, from its account, contact and ticket.
	TicketNumber int64      `db:"ticket_number"`
	TicketTarget string     `db:"ticket_target"` // the SLA target as written, e.g. "1h"
	TicketClock  string     `db:"ticket_clock"`  // the SLA calendar's name
	TicketDue    *time.Time `db:"ticket_due"`
	Plan         string     `db:"plan"`
	AccountName  string     `db:"account_name"`
	ContactName  string     `db:"contact_name"`
	// RosterVersion is the on-call roster's version when the call was read
	// (oncall.Rosters).
	RosterVersion int64 `db:"roster_version"`

	// steps is Route decoded, once, when the call is read (loadCall);
	// routeErr says why it could not be (a row written by hand or by a
	// bug): such a call has no engineer to ring and takes a message
	// instead (Server.dialStep).
	steps    []DialStep
	routeErr error
}

// DialStep is one engineer to ring, frozen into the call when its ticket
// opens so every Dial action of the call sees the same list.
type DialStep struct {
	Handle     string `json:"handle"`
	Name       string `json:"name"`
	Number     string `json:"number"`
	RingSecs   int    `json:"ring_secs"`
	PolicyStep int    `json:"policy_step"`
	Schedule   string `json:"schedule"`
}

// decodeRoute fills steps from Route. An empty Route is no list (the call
// has no ticket yet, or goes to voicemail).
func (c *Call) decodeRoute() {
	c.steps, c.routeErr = nil, nil
	if c.Route == "" {
		return
	}
	if err := json.Unmarshal([]byte(c.Route), &c.steps); err != nil {
		c.steps, c.routeErr = nil, fmt.Errorf("decode the dial steps of call %s: %w", c.CallSid, err)
	}
}

func (c *Call) setDialSteps(steps []DialStep) {
	b, _ := json.Marshal(steps) // plain strings and ints: cannot fail
	c.Route, c.steps, c.routeErr = string(b), steps, nil
}

var errNoCall = errors.New("no such call")

const callSelect = `SELECT c.call_sid, c.from_number, c.to_number, c.step, c.seq, c.via_caller_id, c.support_id, c.entry_key,
		c.contact_id, c.account_id, c.pin_attempts, c.misses, c.priority, c.ticket_id, c.route, c.dial_step, c.outcome,
		c.status, c.duration, c.created_at, c.updated_at, c.ended_at,
		COALESCE(a.plan, '') AS plan, COALESCE(a.name, '') AS account_name, COALESCE(ct.name, '') AS contact_name,
		COALESCE(t.number, 0) AS ticket_number, COALESCE(t.target, '') AS ticket_target,
		COALESCE(t.clock, '') AS ticket_clock, t.response_due AS ticket_due, ` + oncall.VersionColumn + ` AS roster_version
	FROM calls c LEFT JOIN accounts a ON a.id = c.account_id LEFT JOIN contacts ct ON ct.id = c.contact_id
		LEFT JOIN tickets t ON t.id = c.ticket_id`

// loadCall reads the call with its account's, contact's and ticket's
// details; errNoCall when there is no such call.
func loadCall(ctx context.Context, q store.Querier, sid string) (Call, error) {
	var c Call
	err := q.Get(ctx, &c, callSelect+` WHERE c.call_sid = ?`, sid)
	if errors.Is(err, sql.ErrNoRows) {
		return c, errNoCall
	}
	if err != nil {
		return c, fmt.Errorf("load call %s: %w", sid, err)
	}
	c.decodeRoute()
	return c, nil
}

// insertCall creates the call row unless it exists (a retried first webhook);
// it reports whether it created it.
func insertCall(ctx context.Context, q store.Querier, c Call) (bool, error) {
	res, err := q.Exec(ctx, `INSERT INTO calls (call_sid, from_number, to_number, step, seq, via_caller_id, support_id,
			contact_id, account_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?) ON CONFLICT (call_sid) DO NOTHING`,
		c.CallSid, c.From, c.To, c.Step, c.ViaCallerID, c.SupportID, c.ContactID, c.AccountID, q.At(), q.At())
	if err != nil {
		return false, fmt.Errorf("insert call %s: %w", c.CallSid, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// saveCall writes c's mutable state and advances seq, but only if the row is
// still at seq `from`: of two copies of one webhook, exactly one moves the
// call; the other learns it lost (false) and re-prompts.
func saveCall(ctx context.Context, q store.Querier, c *Call, from int) (bool, error) {
	res, err := q.Exec(ctx, `UPDATE calls SET step = ?, seq = ?, support_id = ?, entry_key = ?, contact_id = ?, account_id = ?,
			pin_attempts = ?, misses = ?, priority = ?, ticket_id = ?, route = ?, dial_step = ?, outcome = ?, updated_at = ?
		WHERE call_sid = ? AND seq = ?`,
		c.Step, from+1, c.SupportID, c.EntryKey, c.ContactID, c.AccountID, c.PINAttempts, c.Misses, c.Priority, c.TicketID,
		c.Route, c.DialStep, c.Outcome, q.At(), c.CallSid, from)
	if err != nil {
		return false, fmt.Errorf("save call %s: %w", c.CallSid, err)
	}
	n, _ := res.RowsAffected()
	if n == 1 {
		c.Seq = from + 1
		c.UpdatedAt = q.At()
	}
	return n == 1, nil
}

// endCall records Twilio's final status; a call that never reached a ticket
// and has no outcome is marked as the caller hanging up.
func endCall(ctx context.Context, q store.Querier, sid, status string, duration *int) error {
	_, err := q.Exec(ctx, `UPDATE calls SET status = ?, duration = ?, ended_at = COALESCE(ended_at, ?),
			outcome = CASE WHEN outcome = '' AND ticket_id IS NULL THEN ? ELSE outcome END, updated_at = ?
		WHERE call_sid = ?`, status, duration, q.At(), OutcomeHungUp, q.At(), sid)
	if err != nil {
		return fmt.Errorf("end call %s: %w", sid, err)
	}
	return nil
}
