package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"supportline/accounts"
	"supportline/auth"
)

// The inputs and outputs of the account and contact operations. Bodies
// refuse unknown fields (huma's schemas forbid additional properties), and
// hold no rule: the domain validates, in the CLI's words.
type (
	accountPath struct {
		Number string `path:"number" doc:"The account number (6 to 12 digits)." example:"100100"`
	}
	contactPath struct {
		SupportID string `path:"support_id" doc:"The contact's 8-digit support ID." example:"12345678"`
	}
	accountBody struct{ Body accounts.Account }
	contactBody struct{ Body accounts.Contact }

	accountList struct {
		Body struct {
			Accounts []accounts.Account `json:"accounts"`
		}
	}
	contactList struct {
		Body struct {
			Contacts []accounts.Contact `json:"contacts"`
		}
	}

	newAccount struct {
		Body struct {
			Name   string `json:"name" doc:"The account's name." example:"Acme Corp"`
			Plan   string `json:"plan" doc:"A plan of the policy file." example:"premium"`
			Number string `json:"number,omitempty" doc:"The account number; generated when left out." example:"100200"`
		}
	}
	accountName struct {
		Number string `path:"number" doc:"The account number (6 to 12 digits)." example:"100100"`
		Body   struct {
			Name string `json:"name" doc:"The account's new name." example:"Acme Inc"`
		}
	}
	accountPlan struct {
		Number string `path:"number" doc:"The account number (6 to 12 digits)." example:"100100"`
		Body   struct {
			Plan string `json:"plan" doc:"A plan of the policy file." example:"standard"`
		}
	}

	newContact struct {
		Number string `path:"number" doc:"The account number (6 to 12 digits)." example:"100100"`
		Body   struct {
			Name  string `json:"name" example:"Dana Doe"`
			Phone string `json:"phone" doc:"E.164; separators are accepted and removed." example:"+17205550100"`
			Email string `json:"email,omitempty" example:"dana@example.com"`
		}
	}
	contactChange struct {
		SupportID string `path:"support_id" doc:"The contact's 8-digit support ID." example:"12345678"`
		Body      struct {
			Name  *string `json:"name,omitempty" doc:"The new name."`
			Phone *string `json:"phone,omitempty" doc:"The new phone, E.164."`
			Email *string `json:"email,omitempty" doc:"The new email; an empty string removes it."`
		}
	}
	contactChanged struct {
		Body struct {
			Contact accounts.Contact `json:"contact"`
			// Changes is empty when every field given had its value already:
			// nothing was written or audited.
			Changes []accounts.Change `json:"changes" doc:"What changed, old and new; empty when nothing did."`
		}
	}
)

func (s *Server) registerAccounts() {
	register(s, huma.Operation{OperationID: "list-accounts", Method: http.MethodGet, Path: "/accounts",
		Summary: "List accounts", Description: "Every account with its number of current contacts, by name.", Tags: []string{"accounts"}},
		auth.Read, func(ctx context.Context, _ auth.Principal, _ *struct{}) (*accountList, error) {
			list, err := s.Accounts.Accounts(ctx)
			if err != nil {
				return nil, err
			}
			out := &accountList{}
			out.Body.Accounts = nonNil(list)
			return out, nil
		})
	register(s, huma.Operation{OperationID: "get-account", Method: http.MethodGet, Path: "/accounts/{number}",
		Summary: "Get an account", Description: "The account with its plan and its number of current contacts.",
		Tags: []string{"accounts"}, Errors: []int{http.StatusNotFound}},
		auth.Read, func(ctx context.Context, _ auth.Principal, in *accountPath) (*accountBody, error) {
			a, err := s.Accounts.Account(ctx, in.Number)
			if err != nil {
				return nil, err
			}
			return &accountBody{Body: a}, nil
		})
	register(s, huma.Operation{OperationID: "create-account", Method: http.MethodPost, Path: "/accounts", DefaultStatus: http.StatusCreated,
		Summary: "Create an account", Description: "On a plan of the policy file; the number is generated when left out, refused (409) when taken.",
		Tags: []string{"accounts"}, Errors: []int{http.StatusConflict}},
		auth.AdminWork, func(ctx context.Context, p auth.Principal, in *newAccount) (*accountBody, error) {
			a, err := s.Accounts.AddAccount(ctx, p.Actor(), accounts.NewAccount{Name: in.Body.Name, Plan: in.Body.Plan, Number: in.Body.Number})
			if err != nil {
				return nil, err
			}
			return &accountBody{Body: a}, nil
		})
	register(s, huma.Operation{OperationID: "rename-account", Method: http.MethodPut, Path: "/accounts/{number}/name",
		Summary: "Rename an account", Description: "Renaming to the current name changes and records nothing.",
		Tags: []string{"accounts"}, Errors: []int{http.StatusNotFound}},
		auth.AdminWork, func(ctx context.Context, p auth.Principal, in *accountName) (*accountBody, error) {
			a, _, err := s.Accounts.SetName(ctx, p.Actor(), in.Number, in.Body.Name)
			if err != nil {
				return nil, err
			}
			return &accountBody{Body: a}, nil
		})
	register(s, huma.Operation{OperationID: "set-account-plan", Method: http.MethodPut, Path: "/accounts/{number}/plan",
		Summary: "Move an account to another plan", Description: "Refused (409) when the plan allows fewer named contacts than the account has.",
		Tags: []string{"accounts"}, Errors: []int{http.StatusNotFound, http.StatusConflict}},
		auth.AdminWork, func(ctx context.Context, p auth.Principal, in *accountPlan) (*accountBody, error) {
			a, err := s.Accounts.SetPlan(ctx, p.Actor(), in.Number, in.Body.Plan)
			if err != nil {
				return nil, err
			}
			return &accountBody{Body: a}, nil
		})
}

