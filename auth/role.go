package auth

import (
	"context"
	"slices"

	"supportline/errcode"
	"supportline/oncall"
)

// Role is what a token or a console user may do. The set is
// small on purpose: GoAlert's API keys did with two roles for years.
type Role string

// The roles.
const (
	// Viewer reads everything except secrets.
	Viewer Role = "viewer"
	// Engineer is tied to one engineer handle: reads, works tickets, and
	// changes overrides of the schedules that engineer is a member of.
	Engineer Role = "engineer"
	// Admin does everything except manage tokens, which only the CLI on
	// the server does.
	Admin Role = "admin"
)

// Roles lists the roles, for messages and flag help.
var Roles = []Role{Admin, Engineer, Viewer}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Action is a kind of request a role is checked against. Handlers (the
// API, the console) name the action of each operation; the rule of who may
// do it lives here only.
type Action string

// The actions.
const (
	// Read is reading anything that is not a secret: accounts, contacts,
	// tickets, schedules, calls, the outbox, the audit log.
	Read Action = "read"
	// ReadSecrets is reading what only an admin sees (e.g. a PIN's
	// status details).
	ReadSecrets Action = "read_secrets"
	// TicketWork is acknowledging, noting, resolving and reopening tickets.
	TicketWork Action = "ticket_work"
	// OverrideOwn is adding or removing an override of a schedule the
	// caller is a member of; an admin may change any schedule's. The
	// membership half of the rule needs data: see [Principal.MayOverride].
	OverrideOwn Action = "override_own"
	// AdminWork is every other change: accounts, contacts, PINs,
	// engineers, schedules, overrides of any schedule.
	AdminWork Action = "admin"
	// ManageTokens is creating, listing and revoking tokens: no role may,
	// over the network; only the CLI on the server does it.
	ManageTokens Action = "tokens"
)

// allowed is the whole rule: which role may do which action.
var allowed = map[Role][]Action{
	Viewer:   {Read},
	Engineer: {Read, TicketWork, OverrideOwn},
	Admin:    {Read, ReadSecrets, TicketWork, OverrideOwn, AdminWork},
}

// Allows reports whether role r may do action a. An unknown role may do
// nothing, and no role may manage tokens.
func (r Role) Allows(a Action) bool { return slices.Contains(allowed[r], a) }

// The kinds of principal.
const (
	KindToken = "token"
	KindUser  = "user"
)

// Principal is who a request acts as: the API token it carried, or the
// console user whose session it is.
type Principal struct {
	// Kind is what authenticated: KindToken or KindUser.
	Kind string `json:"kind"`
	// Name is the token's name or the user's e-mail.
	Name string `json:"name"`
	Role Role   `json:"role"`
	// Engineer is the engineer handle of an Engineer token; empty for
	// other roles.
	Engineer string `json:"engineer,omitempty"`
}

// Actor is the actor of the audit events the principal's changes record:
// "token:NAME" or "user:EMAIL".
func (p Principal) Actor() string { return p.Kind + ":" + p.Name }

// Allows reports whether the principal's role may do a.
func (p Principal) Allows(a Action) bool { return p.Role.Allows(a) }

// MayOverride reports whether the principal may add or remove an override
// of a schedule whose members (engineer handles, in any order, repeats
// allowed) are given: an admin always, an engineer only of a schedule they
// are a member of, nobody else.
func (p Principal) MayOverride(members []string) bool {
	switch {
	case p.Role.Allows(AdminWork):
		return true
	case p.Role.Allows(OverrideOwn):
		return p.Engineer != "" && slices.Contains(members, p.Engineer)
	default:
		return false
	}
}

// CheckOverride is MayOverride for the schedule named, as every face
// asks it before adding or removing an override: nil for an admin without
// a lookup (the domain reports an unknown schedule); otherwise the
// schedule's members are read (an unknown schedule is the lookup's
// errcode.NotFound) and a schedule p is not a member of is
// errcode.Forbidden.
func (p Principal) CheckOverride(ctx context.Context, schedules *oncall.Service, schedule string) error {
	if p.MayOverride(nil) {
		return nil
	}
	sch, err := schedules.Schedule(ctx, schedule)
	if err != nil {
		return err
	}
	if !p.MayOverride(sch.Members) {
		return errcode.Errorf(errcode.Forbidden, "%s %s may change only the overrides of schedules engineer %q is a member of, and %s is not one",
			p.Kind, p.Name, p.Engineer, sch.Name)
	}
	return nil
}

// Describe names an action in a refusal: "role viewer may not ...".
func Describe(a Action) string {
	switch a {
	case Read:
		return "read"
	case ReadSecrets:
		return "read secrets such as a PIN's status"
	case TicketWork:
		return "work tickets"
	case OverrideOwn:
		return "change overrides"
	case AdminWork:
		return "make this change (it needs an admin)"
	default:
		return "do this"
	}
}

// ActsAs is the engineer that p's acknowledgement of a ticket records as
// the responder, when p names handle (empty: none named). An engineer
// (token or user) acknowledges as their own engineer only: naming another
// is errcode.Forbidden; anyone else acknowledges as the handle named.
func (p Principal) ActsAs(handle string) (string, error) {
	if p.Engineer == "" {
		return handle, nil
	}
	if handle != "" && handle != p.Engineer {
		return "", errcode.Errorf(errcode.Forbidden, "%s %s acknowledges as engineer %s only, not as %s", p.Kind, p.Name, p.Engineer, handle)
	}
	return p.Engineer, nil
}
