package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"supportline/contactinfo"
	"supportline/errcode"
	"supportline/twiliosim"
)

// smsOptions are the flags of `supportline sms`.
type smsOptions struct {
	url, publicURL, token string
	from, to              string
	messageSid            string
}

func (a *app) smsCommand() *cobra.Command {
	o := smsOptions{url: "http://localhost:8080"}
	cmd := &cobra.Command{
		Use:   "sms --from NUMBER|HANDLE TEXT...",
		Short: "Text a running server the way Twilio would (simulated incoming SMS)",
		Long: `Sms sends a simulated incoming SMS to a running Supportline server's Messaging webhook
(POST /twilio/sms) through twiliosim: signed as Twilio signs it, with the parameters Twilio
sends. It prints the server's reply, the text Twilio would send back, or "(no reply)".

From an engineer's phone the text is a command, in any case: ACK 100123, RESOLVE 100123,
NOTE 100123 text..., ACK or RESOLVE alone (the last ticket texted to that engineer), WHO,
HELP. --from takes the engineer's number, or their handle (looked up in --db).

The auth token is the server's: TWILIO_AUTH_TOKEN or --token.`,
		Example: `  supportline sms --from +15555550111 "ack"
  supportline sms --from alice NOTE 100123 called the customer back
  supportline sms --url https://support.example.com --from +15555550111 WHO`,
		Args: cobra.MinimumNArgs(1),
		// It reads engineers' numbers only: it never creates or migrates --db.
		Annotations: map[string]string{annotReadOnly: "true"},
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.sendSMS(cmd.Context(), o, strings.Join(args, " "))
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.url, "url", o.url, "base URL of the running server")
	f.StringVar(&o.publicURL, "public-url", "", "URL the server validates signatures against (env SUPPORTLINE_PUBLIC_URL; default --url)")
	f.StringVar(&o.token, "token", "", "Twilio auth token the server checks signatures with (env TWILIO_AUTH_TOKEN)")
	f.StringVar(&o.from, "from", "", "sender: an E.164 number, or an engineer's handle (their phone, from --db)")
	f.StringVar(&o.to, "to", "", "number texted (default: line.number from the policy file)")
	f.StringVar(&o.messageSid, "message-sid", "", "MessageSid to send (SM + 32 hex digits; default a new one): the same SID again is a replay, as when Twilio retries")
	return cmd
}

// sendSMS sends one simulated SMS and prints the reply.
func (a *app) sendSMS(ctx context.Context, o smsOptions, body string) error {
	token, public := a.simulatorTarget(o.token, o.publicURL)
	from := strings.TrimSpace(o.from)
	switch {
	case from == "":
		return usageError{"--from is required: the sender's number (+1...) or an engineer's handle"}
	case strings.HasPrefix(from, "+"):
		n, err := contactinfo.Phone(from)
		if err != nil {
			return usageError{"--from: " + err.Error()}
		}
		from = n
	default:
		n, found, err := a.resolveEngineer(ctx, from)
		if err != nil {
			return err
		}
		if !found {
			return usageError{fmt.Sprintf("--from: unknown engineer %q; give the number the message comes from (+1...)", from)}
		}
		from = n
	}
	to, err := a.lineNumber(o.to)
	if err != nil {
		return err
	}
	if o.messageSid != "" && !validMessageSid(o.messageSid) {
		return usageError{"--message-sid must be SM followed by 32 hex digits"}
	}
	m := &twiliosim.SMS{BaseURL: o.url, PublicURL: public, AuthToken: token, From: from, To: to, Body: body, MessageSid: o.messageSid}
	res, err := m.Send(ctx)
	if err != nil {
		return err
	}
	if err := a.emit(res, func() {
		if len(res.Replies) == 0 && res.Failure == nil {
			fmt.Fprintln(a.stdout, "(no reply)")
		}
		for _, r := range res.Replies {
			fmt.Fprintln(a.stdout, r)
		}
	}); err != nil {
		return err
	}
	if res.Failed() {
		return errcode.Errorf(errcode.Unavailable, "the SMS webhook failed the way Twilio would see it fail: %v", res.Failure)
	}
	return nil
}

// validMessageSid reports whether s has the shape of a message SID.
func validMessageSid(s string) bool {
	if len(s) != 34 || (!strings.HasPrefix(s, "SM") && !strings.HasPrefix(s, "MM")) { // MM: a picture message
		return false
	}
	return strings.Trim(s[2:], "0123456789abcdef") == ""
}
