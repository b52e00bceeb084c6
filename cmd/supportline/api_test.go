package main

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

var demoTokenLine = regexp.MustCompile(`(?m)^  admin token:   (slt_\S+) \(token demo`)

// get answers a GET with the bearer token (none when empty).
func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestServeDemoAdminAPI(t *testing.T) {
	t.Setenv("TWILIO_AUTH_TOKEN", "")
	t.Setenv("SUPPORTLINE_PUBLIC_URL", "")
	unsetTwilio(t)
	c := newCLI(t)
	start := func() (*serving, string) {
		s := startServe(t, "--demo", "--db", c.db)
		s.waitReady(t)
		m := demoTokenLine.FindStringSubmatch(s.out.String())
		if m == nil {
			t.Fatalf("the demo banner has no admin token: %q", s.out)
		}
		api := "http://" + s.admin + "/api/v1"
		if want := "curl -H \"Authorization: Bearer " + m[1] + "\" " + api + "/accounts\n"; !strings.Contains(s.out.String(), want) {
			t.Errorf("the banner lacks %q: %q", want, s.out)
		}
		if strings.Contains(s.errs.String(), m[1]) {
			t.Errorf("the token is in the log: %s", s.errs)
		}
		return s, m[1]
	}
	s, first := start()
	api := "http://" + s.admin + "/api/v1"
	if code, body := get(t, api+"/accounts", first); code != http.StatusOK || !strings.Contains(body, `"number":"100100"`) {
		t.Errorf("GET /accounts with the demo token: %d %s", code, body)
	}
	if code, body := get(t, api+"/openapi.json", ""); code != http.StatusOK || !strings.Contains(body, `"openapi":"3.1.0"`) {
		t.Errorf("GET openapi.json: %d %.200s", code, body)
	}
	if code, _ := get(t, "http://"+s.addr+"/api/v1/accounts", first); code != http.StatusNotFound {
		t.Errorf("the API on the Twilio listener: %d, want 404", code)
	}
	s.stop()
	if code := s.wait(); code != 0 {
		t.Fatalf("demo serve exited %d: %s", code, s.errs)
	}

	// A second start replaces the token: the old text no longer works.
	s, second := start()
	api = "http://" + s.admin + "/api/v1"
	if second == first {
		t.Fatal("the demo token was not replaced")
	}
	if code, _ := get(t, api+"/accounts", first); code != http.StatusUnauthorized {
		t.Errorf("the first start's token: %d, want 401", code)
	}
	if code, _ := get(t, api+"/accounts", second); code != http.StatusOK {
		t.Errorf("the second start's token: %d, want 200", code)
	}
	s.stop()
	s.wait()
	if code, out, _ := c.run("audit", "list"); code != 0 || !strings.Contains(out, "token.create") {
		t.Errorf("audit: %d %s", code, out)
	}
}
