package auth_test

import (
	"crypto/rand"
	"strings"
	"testing"

	"supportline/auth"
	"supportline/errcode"
)

func TestCheckPassword(t *testing.T) {
	const (
		short  = "at least 12 characters"
		long   = "at most 256 bytes"
		named  = "must not contain your e-mail name or the word supportline"
		common = "too common"
	)
	for _, tc := range []struct {
		name, password, email string
		want                  string // "" for accepted
	}{
		{"11 characters", "plum-ferry1", "jane@example.com", short + " (this one has 11)"},
		{"11 characters of two bytes", "éàüöçñåøæßî", "jane@example.com", short + " (this one has 11)"},
		{"12 characters of two bytes are enough", "éàüöçñåøæßîô", "jane@example.com", ""},
		{"12 characters", "plum-ferry-7", "jane@example.com", ""},
		{"empty", "", "jane@example.com", short + " (this one has 0)"},
		{"256 bytes", strings.Repeat("kettle plum ", 22)[:256], "jane@example.com", ""},
		{"257 bytes", strings.Repeat("kettle plum ", 22)[:257], "jane@example.com", long},
		{"129 characters of two bytes", strings.Repeat("éà", 64) + "ü", "jane@example.com", long},
		{"not UTF-8", strings.Repeat("\xff", 12), "jane@example.com", "not valid text"},
		{"the e-mail's name", "Jane.Doe-kettle-1987", "jane.doe@example.com", named},
		{"the e-mail's name, upper-cased e-mail", "tangerine-jane.doe", "Jane.Doe@Example.com", named},
		{"a short e-mail name is not checked", "al-tangerine-kettle", "al@example.com", ""},
		{"the product's name", "my SupportLine kettle", "jane@example.com", named},

		{"Password2026!", "Password2026!", "jane@example.com", common},
		{"qwertyuiop12", "qwertyuiop12", "jane@example.com", common},
		{"123456789012", "123456789012", "jane@example.com", common},
		{"aaaaaaaaaaaa", "aaaaaaaaaaaa", "jane@example.com", common},
		{"iloveyou2024", "iloveyou2024", "jane@example.com", common},
		{"Summer2026!!", "Summer2026!!", "jane@example.com", common},
		{"P@ssw0rd1234", "P@ssw0rd1234", "jane@example.com", common},
		{"letmeinletmein", "letmeinletmein", "jane@example.com", common},
		{"monkeydragon99", "monkeydragon99", "jane@example.com", common},
		{"12 of é", "éééééééééééé", "jane@example.com", common},
		{"abcdefghijkl", "abcdefghijkl", "jane@example.com", common},
		{"0987654321ab", "0987654321ab", "jane@example.com", common},
		{"Aa123456789!", "Aa123456789!", "jane@example.com", common},
		{"1q2w3e4r5t6y", "1q2w3e4r5t6y", "jane@example.com", common},
		{"1qaz2wsx3edc", "1qaz2wsx3edc", "jane@example.com", common},
		{"abc123abc123", "abc123abc123", "jane@example.com", common},
		{"trustno1trustno1", "trustno1trustno1", "jane@example.com", common},
		{"mypassword12", "mypassword12", "jane@example.com", common},
		{"Pa$$w0rd2026", "Pa$$w0rd2026", "jane@example.com", common},

		{"correct horse battery staple", "correct horse battery staple", "jane@example.com", ""},
		{"plum-ferry-gravel-7", "plum-ferry-gravel-7", "jane@example.com", ""},
		{"tangerine kettle 1987", "tangerine kettle 1987", "jane@example.com", ""},
		{"1984 was a good book", "1984 was a good book", "jane@example.com", ""},
		{"three common words", "blue green yellow", "jane@example.com", ""},
		{"Tr0ub4dor&3xyz", "Tr0ub4dor&3xyz", "jane@example.com", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := auth.CheckPassword(tc.password, tc.email)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("CheckPassword(%q) = %v, want accepted", tc.password, err)
				}
				return
			}
			if !errcode.Is(err, errcode.Invalid) || !strings.Contains(errcode.Message(err), tc.want) {
				t.Fatalf("CheckPassword(%q) = %v, want invalid with %q", tc.password, err, tc.want)
			}
			if strings.Contains(errcode.Message(err), tc.password) && tc.password != "" {
				t.Errorf("the message repeats the password: %q", errcode.Message(err))
			}
		})
	}
}

func TestCheckPasswordAcceptsRandom(t *testing.T) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#%&*+-=?@^_~"
	for range 100 {
		b := make([]byte, 16)
		rand.Read(b)
		for i := range b {
			b[i] = alphabet[int(b[i])%len(alphabet)]
		}
		if err := auth.CheckPassword(string(b), "jane@example.com"); err != nil {
			t.Errorf("CheckPassword(%q) = %v, want a random 16 characters accepted", b, err)
		}
	}
}
