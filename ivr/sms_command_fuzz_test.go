package ivr

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzParseSMS holds parseSMS to what the webhook relies on, whatever an
// engineer (or a phone's autocorrect) sends: a known verb, a positive
// ticket number whenever one is acted on, a NOTE's text as single-spaced
// printable words taken from the message, and nothing acted on when there
// is a problem to reply with.
//
//	go test ./ivr -run '^$' -fuzz FuzzParseSMS -fuzztime 30s
func FuzzParseSMS(f *testing.F) {
	for _, s := range []string{"", "ack", "ACK 100123", "  Note  100123 called the\ncustomer   back ",
		"resolve #100123", "ack 100123 100124", "note 100123", "NOTE", "who", "HELP me", "ack -5",
		"ack 0", "ack 99999999999999999999", "ack １２３", "ñote 1 x", "ACK\x00100123", "stop"} {
		f.Add(s)
	}
	verbs := map[string]bool{cmdAck: true, cmdResolve: true, cmdNote: true, cmdWho: true, cmdHelp: true}
	f.Fuzz(func(t *testing.T, body string) {
		c := parseSMS(body)
		if !verbs[c.verb] {
			t.Fatalf("parseSMS(%q): verb %q", body, c.verb)
		}
		if c.problem != "" && c.changes() {
			t.Fatalf("parseSMS(%q): a problem (%q) and yet a change", body, c.problem)
		}
		if c.changes() && c.verb == cmdNote && c.number <= 0 {
			t.Fatalf("parseSMS(%q): NOTE without a ticket number", body)
		}
		if c.number < 0 || (c.number == 0 && c.verb == cmdNote && c.problem == "") {
			t.Fatalf("parseSMS(%q): ticket number %d", body, c.number)
		}
		if c.text != "" {
			if c.verb != cmdNote {
				t.Fatalf("parseSMS(%q): text %q for %s", body, c.text, c.verb)
			}
			if strings.Contains(c.text, "  ") || strings.TrimSpace(c.text) != c.text {
				t.Fatalf("parseSMS(%q): text %q is not single-spaced", body, c.text)
			}
			for _, r := range c.text {
				if r != ' ' && (unicode.IsSpace(r) || unicode.IsControl(r)) {
					t.Fatalf("parseSMS(%q): text %q holds %U", body, c.text, r)
				}
			}
			for _, w := range strings.Fields(c.text) {
				if !strings.Contains(body, w) {
					t.Fatalf("parseSMS(%q): word %q is not in the message", body, w)
				}
			}
		}
		if utf8.ValidString(body) && !utf8.ValidString(c.text) {
			t.Fatalf("parseSMS(%q): text %q is not valid UTF-8", body, c.text)
		}
	})
}
