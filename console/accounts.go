package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"supportline/accounts"
	"supportline/auth"
	"supportline/errcode"
	"supportline/pins"
)

// The accounts pages: accounts with their plans and contact limits, the
// named contacts, and a contact's PIN (status, rotate, revoke, unlock).
// Every change is one accounts or pins method with the user's actor; the
// domain checks, refuses in its words and audits.

var (
	doneAccountAdded     = notice("account-added", "Account added. Name its contacts below.")
	doneAccountRenamed   = notice("account-renamed", "Account renamed.")
	doneAccountSameName  = notice("account-same-name", "The account already has that name; nothing changed.")
	doneAccountPlan      = notice("account-plan", "Plan changed.")
	doneContactAdded     = notice("contact-added", "Contact added with a new support ID. Rotate their PIN below to give them one.")
	doneContactChanged   = notice("contact-changed", "Contact changed.")
	doneContactUnchanged = notice("contact-unchanged", "Nothing changed: every field had that value already.")
	doneContactRemoved   = notice("contact-removed", "Contact removed: their support ID no longer works and their PIN is forgotten.")
	donePinRotated       = notice("pin-rotated", "New PIN issued: the old one no longer works.")
	donePinRevoked       = notice("pin-revoked", "PIN revoked: no PIN works for this contact until the next rotate.")
	donePinUnlocked      = notice("pin-unlocked", "Lockout lifted: failures and calling-number failures about this contact are cleared.")
)

func (s *Server) registerAccounts(g *echo.Group) {
	g.GET("/accounts", s.signedIn(auth.Read, s.accountsPage))
	g.POST("/accounts", s.signedIn(auth.AdminWork, s.addAccount))
	g.GET("/accounts/:number", s.signedIn(auth.Read, s.accountPage))
	g.POST("/accounts/:number/name", s.signedIn(auth.AdminWork, s.renameAccount))
	g.POST("/accounts/:number/plan", s.signedIn(auth.AdminWork, s.setAccountPlan))
	g.POST("/accounts/:number/contacts", s.signedIn(auth.AdminWork, s.addContact))
	g.GET("/contacts/:id", s.signedIn(auth.Read, s.contactPage))
	g.POST("/contacts/:id", s.signedIn(auth.AdminWork, s.changeContact))
	g.POST("/contacts/:id/remove", s.signedIn(auth.AdminWork, s.removeContact))
	g.POST("/contacts/:id/pin/rotate", s.signedIn(auth.AdminWork, s.rotatePin))
	g.POST("/contacts/:id/pin/revoke", s.signedIn(auth.AdminWork, s.revokePin))
	g.POST("/contacts/:id/pin/unlock", s.signedIn(auth.AdminWork, s.unlockPin))
}

// listedAccount is an account with its contacts against its plan's limit
// in words ("3 of 5 contacts").
type listedAccount struct {
	accounts.Account
	Limit string
	// Full is whether the plan's limit is reached: adding a contact will
	// be refused.
	Full bool
}

// planOption is a plan of the policy file for a select.
type planOption struct{ Name, Label string }

type accountsData struct {
	Q        string
	Accounts []listedAccount
	// Contacts are the contacts whose name, phone or support ID match Q.
	Contacts []accounts.Contact
	Plans    []planOption
}

type accountData struct {
	Account  listedAccount
	Phone    bool // the plan has phone support
	Contacts []accounts.Contact
	Plans    []planOption
	// Posted is the form whose error the page shows ("rename", "plan",
	// "contact"), which then shows what was typed rather than what is
	// stored.
	Posted string
}

type contactData struct {
	Contact accounts.Contact
	// Pin is the PIN's status, for who may read secrets; nil otherwise.
	Pin *pins.Status
	// NewPIN is the PIN a rotate just issued, on the first page after it
	// only.
	NewPIN string
	Posted string
}

