package pins

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// Known-answer vectors from an independent implementation, Debian's argon2
// CLI (package argon2 0~20171227-0.3+deb12u1, the reference C code). The CLI
// takes the salt as a raw string, so the salts are 16 ASCII bytes.
const (
	// echo -n 48291736 | argon2 supportlinesalt1 -id -t 2 -k 19456 -p 1 -l 32 -e
	katDefault = "$argon2id$v=19$m=19456,t=2,p=1$c3VwcG9ydGxpbmVzYWx0MQ$cfTQmCpjc6eT8px2VmbYkGJPByaQZZaJIDQG2UP+628"
	// echo -n 730519 | argon2 supportlinesalt2 -id -t 3 -k 65536 -p 2 -l 32 -e
	katHeavy = "$argon2id$v=19$m=65536,t=3,p=2$c3VwcG9ydGxpbmVzYWx0Mg$2TkKRdwb929/lZ//LvH+GcCDs/N/hYWaont1bH7HTEY"
)

// cheap keeps -race runs fast where the cost does not matter.
var cheap = Params{MemoryKiB: 64, Time: 1, Threads: 1}

func TestKnownAnswer(t *testing.T) {
	tests := []struct {
		name, encoded, pin, salt string
		params                   Params
	}{
		{"default params", katDefault, "48291736", "supportlinesalt1", DefaultParams()},
		{"m=65536 t=3 p=2", katHeavy, "730519", "supportlinesalt2", Params{MemoryKiB: 65536, Time: 3, Threads: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hashWithSalt(tt.pin, []byte(tt.salt), tt.params); got != tt.encoded {
				t.Errorf("hashWithSalt =\n%s\nwant\n%s", got, tt.encoded)
			}
			ok, params, err := Compare(tt.encoded, tt.pin)
			if err != nil || !ok {
				t.Fatalf("Compare(right pin) = %v, %v", ok, err)
			}
			if params != tt.params {
				t.Errorf("Compare params = %+v, want %+v read from the string", params, tt.params)
			}
			ok, params, err = Compare(tt.encoded, "11111111")
			if err != nil || ok {
				t.Errorf("Compare(wrong pin) = %v, %v; want false, nil", ok, err)
			}
			if params != tt.params {
				t.Errorf("Compare(wrong pin) params = %+v, want %+v", params, tt.params)
			}
		})
	}
}

func TestHash(t *testing.T) {
	const pin = "48291736"
	a, err := Hash(pin, cheap)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Hash(pin, cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(a, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("Hash = %q, want $argon2id$v=19$m=64,t=1,p=1$ prefix", a)
	}
	if a == b {
		t.Errorf("two hashes of one PIN are equal (%q); salt not random", a)
	}
	if strings.Contains(a, pin) {
		t.Errorf("hash %q contains the PIN", a)
	}
	for _, enc := range []string{a, b} {
		if ok, p, err := Compare(enc, pin); !ok || err != nil || p != cheap {
			t.Errorf("Compare(%q, right) = %v, %+v, %v", enc, ok, p, err)
		}
		if ok, _, err := Compare(enc, "48291737"); ok || err != nil {
			t.Errorf("Compare(%q, wrong) = %v, %v", enc, ok, err)
		}
	}
	if _, err := Hash(pin, Params{}); err == nil {
		t.Error("Hash with zero Params succeeded")
	}
	if enc, err := Hash(pin, DefaultParams()); err != nil || !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("Hash(default) = %q, %v", enc, err)
	}
}

func TestParamsValidate(t *testing.T) {
	tests := []struct {
		name string
		p    Params
		ok   bool
	}{
		{"default", DefaultParams(), true},
		{"cheap", cheap, true},
		{"smallest", Params{MemoryKiB: 8, Time: 1, Threads: 1}, true},
		{"largest", Params{MemoryKiB: 262144, Time: 10, Threads: 8}, true},
		{"zero", Params{}, false},
		{"memory below 8 per thread", Params{MemoryKiB: 31, Time: 1, Threads: 4}, false},
		{"memory above 256 MiB", Params{MemoryKiB: 262145, Time: 1, Threads: 1}, false},
		{"time 0", Params{MemoryKiB: 64, Time: 0, Threads: 1}, false},
		{"time 11", Params{MemoryKiB: 64, Time: 11, Threads: 1}, false},
		{"threads 0", Params{MemoryKiB: 64, Time: 1, Threads: 0}, false},
		{"threads 9", Params{MemoryKiB: 640, Time: 1, Threads: 9}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.p.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate(%+v) = %v, want ok=%v", tt.p, err, tt.ok)
			}
		})
	}
}

