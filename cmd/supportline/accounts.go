package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"supportline/accounts"
	"supportline/audit"
	"supportline/errcode"
)

// accountsService is the accounts service of the account and contact
// commands, with the PIN service it forgets removed contacts' PINs
// through. That PIN service needs no key for unmatched entries here: it
// only deletes credentials.
func (a *app) accountsService(ctx context.Context) (*accounts.Service, error) {
	svc, err := a.services(ctx)
	if err != nil {
		return nil, err
	}
	return svc.Accounts, nil
}

// changesText is the human form of an edit's changes: `name "A" -> "B",
// phone "+1..." -> "+1..."`.
func changesText(changes []accounts.Change) string {
	parts := make([]string, len(changes))
	for i, c := range changes {
		parts[i] = fmt.Sprintf("%s %q -> %q", c.Field, c.Old, c.New)
	}
	return strings.Join(parts, ", ")
}

func (a *app) accountCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "account", Short: "Manage customer accounts"}

	var in accounts.NewAccount
	add := &cobra.Command{
		Use:   "add",
		Short: "Create an account",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, err := a.accountsService(cmd.Context())
			if err != nil {
				return err
			}
			acc, err := svc.AddAccount(cmd.Context(), a.who(), in)
			if err != nil {
				return err
			}
			return a.emit(acc, func() {
				fmt.Fprintf(a.stdout, "account %s created: %s, plan %s\n", acc.Number, acc.Name, acc.Plan)
			})
		},
	}
	add.Flags().StringVar(&in.Name, "name", "", "account (company) name (required)")
	add.Flags().StringVar(&in.Plan, "plan", "", "support plan from the policy file (required)")
	add.Flags().StringVar(&in.Number, "number", "", "account number, 6 to 12 digits (generated when omitted)")

	list := &cobra.Command{
		Use:   "list",
		Short: "List accounts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, err := a.accountsService(cmd.Context())
			if err != nil {
				return err
			}
			accs, err := svc.Accounts(cmd.Context())
			if err != nil {
				return err
			}
			return a.emit(nonNil(accs), func() {
				rows := make([][]string, len(accs))
				for i, acc := range accs {
					rows[i] = []string{acc.Number, acc.Name, acc.Plan, a.limitText(acc.Plan, acc.Contacts), ts(acc.CreatedAt)}
				}
				a.table([]string{"NUMBER", "NAME", "PLAN", "CONTACTS", "CREATED"}, rows)
			})
		},
	}

	show := &cobra.Command{
		Use:   "show NUMBER",
		Short: "Show an account and its contacts",
		Args:  exactArgs(1, "an account number"),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := a.accountsService(cmd.Context())
			if err != nil {
				return err
			}
			acc, err := svc.Account(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			contacts, err := svc.Contacts(cmd.Context(), acc.Number)
			if err != nil {
				return err
			}
			out := struct {
				accounts.Account
				ContactList []accounts.Contact `json:"contact_list"`
			}{acc, nonNil(contacts)}
			return a.emit(out, func() {
				fmt.Fprintf(a.stdout, "Account %s: %s\nPlan:     %s\nContacts: %s\nCreated:  %s\n\n",
					acc.Number, acc.Name, acc.Plan, a.limitText(acc.Plan, acc.Contacts), ts(acc.CreatedAt))
				a.contactTable(contacts)
			})
		},
	}

	setPlan := &cobra.Command{
		Use:   "set-plan NUMBER PLAN",
		Short: "Move an account to another plan",
		Args:  exactArgs(2, "an account number and a plan"),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := a.accountsService(cmd.Context())
			if err != nil {
				return err
			}
			acc, err := svc.SetPlan(cmd.Context(), a.who(), args[0], args[1])
			if err != nil {
				return err
			}
			return a.emit(acc, func() { fmt.Fprintf(a.stdout, "account %s is now on plan %s\n", acc.Number, acc.Plan) })
		},
	}
	var newName string
	setName := &cobra.Command{
		Use:   "set-name NUMBER --name NAME",
		Short: "Rename an account",
		Args:  exactArgs(1, "an account number"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("name") {
				return usageError{fmt.Sprintf("%s needs --name NAME (usage: %s)", cmd.CommandPath(), cmd.UseLine())}
			}
			svc, err := a.accountsService(cmd.Context())
			if err != nil {
				return err
			}
			acc, changes, err := svc.SetName(cmd.Context(), a.who(), args[0], newName)
			if err != nil {
				return err
			}
			out := struct {
				accounts.Account
				Changed []accounts.Change `json:"changed"`
			}{acc, nonNil(changes)}
			return a.emit(out, func() {
				if len(changes) == 0 {
					fmt.Fprintf(a.stdout, "account %s is already named %q; nothing changed\n", acc.Number, acc.Name)
					return
				}
				fmt.Fprintf(a.stdout, "account %s renamed: %s\n", acc.Number, changesText(changes))
			})
		},
	}
	setName.Flags().StringVar(&newName, "name", "", "the account's new (company) name (required)")
	cmd.AddCommand(add, list, show, setPlan, setName)
	return cmd
}