// listed is a with its limit in words.
func (s *Server) listed(a accounts.Account) listedAccount {
	l := listedAccount{Account: a}
	p, ok := s.Policy.Plan(a.Plan)
	switch {
	case ok && p.NamedContacts > 0:
		l.Limit = fmt.Sprintf("%d of %d contacts", a.Contacts, p.NamedContacts)
		l.Full = a.Contacts >= p.NamedContacts
	case a.Contacts == 1:
		l.Limit = "1 contact (no limit)"
	default:
		l.Limit = fmt.Sprintf("%d contacts (no limit)", a.Contacts)
	}
	return l
}

func (s *Server) planOptions() []planOption {
	var out []planOption
	for _, name := range s.Policy.PlanNames() {
		p, _ := s.Policy.Plan(name)
		label := name + ": no contact limit"
		switch {
		case p.NamedContacts == 1:
			label = name + ": 1 contact"
		case p.NamedContacts > 1:
			label = fmt.Sprintf("%s: up to %d contacts", name, p.NamedContacts)
		}
		if !p.Phone {
			label += ", no phone support"
		}
		out = append(out, planOption{Name: name, Label: label})
	}
	return out
}

func (s *Server) accountsPage(c echo.Context, _ auth.User) error {
	v, err := s.accountsView(c, strings.TrimSpace(c.QueryParam("q")))
	if err != nil {
		return s.fail(c, err)
	}
	return s.render(c, http.StatusOK, "accounts", v)
}

// accountsView lists the accounts matching q: by the account's name or
// number, or by a contact's name, phone or support ID (then the contact's
// account too). accounts has no search of its own; thousands of accounts
// are filtered here in well under a millisecond.
func (s *Server) accountsView(c echo.Context, q string) (view, error) {
	v := view{Title: "Accounts", Nav: "accounts"}
	list, err := s.Accounts.Accounts(ctx(c))
	if err != nil {
		return v, err
	}
	d := accountsData{Q: q, Plans: s.planOptions()}
	viaContact := map[string]bool{}
	if q != "" {
		all, err := s.Accounts.Contacts(ctx(c), "")
		if err != nil {
			return v, err
		}
		for _, ct := range all {
			if contactMatches(ct, q) {
				d.Contacts = append(d.Contacts, ct)
				viaContact[ct.AccountNumber] = true
			}
		}
	}
	for _, a := range list {
		if q == "" || viaContact[a.Number] || accountMatches(a, q) {
			d.Accounts = append(d.Accounts, s.listed(a))
		}
	}
	v.Data = d
	return v, nil
}

func accountMatches(a accounts.Account, q string) bool {
	return strings.Contains(strings.ToLower(a.Name), strings.ToLower(q)) || strings.Contains(a.Number, q)
}

// contactMatches is whether the contact's name holds q, or its phone or
// support ID holds q's digits (typed with any separators: "720 555-0100").
func contactMatches(ct accounts.Contact, q string) bool {
	if strings.Contains(strings.ToLower(ct.Name), strings.ToLower(q)) {
		return true
	}
	digits := strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9':
			return r
		case strings.ContainsRune("+ -.()", r):
			return -1
		}
		return 'x' // not a number: matches no phone
	}, q)
	return len(digits) >= 3 && (strings.Contains(ct.Phone, digits) || strings.Contains(ct.SupportID, digits))
}

func (s *Server) addAccount(c echo.Context, u auth.User) error {
	in := accounts.NewAccount{Name: c.FormValue("name"), Plan: c.FormValue("plan"), Number: strings.TrimSpace(c.FormValue("number"))}
	a, err := s.Accounts.AddAccount(ctx(c), u.Principal().Actor(), in)
	if err != nil {
		v, verr := s.accountsView(c, "")
		if verr != nil {
			return s.fail(c, verr)
		}
		return s.formError(c, "accounts", v, formField(err, "name", "plan", "number"), err)
	}
	return redirect(c, "/accounts/"+a.Number, doneAccountAdded)
}