func (s *Server) registerContacts() {
	register(s, huma.Operation{OperationID: "list-contacts", Method: http.MethodGet, Path: "/accounts/{number}/contacts",
		Summary: "List an account's contacts", Description: "The current (not removed) contacts, by name.",
		Tags: []string{"contacts"}, Errors: []int{http.StatusNotFound}},
		auth.Read, func(ctx context.Context, _ auth.Principal, in *accountPath) (*contactList, error) {
			list, err := s.Accounts.Contacts(ctx, in.Number)
			if err != nil {
				return nil, err
			}
			out := &contactList{}
			out.Body.Contacts = nonNil(list)
			return out, nil
		})
	register(s, huma.Operation{OperationID: "get-contact", Method: http.MethodGet, Path: "/contacts/{support_id}",
		Summary: "Get a contact", Description: "A current (not removed) contact by support ID, with their account and its plan.",
		Tags: []string{"contacts"}, Errors: []int{http.StatusNotFound}},
		auth.Read, func(ctx context.Context, _ auth.Principal, in *contactPath) (*contactBody, error) {
			c, err := s.Accounts.Contact(ctx, in.SupportID)
			if err != nil {
				return nil, err
			}
			return &contactBody{Body: c}, nil
		})
	register(s, huma.Operation{OperationID: "add-contact", Method: http.MethodPost, Path: "/accounts/{number}/contacts", DefaultStatus: http.StatusCreated,
		Summary: "Name a contact on an account", Description: "The contact gets a new random support ID; refused (409) at the plan's contact limit.",
		Tags: []string{"contacts"}, Errors: []int{http.StatusNotFound, http.StatusConflict}},
		auth.AdminWork, func(ctx context.Context, p auth.Principal, in *newContact) (*contactBody, error) {
			c, err := s.Accounts.AddContact(ctx, p.Actor(), accounts.NewContact{AccountNumber: in.Number,
				Name: in.Body.Name, Phone: in.Body.Phone, Email: in.Body.Email})
			if err != nil {
				return nil, err
			}
			return &contactBody{Body: c}, nil
		})
	register(s, huma.Operation{OperationID: "change-contact", Method: http.MethodPatch, Path: "/contacts/{support_id}",
		Summary: "Change a contact's name, phone or email", Description: "Only the fields given, at least one.",
		Tags: []string{"contacts"}, Errors: []int{http.StatusNotFound}},
		auth.AdminWork, func(ctx context.Context, p auth.Principal, in *contactChange) (*contactChanged, error) {
			c, changes, err := s.Accounts.SetContact(ctx, p.Actor(), in.SupportID,
				accounts.ContactChange{Name: in.Body.Name, Phone: in.Body.Phone, Email: in.Body.Email})
			if err != nil {
				return nil, err
			}
			out := &contactChanged{}
			out.Body.Contact, out.Body.Changes = c, nonNil(changes)
			return out, nil
		})
	register(s, huma.Operation{OperationID: "remove-contact", Method: http.MethodDelete, Path: "/contacts/{support_id}",
		Summary: "Remove a contact", Description: "Their support ID stops working and is never given to anyone else; their PIN is forgotten. History stays.",
		Tags: []string{"contacts"}, Errors: []int{http.StatusNotFound}},
		auth.AdminWork, func(ctx context.Context, p auth.Principal, in *contactPath) (*contactBody, error) {
			c, err := s.Accounts.RemoveContact(ctx, p.Actor(), in.SupportID)
			if err != nil {
				return nil, err
			}
			return &contactBody{Body: c}, nil
		})
}

// nonNil makes an empty list [] rather than null, as the schema says.
func nonNil[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}
