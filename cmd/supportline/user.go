package main

import (
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/spf13/cobra"

	"supportline/auth"
)

// cliConsoleURL is the console's URL as the CLI prints it in links: the
// environment's SUPPORTLINE_ADMIN_URL, else the address serve listens on
// (consoleURL).
func cliConsoleURL() (string, error) {
	base, err := adminURLFromEnv(os.Getenv)
	if err != nil {
		return "", err
	}
	addr := envOr("SUPPORTLINE_ADMIN_ADDR", defaultAdminAddr)
	if base == "" {
		if err := checkListenAddr("SUPPORTLINE_ADMIN_ADDR", addr, "8081"); err != nil {
			return "", err
		}
	}
	return consoleURL(base, addr), nil
}

// welcomeURL is the page a set-password link opens. The link's text goes
// in the query string, which the request log leaves out (it logs paths).
func welcomeURL(console string, l auth.Link) string {
	return console + "/welcome?t=" + url.QueryEscape(l.Text)
}

// userLink is what user add and user reset print.
type userLink struct {
	Email     string  `json:"email"`
	Role      string  `json:"role"`
	Engineer  *string `json:"engineer"`
	Link      string  `json:"link"`
	ExpiresAt string  `json:"expires_at"`
}

func (a *app) printUserLink(u auth.User, link string, expires time.Time, what string) error {
	out := userLink{u.Email, string(u.Role), u.Engineer, link, ts(expires)}
	return a.emit(out, func() {
		fmt.Fprintf(a.stdout, "user %s (%s", u.Email, u.Role)
		if u.Engineer != nil {
			fmt.Fprintf(a.stdout, " for engineer %s", *u.Engineer)
		}
		fmt.Fprintf(a.stdout, ") %s. Send them this link to set a password; it works once, until %s (24 hours):\n%s\n", what, ts(expires), link)
	})
}

func (a *app) userCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Add, list, disable, enable and reset the console's users"}

	var email, role, engineer string
	add := &cobra.Command{
		Use:   "add --email EMAIL --role admin|engineer|viewer [--engineer HANDLE]",
		Short: "Add a console user and print a one-time link to set their password (valid 24 h)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if email == "" || role == "" {
				return usageError{fmt.Sprintf("%s needs --email EMAIL and --role admin|engineer|viewer (usage: %s)", cmd.CommandPath(), cmd.UseLine())}
			}
			console, err := cliConsoleURL() // before adding: a bad setting adds no one
			if err != nil {
				return err
			}
			_, svc, err := a.authServices(cmd.Context())
			if err != nil {
				return err
			}
			u, l, err := svc.Add(cmd.Context(), a.who(), auth.NewUser{Email: email, Role: auth.Role(role), Engineer: engineer})
			if err != nil {
				return err
			}
			return a.printUserLink(u, welcomeURL(console, l), l.ExpiresAt, "added")
		},
	}
	add.Flags().StringVar(&email, "email", "", "the user's e-mail, with which they sign in (required)")
	add.Flags().StringVar(&role, "role", "", "admin, engineer or viewer (required)")
	add.Flags().StringVar(&engineer, "engineer", "", "the engineer an engineer user acts for (required with --role engineer)")

	list := &cobra.Command{
		Use:   "list",
		Short: "List the console's users (never a password or a link)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, svc, err := a.authServices(cmd.Context())
			if err != nil {
				return err
			}
			users, err := svc.List(cmd.Context())
			if err != nil {
				return err
			}
			return a.emit(nonNil(users), func() {
				rows := make([][]string, len(users))
				for i, u := range users {
					eng, password, disabled, last := "-", "not set", "-", "-"
					if u.Engineer != nil {
						eng = *u.Engineer
					}
					if u.PasswordSet != nil {
						password = "set " + ts(*u.PasswordSet)
					}
					if u.Disabled != nil {
						disabled = ts(*u.Disabled)
					}
					if u.LastSignIn != nil {
						last = ts(*u.LastSignIn)
					}
					rows[i] = []string{u.Email, string(u.Role), eng, ts(u.CreatedAt), password, disabled, last}
				}
				a.table([]string{"EMAIL", "ROLE", "ENGINEER", "CREATED", "PASSWORD", "DISABLED", "LAST SIGN-IN"}, rows)
			})
		},
	}

	disable := &cobra.Command{
		Use:   "disable EMAIL",
		Short: "Stop a user from signing in, and end their sessions",
		Args:  exactArgs(1, "a user's e-mail"),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, svc, err := a.authServices(cmd.Context())
			if err != nil {
				return err
			}
			if err := svc.Disable(cmd.Context(), a.who(), args[0]); err != nil {
				return err
			}
			out := struct {
				Email    string `json:"email"`
				Disabled bool   `json:"disabled"`
			}{auth.NormalizeEmail(args[0]), true}
			return a.emit(out, func() {
				fmt.Fprintf(a.stdout, "user %s disabled: their sessions ended and their links stopped working (supportline user enable %s undoes it)\n", out.Email, out.Email)
			})
		},
	}

	enable := &cobra.Command{
		Use:   "enable EMAIL",
		Short: "Let a disabled user sign in again, with the password they had",
		Args:  exactArgs(1, "a user's e-mail"),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, svc, err := a.authServices(cmd.Context())
			if err != nil {
				return err
			}
			if err := svc.Enable(cmd.Context(), a.who(), args[0]); err != nil {
				return err
			}
			out := struct {
				Email    string `json:"email"`
				Disabled bool   `json:"disabled"`
			}{auth.NormalizeEmail(args[0]), false}
			return a.emit(out, func() {
				fmt.Fprintf(a.stdout, "user %s enabled: they sign in with the password they had (supportline user reset %s sends a new link)\n", out.Email, out.Email)
			})
		},
	}

	reset := &cobra.Command{
		Use:   "reset EMAIL",
		Short: "Print a new one-time link to set a user's password (older links stop working)",
		Args:  exactArgs(1, "a user's e-mail"),
		RunE: func(cmd *cobra.Command, args []string) error {
			console, err := cliConsoleURL()
			if err != nil {
				return err
			}
			_, svc, err := a.authServices(cmd.Context())
			if err != nil {
				return err
			}
			u, l, err := svc.Reset(cmd.Context(), a.who(), args[0])
			if err != nil {
				return err
			}
			return a.printUserLink(u, welcomeURL(console, l), l.ExpiresAt, "reset; the password they have works until the link is used")
		},
	}

	signOut := &cobra.Command{
		Use:   "sign-out EMAIL",
		Short: "End every console session of a user (they can sign in again)",
		Args:  exactArgs(1, "a user's e-mail"),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, svc, err := a.authServices(cmd.Context())
			if err != nil {
				return err
			}
			n, err := svc.SignOutEverywhere(cmd.Context(), a.who(), args[0])
			if err != nil {
				return err
			}
			out := struct {
				Email         string `json:"email"`
				SessionsEnded int64  `json:"sessions_ended"`
			}{auth.NormalizeEmail(args[0]), n}
			return a.emit(out, func() {
				fmt.Fprintf(a.stdout, "user %s signed out everywhere: %d session(s) ended\n", out.Email, n)
			})
		},
	}
	cmd.AddCommand(add, list, disable, enable, reset, signOut)
	return cmd
}
