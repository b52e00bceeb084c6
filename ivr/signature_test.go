package ivr

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"supportline/contactinfo"
)

// Twilio's published example: token 12345 over this URL and form.
const (
	vectorToken = "12345"
	vectorPath  = "/myapp.php?foo=1&bar=2"
	vectorSig   = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
)

func vectorForm() url.Values {
	return url.Values{
		"CallSid": {"CA1234567890ABCDE"},
		"Caller":  {"+14158675309"},
		"Digits":  {"1234"},
		"From":    {"+14158675309"},
		"To":      {"+18005551212"},
	}
}

func TestSignatureMiddleware(t *testing.T) {
	e := echo.New()
	hits := 0
	mw := Signatures{PublicURL: "https://mycompany.com/", Tokens: []string{"primary-token", vectorToken},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}.Middleware()
	e.POST("/myapp.php", func(c echo.Context) error { hits++; return c.String(200, "ok") }, mw)

	send := func(target string, form url.Values, sig string, host string) int {
		req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Host = host
		if sig != "" {
			req.Header.Set("X-Twilio-Signature", sig)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec.Code
	}
	cases := []struct {
		name   string
		target string
		form   url.Values
		sig    string
		want   int
	}{
		{"published vector, secondary token, over the public URL not the Host header", vectorPath, vectorForm(), vectorSig, 200},
		{"missing signature", vectorPath, vectorForm(), "", 403},
		{"wrong signature", vectorPath, vectorForm(), "AAAADt4T1cUTdK1PDd93/VVr8B8=", 403},
		{"tampered form", vectorPath, func() url.Values { f := vectorForm(); f.Set("Digits", "9999"); return f }(), vectorSig, 403},
		{"extra form field", vectorPath, func() url.Values { f := vectorForm(); f.Set("Extra", "1"); return f }(), vectorSig, 403},
		{"query changed", "/myapp.php?foo=1&bar=3", vectorForm(), vectorSig, 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := hits
			if got := send(tc.target, tc.form, tc.sig, "internal-host:8080"); got != tc.want {
				t.Fatalf("status %d, want %d", got, tc.want)
			}
			if ran := hits - before; (tc.want == 200) != (ran == 1) {
				t.Fatalf("handler ran %d times", ran)
			}
		})
	}
}

func TestValidParty(t *testing.T) {
	// An empty From is a withheld number (contactinfo.Caller), not a malformed one.
	for s, want := range map[string]bool{"+17205550100": true, "anonymous": true, "Restricted": true, "+2562533": true, "17205550100": false, "+0123": false, "": true, "<script>": false} {
		if _, err := contactinfo.Caller(s); (err == nil) != want {
			t.Errorf("contactinfo.Caller(%q) = %v, want valid %v", s, err, want)
		}
	}
	if !callSidRE.MatchString("CA0123456789abcdef0123456789abcdef") || callSidRE.MatchString("CA123") {
		t.Error("CallSid pattern")
	}
}
