package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"supportline/auth"
	"supportline/oncall"
)

// authServices builds the token and console-user services on the
// database alone: the token and user commands need no policy file.
func (a *app) authServices(ctx context.Context) (*auth.Tokens, *auth.Users, error) {
	db, err := a.openDB(ctx)
	if err != nil {
		return nil, nil, err
	}
	roster := &oncall.Service{DB: db}
	return &auth.Tokens{DB: db, Engineers: roster}, &auth.Users{DB: db, Engineers: roster}, nil
}

func (a *app) tokenCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Create, list and revoke tokens of the admin HTTP API"}

	var name, role, engineer, expires string
	create := &cobra.Command{
		Use:   "create --name NAME --role admin|engineer|viewer [--engineer HANDLE] [--expires 90d]",
		Short: "Create a token (printed once) for the admin HTTP API",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if name == "" || role == "" {
				return usageError{fmt.Sprintf("%s needs --name NAME and --role admin|engineer|viewer (usage: %s)", cmd.CommandPath(), cmd.UseLine())}
			}
			ttl, err := auth.ParseTTL(expires)
			if err != nil {
				return err
			}
			svc, _, err := a.authServices(cmd.Context())
			if err != nil {
				return err
			}
			t, text, err := svc.Create(cmd.Context(), a.who(), auth.NewToken{Name: name, Role: auth.Role(role), Engineer: engineer, TTL: ttl})
			if err != nil {
				return err
			}
			out := struct {
				Name      string  `json:"name"`
				Role      string  `json:"role"`
				Engineer  *string `json:"engineer"`
				ExpiresAt string  `json:"expires_at"`
				Token     string  `json:"token"`
			}{t.Name, string(t.Role), t.Engineer, ts(t.ExpiresAt), text}
			return a.emit(out, func() {
				fmt.Fprintf(a.stdout, "token %s (%s", t.Name, t.Role)
				if t.Engineer != nil {
					fmt.Fprintf(a.stdout, " for engineer %s", *t.Engineer)
				}
				fmt.Fprintf(a.stdout, "), expires %s:\n%s\n", ts(t.ExpiresAt), text)
				fmt.Fprintln(a.stdout, "It is shown only now and cannot be recovered: store it in the integration's secret store. Send it as Authorization: Bearer TOKEN.")
			})
		},
	}
	create.Flags().StringVar(&name, "name", "", "the token's name, 1-40 of a-z 0-9 . - _ (required)")
	create.Flags().StringVar(&role, "role", "", "admin, engineer or viewer (required)")
	create.Flags().StringVar(&engineer, "engineer", "", "the engineer an engineer token acts for (required with --role engineer)")
	create.Flags().StringVar(&expires, "expires", "90d", "how long the token works: days (90d), hours (12h) or minutes (90m), from 1h to 365d")

	list := &cobra.Command{
		Use:   "list",
		Short: "List tokens that are not revoked (never their text)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, _, err := a.authServices(cmd.Context())
			if err != nil {
				return err
			}
			toks, err := svc.List(cmd.Context())
			if err != nil {
				return err
			}
			return a.emit(nonNil(toks), func() {
				rows := make([][]string, len(toks))
				for i, t := range toks {
					eng, last, exp := "-", "-", ts(t.ExpiresAt)
					if t.Engineer != nil {
						eng = *t.Engineer
					}
					if t.LastUsedAt != nil {
						last = ts(*t.LastUsedAt)
					}
					if t.Expired {
						exp += " (expired)"
					}
					rows[i] = []string{t.Name, string(t.Role), eng, ts(t.CreatedAt), exp, last}
				}
				a.table([]string{"NAME", "ROLE", "ENGINEER", "CREATED", "EXPIRES", "LAST USED"}, rows)
			})
		},
	}

	revoke := &cobra.Command{
		Use:   "revoke NAME",
		Short: "Stop a token from working, at once and for good",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, _, err := a.authServices(cmd.Context())
			if err != nil {
				return err
			}
			if err := svc.Revoke(cmd.Context(), a.who(), args[0]); err != nil {
				return err
			}
			out := struct {
				Name    string `json:"name"`
				Revoked bool   `json:"revoked"`
			}{args[0], true}
			return a.emit(out, func() {
				fmt.Fprintf(a.stdout, "token %s revoked; requests carrying it are refused from now on\n", args[0])
			})
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}