func (s *Server) accountPage(c echo.Context, _ auth.User) error {
	v, err := s.accountView(c, c.Param("number"), "")
	if err != nil {
		return s.fail(c, err)
	}
	return s.render(c, http.StatusOK, "account", v)
}

func (s *Server) accountView(c echo.Context, number, posted string) (view, error) {
	a, err := s.Accounts.Account(ctx(c), number)
	if err != nil {
		return view{}, err
	}
	contacts, err := s.Accounts.Contacts(ctx(c), a.Number)
	if err != nil {
		return view{}, err
	}
	p, _ := s.Policy.Plan(a.Plan)
	return view{Title: fmt.Sprintf("Account %s: %s", a.Number, a.Name), Nav: "accounts",
		Data: accountData{Account: s.listed(a), Phone: p.Phone, Contacts: contacts, Plans: s.planOptions(), Posted: posted}}, nil
}

// accountFormError shows err next to field of the account page's form
// posted; an error about the account itself (unknown, a malformed number)
// is the error page, since the account's page cannot be shown.
func (s *Server) accountFormError(c echo.Context, posted, field string, err error) error {
	v, verr := s.accountView(c, c.Param("number"), posted)
	if verr != nil {
		return s.fail(c, verr)
	}
	return s.formError(c, "account", v, field, err)
}

func (s *Server) renameAccount(c echo.Context, u auth.User) error {
	name := c.FormValue("name")
	a, changes, err := s.Accounts.SetName(ctx(c), u.Principal().Actor(), c.Param("number"), name)
	if err != nil {
		return s.accountFormError(c, "rename", formField(err, "name"), err)
	}
	if len(changes) == 0 {
		return redirect(c, "/accounts/"+a.Number, doneAccountSameName)
	}
	return redirect(c, "/accounts/"+a.Number, doneAccountRenamed)
}

func (s *Server) setAccountPlan(c echo.Context, u auth.User) error {
	a, err := s.Accounts.SetPlan(ctx(c), u.Principal().Actor(), c.Param("number"), c.FormValue("plan"))
	if err != nil {
		// An unknown plan, or one whose limit is below the account's
		// contacts.
		return s.accountFormError(c, "plan", formField(err, "plan"), err)
	}
	return redirect(c, "/accounts/"+a.Number, doneAccountPlan)
}

func (s *Server) addContact(c echo.Context, u auth.User) error {
	in := accounts.NewContact{AccountNumber: c.Param("number"),
		Name: c.FormValue("contact_name"), Phone: c.FormValue("contact_phone"), Email: c.FormValue("contact_email")}
	ct, err := s.Accounts.AddContact(ctx(c), u.Principal().Actor(), in)
	if err != nil {
		// The form's fields are contact_name, contact_phone and
		// contact_email; the plan's limit, about no field, goes at the top
		// of the form. A malformed or unknown account number fails the
		// page itself.
		field := "contact"
		if f := formField(err, "name", "phone", "email"); f != "" {
			field = "contact_" + f
		}
		return s.accountFormError(c, "contact", field, err)
	}
	return redirect(c, "/contacts/"+ct.SupportID, doneContactAdded)
}

// contactPath is a contact's page.
func contactPath(supportID string) string { return "/contacts/" + url.PathEscape(supportID) }

func (s *Server) contactPage(c echo.Context, u auth.User) error {
	id := c.Param("id")
	v, err := s.contactView(c, u, id, "")
	if err != nil {
		return s.fail(c, err)
	}
	d := v.Data.(contactData)
	// The new PIN of a rotate, sealed in a cookie for this page only;
	// taking it clears it, so a reload does not show it again.
	d.NewPIN = s.takeOnce(c, contactPath(id))
	v.Data = d
	return s.render(c, http.StatusOK, "contact", v)
}

