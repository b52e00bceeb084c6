package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"supportline/errcode"
)

// healthResult is what `supportline health` found.
type healthResult struct {
	URL    string `json:"url"`
	Ready  bool   `json:"ready"`
	Status int    `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// healthCommand asks a running server whether it is ready, for container
// health checks: the image is distroless, with no curl or shell, so the
// binary itself is the probe.
func (a *app) healthCommand() *cobra.Command {
	// The server of this environment by default: SUPPORTLINE_ADDR is the
	// address serve listens on, in the image too.
	target := "http://127.0.0.1" + portOf(envOr("SUPPORTLINE_ADDR", ":8080")) + "/readyz"
	timeout := 3 * time.Second
	cmd := &cobra.Command{
		Use:   "health [--url http://127.0.0.1:8080/readyz] [--timeout 3s]",
		Short: "Exit 0 if the server at --url answers 200 (ready), 1 otherwise; one line either way",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			u, err := url.Parse(target)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return errcode.Errorf(errcode.Invalid, "--url %q is not an http:// or https:// URL such as http://127.0.0.1:8080/readyz", target)
			}
			if timeout <= 0 {
				return errcode.Errorf(errcode.Invalid, "--timeout must be more than 0, not %s", timeout)
			}
			res := probe(cmd.Context(), target, timeout)
			if !res.Ready {
				return errcode.Errorf(errcode.Unavailable, "not ready: %s: %s", res.URL, res.Reason)
			}
			return a.emit(res, func() { fmt.Fprintf(a.stdout, "ready: %s\n", res.URL) })
		},
	}
	cmd.Flags().StringVar(&target, "url", target, "readiness URL of the server; the default asks 127.0.0.1 on the port of SUPPORTLINE_ADDR")
	cmd.Flags().DurationVar(&timeout, "timeout", timeout, "give up after this long")
	return cmd
}

// probe GETs target once, within timeout, and says whether it answered
// 200 and, if not, why in a few words (the server's reason when it gives
// one in its JSON, as /readyz does).
func probe(ctx context.Context, target string, timeout time.Duration) healthResult {
	res := healthResult{URL: target}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		res.Reason = err.Error()
		return res
	}
	// No proxy: the probe asks this machine's (or this container's) server.
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		res.Reason = "no answer (" + shortNetError(err) + ")"
		if ctx.Err() != nil {
			res.Reason = fmt.Sprintf("no answer within %s", timeout)
		}
		return res
	}
	defer resp.Body.Close()
	res.Status = resp.StatusCode
	res.Ready = resp.StatusCode == http.StatusOK
	if res.Ready {
		return res
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	var reply struct{ Reason string }
	if json.Unmarshal(body, &reply) == nil && reply.Reason != "" {
		res.Reason = fmt.Sprintf("%d %s", resp.StatusCode, reply.Reason)
	} else {
		res.Reason = resp.Status
	}
	return res
}

// shortNetError is the last, most specific part of a client error
// ("connection refused", "context deadline exceeded").
func shortNetError(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return msg
}