// limitText shows a contact count against the plan's limit, e.g. "3 of 4".
func (a *app) limitText(plan string, n int) string {
	if p, ok := a.policy.Plan(plan); ok && p.NamedContacts > 0 {
		return fmt.Sprintf("%d of %d", n, p.NamedContacts)
	}
	return strconv.Itoa(n)
}

func (a *app) contactCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "contact", Short: "Manage the named contacts allowed to call"}

	var in accounts.NewContact
	add := &cobra.Command{
		Use:   "add",
		Short: "Name a contact on an account and print their support ID",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, err := a.accountsService(cmd.Context())
			if err != nil {
				return err
			}
			c, err := svc.AddContact(cmd.Context(), a.who(), in)
			if err != nil {
				return err
			}
			return a.emit(c, func() {
				fmt.Fprintf(a.stdout, "contact %s added to account %s (%s)\nsupport ID: %s\n", c.Name, c.AccountNumber, c.AccountName, c.SupportID)
			})
		},
	}
	add.Flags().StringVar(&in.AccountNumber, "account", "", "account number (required)")
	add.Flags().StringVar(&in.Name, "name", "", "the contact's name (required)")
	add.Flags().StringVar(&in.Phone, "phone", "", "the contact's phone in E.164, e.g. +17205550100 (required)")
	add.Flags().StringVar(&in.Email, "email", "", "the contact's email")

	var account string
	list := &cobra.Command{
		Use:   "list",
		Short: "List contacts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, err := a.accountsService(cmd.Context())
			if err != nil {
				return err
			}
			cs, err := svc.Contacts(cmd.Context(), account)
			if err != nil {
				return err
			}
			return a.emit(nonNil(cs), func() { a.contactTable(cs) })
		},
	}
	list.Flags().StringVar(&account, "account", "", "only this account's contacts")

	remove := &cobra.Command{
		Use:   "remove SUPPORT_ID",
		Short: "Remove a contact (their support ID stops working)",
		Args:  exactArgs(1, "a support ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := a.accountsService(cmd.Context())
			if err != nil {
				return err
			}
			c, err := svc.RemoveContact(cmd.Context(), a.who(), args[0])
			if err != nil {
				return err
			}
			return a.emit(c, func() {
				fmt.Fprintf(a.stdout, "contact %s (%s) removed from account %s\n", c.SupportID, c.Name, c.AccountNumber)
			})
		},
	}
	var change struct{ name, phone, email string }
	set := &cobra.Command{
		Use:   "set SUPPORT_ID [--name NAME] [--phone E164] [--email EMAIL]",
		Short: "Change a contact's name, phone or email (only the flags given)",
		Args:  exactArgs(1, "a support ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var in accounts.ContactChange
			flags := cmd.Flags()
			if flags.Changed("name") {
				in.Name = &change.name
			}
			if flags.Changed("phone") {
				in.Phone = &change.phone
			}
			if flags.Changed("email") {
				in.Email = &change.email
			}
			if in == (accounts.ContactChange{}) {
				return usageError{fmt.Sprintf("%s needs at least one of --name, --phone, --email (usage: %s)", cmd.CommandPath(), cmd.UseLine())}
			}
			svc, err := a.accountsService(cmd.Context())
			if err != nil {
				return err
			}
			c, changes, err := svc.SetContact(cmd.Context(), a.who(), args[0], in)
			if err != nil {
				return err
			}
			out := struct {
				accounts.Contact
				Changed []accounts.Change `json:"changed"`
			}{c, nonNil(changes)}
			return a.emit(out, func() {
				if len(changes) == 0 {
					fmt.Fprintf(a.stdout, "contact %s (%s): nothing changed\n", c.SupportID, c.Name)
					return
				}
				fmt.Fprintf(a.stdout, "contact %s updated: %s\n", c.SupportID, changesText(changes))
			})
		},
	}
	set.Flags().StringVar(&change.name, "name", "", "the contact's new name")
	set.Flags().StringVar(&change.phone, "phone", "", "the contact's new phone in E.164, e.g. +17205550100")
	set.Flags().StringVar(&change.email, "email", "", `the contact's new email ("" removes it)`)
	cmd.AddCommand(add, list, set, remove)
	return cmd
}

