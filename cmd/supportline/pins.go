package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"supportline/domain"
	"supportline/pins"
)

// pinsService is the PIN service of the pin commands, with the key serve
// uses for unmatched entries (entrySecret), so that rotate and unlock clear
// the lockout a contact collected while it had no PIN. clears says whether
// the command does; then a missing key is worth a warning.
func (a *app) pinsService(ctx context.Context, clears bool) (*pins.Service, error) {
	secret, err := entrySecret(os.Getenv("SUPPORTLINE_SECRET"), os.Getenv("TWILIO_AUTH_TOKEN"))
	if err != nil {
		return nil, err
	}
	if secret == nil && clears {
		fmt.Fprintln(a.stderr, "warning: neither SUPPORTLINE_SECRET nor TWILIO_AUTH_TOKEN is set as serve has them; "+
			"a lockout this contact collected while it had no PIN is not cleared")
	}
	p, db, err := a.policyAndDB(ctx)
	if err != nil {
		return nil, err
	}
	return domain.New(db, p, nil, secret, "").Pins, nil
}

func (a *app) pinCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "pin", Short: "Rotate, revoke, unlock and inspect contacts' PINs"}

	// sub builds a subcommand that acts on the contact named by --contact.
	sub := func(name, short string, run func(ctx context.Context, svc *pins.Service, supportID string) error) *cobra.Command {
		var contact string
		c := &cobra.Command{
			Use:   name + " --contact SUPPORT_ID",
			Short: short,
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				if contact == "" {
					return usageError{fmt.Sprintf("%s needs --contact SUPPORT_ID (usage: %s)", cmd.CommandPath(), cmd.UseLine())}
				}
				svc, err := a.pinsService(cmd.Context(), name == "rotate" || name == "unlock")
				if err != nil {
					return err
				}
				return run(cmd.Context(), svc, contact)
			},
		}
		c.Flags().StringVar(&contact, "contact", "", "the contact's support ID (required)")
		return c
	}

	rotate := sub("rotate", "Issue a new PIN (printed once) and invalidate the old one",
		func(ctx context.Context, svc *pins.Service, id string) error {
			pin, err := svc.Rotate(ctx, a.who(), id)
			if err != nil {
				return err
			}
			out := struct {
				SupportID string `json:"support_id"`
				PIN       string `json:"pin"`
			}{id, pin}
			return a.emit(out, func() {
				fmt.Fprintf(a.stdout, "new PIN for contact %s: %s\n", id, pin)
				fmt.Fprintln(a.stdout, "It will not be shown again: give it to the contact now. The old PIN no longer works.")
			})
		})

	revoke := sub("revoke", "Stop every PIN of a contact from working until the next rotate",
		func(ctx context.Context, svc *pins.Service, id string) error {
			if err := svc.Revoke(ctx, a.who(), id); err != nil {
				return err
			}
			return a.emitStatus(ctx, svc, id, func(pins.Status) {
				fmt.Fprintf(a.stdout, "PIN of contact %s revoked; no PIN works until `supportline pin rotate --contact %s`\n", id, id)
			})
		})

	unlock := sub("unlock", "Clear a contact's lockout, failure count and calling-number failures",
		func(ctx context.Context, svc *pins.Service, id string) error {
			if err := svc.Unlock(ctx, a.who(), id); err != nil {
				return err
			}
			return a.emitStatus(ctx, svc, id, func(st pins.Status) {
				fmt.Fprintf(a.stdout, "contact %s unlocked (PIN %s)\n", id, st.State)
			})
		})

	status := sub("status", "Show a contact's PIN state: rotated, failures, lockout, revoked, expiry",
		func(ctx context.Context, svc *pins.Service, id string) error {
			return a.emitStatus(ctx, svc, id, func(st pins.Status) {
				expires := "never"
				if st.ExpiresAt != nil {
					expires = ts(*st.ExpiresAt)
				}
				a.table([]string{"SUPPORT ID", "NAME", "ACCOUNT", "STATE", "ROTATED", "FAILURES", "LOCKOUTS", "LOCKED UNTIL", "REVOKED", "EXPIRES"},
					[][]string{{st.SupportID, st.Name, st.Account, st.State, tsp(st.RotatedAt),
						strconv.Itoa(st.Failures) + " of " + strconv.Itoa(st.MaxFailures), strconv.Itoa(st.Lockouts),
						tsp(st.LockedUntil), tsp(st.RevokedAt), expires}})
			})
		})

	cmd.AddCommand(rotate, revoke, unlock, status)
	return cmd
}

// emitStatus prints the contact's PIN status as JSON, or calls human.
func (a *app) emitStatus(ctx context.Context, svc *pins.Service, id string, human func(pins.Status)) error {
	st, err := svc.Status(ctx, id)
	if err != nil {
		return err
	}
	return a.emit(st, func() { human(st) })
}

// tsp formats an optional instant, "-" when absent.
func tsp(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return ts(*t)
}