func TestCompareCorrupt(t *testing.T) {
	const pin = "48291736"
	salt := b64.EncodeToString([]byte("supportlinesalt1"))
	key := b64.EncodeToString(make([]byte, 32))
	phc := func(alg, ver, params, salt, key string) string {
		return fmt.Sprintf("$%s$%s$%s$%s$%s", alg, ver, params, salt, key)
	}
	good := "m=64,t=1,p=1"
	// Flip a trailing bit the decoder should reject (non-canonical encoding).
	last := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", salt[len(salt)-1])
	nonCanonical := salt[:len(salt)-1] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[last|1])

	tests := []struct {
		name, encoded, reason string
	}{
		{"empty", "", "not a PHC string"},
		{"PIN stored in clear", pin, "not a PHC string"},
		{"missing field", "$argon2id$v=19$" + good + "$" + salt, "not a PHC string"},
		{"extra field", phc("argon2id", "v=19", good, salt, key) + "$x", "not a PHC string"},
		{"no leading $", phc("argon2id", "v=19", good, salt, key)[1:], "not a PHC string"},
		{"argon2i", phc("argon2i", "v=19", good, salt, key), "algorithm"},
		{"argon2d", phc("argon2d", "v=19", good, salt, key), "algorithm"},
		{"bcrypt-like", phc("2b", "v=19", good, salt, key), "algorithm"},
		{"version 16", phc("argon2id", "v=16", good, salt, key), "version"},
		{"version missing", phc("argon2id", good, good, salt, key), "version"},
		{"memory above 256 MiB", phc("argon2id", "v=19", "m=262145,t=1,p=1", salt, key), "memory 262145 KiB above"},
		{"memory overflows uint32", phc("argon2id", "v=19", "m=4294967296,t=1,p=1", salt, key), "parameter m"},
		{"memory below 8 per thread", phc("argon2id", "v=19", "m=15,t=1,p=2", salt, key), "memory 15 KiB below"},
		{"time above 10", phc("argon2id", "v=19", "m=64,t=11,p=1", salt, key), "time 11 above"},
		{"time 0", phc("argon2id", "v=19", "m=64,t=0,p=1", salt, key), "time 0"},
		{"threads above 8", phc("argon2id", "v=19", "m=640,t=1,p=9", salt, key), "threads 9 above"},
		{"threads 257 (would wrap to 1)", phc("argon2id", "v=19", "m=64,t=1,p=257", salt, key), "threads 257 above"},
		{"threads 0", phc("argon2id", "v=19", "m=64,t=1,p=0", salt, key), "threads 0"},
		{"leading zero", phc("argon2id", "v=19", "m=064,t=1,p=1", salt, key), "parameter m"},
		{"signed", phc("argon2id", "v=19", "m=+64,t=1,p=1", salt, key), "parameter m"},
		{"params reordered", phc("argon2id", "v=19", "t=1,m=64,p=1", salt, key), "m=,t=,p="},
		{"params missing", phc("argon2id", "v=19", "m=64,t=1", salt, key), "m=,t=,p="},
		{"params extra", phc("argon2id", "v=19", good+",k=1", salt, key), "m=,t=,p="},
		{"salt not base64", phc("argon2id", "v=19", good, "!!!!!!!!!!!!", key), "salt"},
		{"salt padded", phc("argon2id", "v=19", good, salt+"==", key), "salt"},
		{"salt non-canonical", phc("argon2id", "v=19", good, nonCanonical, key), "salt"},
		{"salt 7 bytes", phc("argon2id", "v=19", good, b64.EncodeToString([]byte("1234567")), key), "salt of 7 bytes"},
		{"salt 65 bytes", phc("argon2id", "v=19", good, b64.EncodeToString(make([]byte, 65)), key), "salt of 65 bytes"},
		{"salt empty", phc("argon2id", "v=19", good, "", key), "salt of 0 bytes"},
		{"key not base64", phc("argon2id", "v=19", good, salt, "%%%%"), "key"},
		{"key 31 bytes", phc("argon2id", "v=19", good, salt, b64.EncodeToString(make([]byte, 31))), "key of 31 bytes"},
		{"key 33 bytes", phc("argon2id", "v=19", good, salt, b64.EncodeToString(make([]byte, 33))), "key of 33 bytes"},
		{"key padded", phc("argon2id", "v=19", good, salt, key+"="), "key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, p, err := Compare(tt.encoded, pin)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Compare(%q) err = %v, want ErrCorrupt", tt.encoded, err)
			}
			if ok || p != (Params{}) {
				t.Errorf("Compare(%q) = %v, %+v; want false, zero Params", tt.encoded, ok, p)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.reason) {
				t.Errorf("error %q does not give the reason %q", msg, tt.reason)
			}
			if strings.Contains(msg, pin) {
				t.Errorf("error %q contains the PIN", msg)
			}
			if strings.Contains(msg, salt) || strings.Contains(msg, "AAAAAAAA") {
				t.Errorf("error %q quotes the stored string", msg)
			}
		})
	}
}

func TestDummyCompare(t *testing.T) {
	// The decoy must go all the way through parsing to the hash, or an
	// unknown support ID would answer faster than a wrong PIN.
	for _, p := range []Params{cheap, DefaultParams()} {
		ok, got, err := Compare(decoy(p), "48291736")
		if err != nil || ok || got != p {
			t.Errorf("Compare(decoy(%+v)) = %v, %+v, %v; want false, same params, nil", p, ok, got, err)
		}
	}
	if _, got, err := Compare(decoy(Params{}), "48291736"); err != nil || got != DefaultParams() {
		t.Errorf("decoy for invalid params = %+v, %v; want DefaultParams", got, err)
	}
	DummyCompare("48291736", cheap)
}

// ExampleCompare shows the re-hash a verifier does after a successful
// Compare when the policy's cost has changed since the PIN was stored.
func ExampleCompare() {
	stored, _ := Hash("48291736", Params{MemoryKiB: 64, Time: 1, Threads: 1})
	current := DefaultParams()

	ok, params, err := Compare(stored, "48291736")
	if err != nil {
		fmt.Println("corrupt hash") // log err, answer as a wrong PIN
		return
	}
	if ok && params != current {
		stored, _ = Hash("48291736", current) // store it in the same transaction
	}
	fmt.Println(ok, strings.HasPrefix(stored, "$argon2id$v=19$m=19456,t=2,p=1$"))
	// Output: true true
}