func (a *app) contactTable(cs []accounts.Contact) {
	rows := make([][]string, len(cs))
	for i, c := range cs {
		rows[i] = []string{c.SupportID, c.Name, c.Phone, c.Email, c.AccountNumber, c.AccountName, ts(c.CreatedAt)}
	}
	a.table([]string{"SUPPORT ID", "NAME", "PHONE", "EMAIL", "ACCOUNT", "ACCOUNT NAME", "ADDED"}, rows)
}

func (a *app) auditCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Read the audit log"}
	var f audit.Filter
	var since, until string
	list := &cobra.Command{
		Use:   "list",
		Short: "List audit events, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, w := range []struct {
				flag, v string
				to      *time.Time
			}{{"since", since, &f.Since}, {"until", until, &f.Until}} {
				if w.v == "" {
					continue
				}
				t, err := time.Parse(time.RFC3339, w.v)
				if err != nil {
					return errcode.Errorf(errcode.Invalid, "--%s %q is not an RFC 3339 time such as 2026-11-21T09:00:00Z", w.flag, w.v)
				}
				*w.to = t
			}
			db, err := a.openDB(cmd.Context())
			if err != nil {
				return err
			}
			evs, err := (&audit.Service{DB: db}).List(cmd.Context(), f)
			if err != nil {
				return err
			}
			return a.emit(nonNil(evs), func() {
				rows := make([][]string, len(evs))
				for i, e := range evs {
					rows[i] = []string{ts(e.At), e.Actor, e.Action, deref(e.AccountNumber), deref(e.SupportID), e.Subject, e.Caller, e.Result, e.Detail}
				}
				a.table([]string{"AT", "ACTOR", "ACTION", "ACCOUNT", "SUPPORT ID", "SUBJECT", "CALLER", "RESULT", "DETAIL"}, rows)
			})
		},
	}
	list.Flags().StringVar(&f.SupportID, "contact", "", "only events about this support ID")
	list.Flags().StringVar(&f.Subject, "subject", "", "only events about this subject, e.g. ticket:100001")
	list.Flags().StringVar(&f.Actor, "actor-is", "", "only events by this actor, e.g. token:crm or alice")
	list.Flags().StringVar(&since, "since", "", "only events at or after this RFC 3339 time")
	list.Flags().StringVar(&until, "until", "", "only events before this RFC 3339 time")
	list.Flags().IntVar(&f.Limit, "limit", audit.DefaultListLimit, "at most this many of the newest events (1 to 10000)")
	cmd.AddCommand(list)
	return cmd
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// nonNil makes an empty list print as [] rather than null in JSON.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Sprintf("%s needs %s (usage: %s)", cmd.CommandPath(), what, cmd.UseLine())}
		}
		return nil
	}
}