func (s *Server) contactView(c echo.Context, u auth.User, id, posted string) (view, error) {
	ct, err := s.Accounts.Contact(ctx(c), id)
	if err != nil {
		return view{}, err
	}
	d := contactData{Contact: ct, Posted: posted}
	if u.Principal().Allows(auth.ReadSecrets) {
		st, err := s.Pins.Status(ctx(c), ct.SupportID)
		if err != nil {
			return view{}, err
		}
		d.Pin = &st
	}
	return view{Title: fmt.Sprintf("Contact %s: %s", ct.SupportID, ct.Name), Nav: "accounts", Data: d}, nil
}

// contactFormError shows err next to field on the contact's page; an
// error about the contact itself is the error page.
func (s *Server) contactFormError(c echo.Context, u auth.User, posted, field string, err error) error {
	if errcode.Is(err, errcode.NotFound) || errcode.CodeOf(err) == errcode.Internal {
		return s.fail(c, err)
	}
	v, verr := s.contactView(c, u, c.Param("id"), posted)
	if verr != nil {
		return s.fail(c, verr)
	}
	return s.formError(c, "contact", v, field, err)
}

func (s *Server) changeContact(c echo.Context, u auth.User) error {
	form, err := c.FormParams()
	if err != nil {
		return s.fail(c, errcode.New(errcode.Invalid, "the form could not be read"))
	}
	// Only the fields sent change, as the CLI's flags and the API's
	// fields; the page's form sends all three.
	var in accounts.ContactChange
	field := func(name string) *string {
		if vals, ok := form[name]; ok && len(vals) > 0 {
			return &vals[0]
		}
		return nil
	}
	in.Name, in.Phone, in.Email = field("name"), field("phone"), field("email")
	ct, changes, err := s.Accounts.SetContact(ctx(c), u.Principal().Actor(), c.Param("id"), in)
	if err != nil {
		// Anything but a field of the form (nothing to change) goes above
		// it; a malformed support ID fails the page itself.
		return s.contactFormError(c, u, "change", formField(err, "name", "phone", "email"), err)
	}
	if len(changes) == 0 {
		return redirect(c, contactPath(ct.SupportID), doneContactUnchanged)
	}
	return redirect(c, contactPath(ct.SupportID), doneContactChanged)
}

func (s *Server) removeContact(c echo.Context, u auth.User) error {
	id := c.Param("id")
	if c.FormValue("confirm") != "yes" {
		// The contact must exist for the page to show the refusal.
		return s.contactFormError(c, u, "remove", "confirm",
			errcode.New(errcode.Invalid, "tick “yes, remove this contact” to confirm; nothing was removed"))
	}
	ct, err := s.Accounts.RemoveContact(ctx(c), u.Principal().Actor(), id)
	if err != nil {
		return s.fail(c, err)
	}
	return redirect(c, "/accounts/"+ct.AccountNumber, doneContactRemoved)
}

func (s *Server) rotatePin(c echo.Context, u auth.User) error {
	id := c.Param("id")
	pin, err := s.Pins.Rotate(ctx(c), u.Principal().Actor(), id)
	if err != nil {
		return s.contactFormError(c, u, "pin", "pin", err)
	}
	// Neither stored, logged nor put in the URL: sealed for the next
	// view of the contact's page in this browser only.
	if err := s.setOnce(c, contactPath(id), pin); err != nil {
		return s.fail(c, fmt.Errorf("keep the new PIN for the page: %w", err))
	}
	return redirect(c, contactPath(id), donePinRotated)
}

func (s *Server) revokePin(c echo.Context, u auth.User) error {
	id := c.Param("id")
	if err := s.Pins.Revoke(ctx(c), u.Principal().Actor(), id); err != nil {
		return s.contactFormError(c, u, "pin", "pin", err)
	}
	return redirect(c, contactPath(id), donePinRevoked)
}

func (s *Server) unlockPin(c echo.Context, u auth.User) error {
	id := c.Param("id")
	if err := s.Pins.Unlock(ctx(c), u.Principal().Actor(), id); err != nil {
		return s.contactFormError(c, u, "pin", "pin", err)
	}
	return redirect(c, contactPath(id), donePinUnlocked)
}
