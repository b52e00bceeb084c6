package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"supportline/api"
	"supportline/store"
	"supportline/store/storetest"
	"supportline/tickets"
	"supportline/tickets/ticketstest"
)

// BenchmarkTicketPages is tickets.BenchmarkList through the HTTP API: the
// same three pages of the same seeded data, each a GET /api/v1/tickets
// with an admin token to the harness's real server, timed from the request
// to the decoded JSON page, interleaved in each round so that load on the
// machine hits all of them alike: the first page (50) of open tickets
// sorted by due, the page of the same list half-way down it (from a
// cursor), and the first page of one account's tickets (a different
// account each round). It reports p50 and p99 per case in ms and the ratio
// of deep to first.
//
//	SUPPORTLINE_BENCH_TICKETS=1 go test ./api/ -run '^$' -bench BenchmarkTicketPages -benchtime 1000x -v
//
// (-bench 'BenchmarkTicketPages/sqlite' for one engine.) Seeding
// (ticketstest.Seed at ticketstest.Scale) and the walk to the deep cursor
// are setup, outside the timings; so is checking one answer of each case
// against the document (the suite's validating client is too slow to time).
func BenchmarkTicketPages(b *testing.B) {
	if os.Getenv(ticketstest.EnvBench) == "" {
		b.Skipf("set %s=1 to seed a million tickets and run this", ticketstest.EnvBench)
	}
	for _, e := range []store.Engine{store.Postgres, store.SQLite} {
		b.Run(string(e), func(b *testing.B) {
			db := storetest.Open(b, e)
			h := newHarness(b, db)
			n, nAccounts := ticketstest.Scale[e].Tickets, ticketstest.Scale[e].Accounts
			start := time.Now()
			ticketstest.Seed(b, db, n, nAccounts)
			b.Logf("%s: seeded %d tickets on %d accounts in %s", e, n, nAccounts, time.Since(start).Round(time.Millisecond))
			storetest.ClockOf(db).Set(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) // the harness's tokens last until 2027-02-16

			openByDue := url.Values{"open": {"true"}, "sort": {"due"}}
			// The deep cursor: walk half the open list, a thousand at a time.
			deep := url.Values{"open": {"true"}, "sort": {"due"}}
			for walked := 0; walked < n/5/2; walked += tickets.MaxLimit {
				q := url.Values{"open": {"true"}, "sort": {"due"}, "limit": {fmt.Sprint(tickets.MaxLimit)}, "cursor": deep["cursor"]}
				page, err := getTickets(h, q)
				if err != nil || page.Next == "" {
					b.Fatalf("walk to the middle: %v (after %d)", err, walked)
				}
				deep.Set("cursor", page.Next)
			}
			account := func(i int) url.Values { return url.Values{"account": {ticketstest.AccountNumber(i, nAccounts)}} }
			cases := []struct {
				name  string
				query func(i int) url.Values
			}{
				{"first", func(int) url.Values { return openByDue }},
				{"deep", func(int) url.Values { return deep }},
				{"account", account},
			}
			for _, tc := range cases { // once through the validating client
				r := h.do(http.MethodGet, "/tickets?"+tc.query(0).Encode(), h.admin, nil).want(b, http.StatusOK)
				var page ticketPage
				if r.JSON(b, &page); len(page.Tickets) != tickets.DefaultLimit {
					b.Fatalf("%s: %d tickets", tc.name, len(page.Tickets))
				}
			}

			samples := make([][]time.Duration, len(cases))
			i := 0
			for b.Loop() {
				for c, tc := range cases {
					t0 := time.Now()
					page, err := getTickets(h, tc.query(i))
					samples[c] = append(samples[c], time.Since(t0))
					if err != nil || len(page.Tickets) != tickets.DefaultLimit {
						b.Fatalf("%s: %d tickets, %v", tc.name, len(page.Tickets), err)
					}
				}
				i++
			}
			p := func(c int, q float64) float64 {
				s := slices.Clone(samples[c])
				slices.Sort(s)
				return float64(s[min(len(s)-1, int(q*float64(len(s))))].Microseconds()) / 1000
			}
			for c, tc := range cases {
				b.ReportMetric(p(c, 0.50), tc.name+"-p50-ms")
				b.ReportMetric(p(c, 0.99), tc.name+"-p99-ms")
			}
			b.ReportMetric(p(1, 0.50)/p(0, 0.50), "deep/first-p50")
			b.ReportMetric(p(1, 0.99)/p(0, 0.99), "deep/first-p99")
			b.ReportMetric(0, "ns/op") // the rounds' mean says nothing the percentiles do not
			load, _ := os.ReadFile("/proc/loadavg")
			b.Logf("%s: %d rounds; load average %s", e, len(samples[0]), strings.TrimSpace(string(load)))
		})
	}
}

// getTickets is one GET /api/v1/tickets as a client makes it, with the
// harness's admin token, its page decoded; not validated against the
// document (the benchmark checks one answer of each case with h.do).
func getTickets(h *harness, query url.Values) (ticketPage, error) {
	var page ticketPage
	req, err := http.NewRequest(http.MethodGet, h.http.URL+api.Prefix+"/tickets?"+query.Encode(), nil)
	if err != nil {
		return page, err
	}
	req.Header.Set("Authorization", "Bearer "+h.admin)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return page, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body) // to the end, so the connection is kept
	if err != nil {
		return page, err
	}
	if res.StatusCode != http.StatusOK {
		return page, fmt.Errorf("status %d: %s", res.StatusCode, raw)
	}
	err = json.Unmarshal(raw, &page)
	return page, err
}
