package pins

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// digitBytes maps each digit of s to the byte of the same value, which
// digitSource reads back as that digit.
func digitBytes(s string) []byte {
	b := make([]byte, len(s))
	for i := range s {
		b[i] = s[i] - '0'
	}
	return b
}

type constReader byte

func (c constReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c)
	}
	return len(p), nil
}

func TestGenerateLength(t *testing.T) {
	for _, n := range []int{-1, 0, 5, 13, 100} {
		if pin, err := Generate(n); err == nil {
			t.Errorf("Generate(%d) = %q, want error", n, pin)
		}
	}
	for n := MinLength; n <= MaxLength; n++ {
		for range 200 {
			pin, err := Generate(n, "+1 (555) 012-3456", "SUP-00427381")
			if err != nil {
				t.Fatalf("Generate(%d): %v", n, err)
			}
			if len(pin) != n || strings.Trim(pin, "0123456789") != "" {
				t.Fatalf("Generate(%d) = %q, want %d digits", n, pin, n)
			}
			if Blocked(pin, "+1 (555) 012-3456", "SUP-00427381") {
				t.Fatalf("Generate(%d) returned blocked %q", n, pin)
			}
		}
	}
}

func TestGenerateRedraw(t *testing.T) {
	tests := []struct {
		name  string
		bytes []byte
		avoid []string
		want  string
	}{
		{"first draw accepted", digitBytes("738215"), nil, "738215"},
		{"repeated digit redrawn", digitBytes("111111" + "738215"), nil, "738215"},
		{"ascending and wrap-around descending redrawn",
			digitBytes("123456" + "210987" + "738215"), nil, "738215"},
		{"window of phone number redrawn",
			digitBytes("738215" + "490317"), []string{"+1 555 738-2159"}, "490317"},
		{"window of support ID redrawn",
			digitBytes("00427381" + "49031762"), []string{"SUP-00427381"}, "49031762"},
		// Bytes 250..255 would bias 0..5 if reduced mod 10, so they are
		// skipped; other bytes map to b%10.
		{"bytes 250..255 skipped, others mod 10",
			[]byte{250, 17, 255, 243, 251, 8, 252, 102, 253, 1, 254, 249}, nil, "738219"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := generate(bytes.NewReader(tt.bytes), len(tt.want), tt.avoid)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("generate = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestGenerateRandomFailure(t *testing.T) {
	t.Run("source exhausted", func(t *testing.T) {
		_, err := generate(bytes.NewReader(digitBytes("73821")), 6, nil)
		if !errors.Is(err, io.EOF) {
			t.Errorf("err = %v, want io.EOF", err)
		}
	})
	t.Run("source always blocklisted", func(t *testing.T) {
		pin, err := generate(constReader(3), 8, nil)
		if err == nil {
			t.Errorf("generate = %q, want error", pin)
		}
	})
}

// TestDigitSourceUniform feeds every byte value once: a modulo-biased
// mapping would give 0..5 one more count than 6..9.
func TestDigitSourceUniform(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	src := digitSource{r: bytes.NewReader(all)}
	var counts [10]int
	for {
		d, err := src.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		counts[d-'0']++
	}
	for d, c := range counts {
		if c != 25 {
			t.Errorf("digit %d drawn %d times from bytes 0..255, want 25", d, c)
		}
	}
}

func TestBlocked(t *testing.T) {
	phone, supportID := "+1 (555) 012-3456", "SUP-00427381"
	tests := []struct {
		name  string
		pin   string
		avoid []string
		want  bool
	}{
		{"random digits", "73821946", nil, false},
		{"all one digit", "00000000", nil, true},
		{"all nines, 12", "999999999999", nil, true},
		{"ascending", "12345678", nil, true},
		{"descending", "87654321", nil, true},
		{"ascending wrap-around", "89012345", nil, true},
		{"descending wrap-around", "21098765", nil, true},
		{"ascending from zero", "0123456789", nil, true},
		{"run broken at the end", "12345670", nil, false},
		{"run broken at the start", "02345678", nil, false},
		{"step of two is not a run", "24680246", nil, false},
		{"equals phone digits window", "55012345", []string{phone}, true},
		{"first window of phone", "15550123", []string{phone}, true},
		{"last window of phone", "50123456", []string{phone}, true},
		{"near phone window", "55012346", []string{phone}, false},
		{"equals support ID digits", "00427381", []string{phone, supportID}, true},
		{"6-digit window of support ID", "427381", []string{supportID}, true},
		{"avoid shorter than PIN", "73821946", []string{"7382"}, false},
		{"avoid with no digits", "73821946", []string{"SUP-ABC"}, false},
		{"not digits", "7382a946", nil, true},
		{"empty", "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Blocked(tt.pin, tt.avoid...); got != tt.want {
				t.Errorf("Blocked(%q, %q) = %v, want %v", tt.pin, tt.avoid, got, tt.want)
			}
		})
	}
}
