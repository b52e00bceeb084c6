package main

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// `supportline sms` refuses bad flags with exit 2 before sending anything,
// and reads the reply of a server: a <Message>, or "(no reply)".
func TestSMSCommand(t *testing.T) {
	c := newCLI(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"sms", "ack"}, "--from is required"},
		{[]string{"sms", "--from", "+1555", "ack"}, "--from:"},
		{[]string{"sms", "--from", "+15555550111", "--to", "nope", "ack"}, "--to:"},
		{[]string{"sms", "--from", "+15555550111", "--message-sid", "SM1", "ack"}, "--message-sid must be SM followed by 32 hex digits"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			if code, _, errs := c.run(tc.args...); code != 2 || !strings.Contains(errs, tc.want) {
				t.Fatalf("exit %d, %q; want exit 2 and %q", code, errs, tc.want)
			}
		})
	}

	var got string
	e := echo.New()
	e.POST("/twilio/sms", func(ec echo.Context) error {
		got = ec.FormValue("Body") + " from " + ec.FormValue("From")
		if got == "WHO from +15555550111" {
			return ec.Blob(200, "text/xml; charset=utf-8", []byte(`<?xml version="1.0" encoding="UTF-8"?><Response><Message>On call now: nobody</Message></Response>`))
		}
		return ec.Blob(200, "text/xml; charset=utf-8", []byte(`<?xml version="1.0" encoding="UTF-8"?><Response></Response>`))
	})
	ts := httptest.NewServer(e)
	defer ts.Close()
	db := filepath.Join(t.TempDir(), "none.db")
	code, out, errs := c.run("sms", "--url", ts.URL, "--db", db, "--from", "+1 555 555 0111", "WHO")
	if code != 0 || strings.TrimSpace(out) != "On call now: nobody" || got != "WHO from +15555550111" {
		t.Errorf("exit %d, out %q, err %q, server saw %q", code, out, errs, got)
	}
	if code, out, _ = c.run("sms", "--url", ts.URL, "--db", db, "--from", "+15555550999", "hello"); code != 0 || strings.TrimSpace(out) != "(no reply)" {
		t.Errorf("exit %d, out %q", code, out)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("sms created a database: %v", err)
	}
}
