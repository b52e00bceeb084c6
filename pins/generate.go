package pins

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
)

// PIN lengths the policy file may choose. Six digits is the floor below which
// lockout alone no longer keeps online guessing hopeless; twelve is the most a
// caller can be expected to key in.
const (
	MinLength     = 6
	MaxLength     = 12
	DefaultLength = 8
)

// maxDraws bounds the redraw loop. The blocklist covers a vanishing fraction
// of PINs (tens out of 10^6 at the shortest length), so hitting this bound
// means the random source is broken, and failing beats spinning forever.
const maxDraws = 1000

// Generate returns a new PIN of length digits (MinLength..MaxLength) drawn
// from crypto/rand, redrawing any value that [Blocked] rejects for avoid.
// Pass the contact's phone number(s) and support ID as avoid, so a PIN is
// never guessable from what an attacker may already know about the contact.
func Generate(length int, avoid ...string) (string, error) {
	return generate(rand.Reader, length, avoid)
}

// generate is Generate with the random source injected, so tests can drive
// the redraw and bias-rejection paths with fixed bytes.
func generate(r io.Reader, length int, avoid []string) (string, error) {
	if length < MinLength || length > MaxLength {
		return "", fmt.Errorf("pins: PIN length %d outside %d..%d", length, MinLength, MaxLength)
	}
	src := digitSource{r: r}
	// The buffer holds the digits of the PIN just drawn; do not leave them
	// lying around in memory longer than needed.
	defer clear(src.buf[:])
	avoidDigits := digitsOf(avoid)
	pin := make([]byte, length)
	for range maxDraws {
		for i := range pin {
			d, err := src.next()
			if err != nil {
				return "", fmt.Errorf("pins: generate: %w", err)
			}
			pin[i] = d
		}
		if !blocked(pin, avoidDigits) {
			return string(pin), nil
		}
	}
	return "", errors.New("pins: generate: every draw was blocklisted; random source is not random")
}

// digitSource turns a byte stream into uniformly distributed decimal digits.
// Bytes 250..255 are discarded: 250 is the largest multiple of 10 that fits
// in a byte, and taking b%10 of the remaining six values would make 0..5
// more likely than 6..9 (modulo bias).
type digitSource struct {
	r      io.Reader
	buf    [64]byte
	n, pos int
}

func (d *digitSource) next() (byte, error) {
	for {
		if d.pos == d.n {
			n, err := io.ReadAtLeast(d.r, d.buf[:], 1)
			if err != nil {
				return 0, fmt.Errorf("read random bytes: %w", err)
			}
			d.n, d.pos = n, 0
		}
		b := d.buf[d.pos]
		d.pos++
		if b < 250 {
			return '0' + b%10, nil
		}
	}
}

// Blocked reports whether pin is one an attacker would try first: all one
// digit, a run where each digit is one more (or one less) than the previous
// modulo 10 (12345678, 89012345, 21098765), or equal to any window of the
// same length in the digits of an avoid string (non-digits are ignored, so
// "+1 (555) 012-3456" and "SUP-0042" work as given). A string that is not
// all ASCII digits is reported blocked, since it can never be a PIN.
func Blocked(pin string, avoid ...string) bool {
	if pin == "" {
		return true
	}
	for i := 0; i < len(pin); i++ {
		if pin[i] < '0' || pin[i] > '9' {
			return true
		}
	}
	return blocked([]byte(pin), digitsOf(avoid))
}

func blocked(pin []byte, avoid [][]byte) bool {
	if isRun(pin) {
		return true
	}
	for _, a := range avoid {
		// Containment is exactly "equal to some length-len(pin) window".
		if bytes.Contains(a, pin) {
			return true
		}
	}
	return false
}

// isRun reports whether consecutive digits all differ by the same step of
// 0 (repeated digit), +1 or -1, modulo 10.
func isRun(pin []byte) bool {
	if len(pin) < 2 {
		return true
	}
	step := (pin[1] - pin[0] + 10) % 10
	if step != 0 && step != 1 && step != 9 {
		return false
	}
	for i := 2; i < len(pin); i++ {
		if (pin[i]-pin[i-1]+10)%10 != step {
			return false
		}
	}
	return true
}

// digitsOf strips everything but ASCII digits from each string.
func digitsOf(ss []string) [][]byte {
	out := make([][]byte, 0, len(ss))
	for _, s := range ss {
		var d []byte
		for i := 0; i < len(s); i++ {
			if s[i] >= '0' && s[i] <= '9' {
				d = append(d, s[i])
			}
		}
		if len(d) > 0 {
			out = append(out, d)
		}
	}
	return out
}
