package auth

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"supportline/errcode"
)

// Bounds of a console password. The upper bound keeps a hash's input (and
// a form post) small; argon2id itself does not care.
const (
	MinPassword = 12
	MaxPassword = 256
)

// CheckPassword refuses a password a console user may not choose: shorter
// than MinPassword characters, longer than MaxPassword bytes, one that
// contains the user's e-mail name or the product's name, or a common one
// (see commonPassword). Its words are for the form, next to the field
// (errcode.FieldOf is "password").
func CheckPassword(password, email string) error {
	return errcode.WithField(checkPassword(password, email), "password")
}

func checkPassword(password, email string) error {
	switch n := utf8.RuneCountInString(password); {
	case !utf8.ValidString(password):
		return errcode.New(errcode.Invalid, "the password is not valid text")
	case n < MinPassword:
		return errcode.Errorf(errcode.Invalid, "a password needs at least %d characters (this one has %d); a phrase of three or four unrelated words is easy to remember", MinPassword, n)
	case len(password) > MaxPassword:
		return errcode.Errorf(errcode.Invalid, "a password has at most %d bytes", MaxPassword)
	}
	lower := strings.ToLower(password)
	name, _, _ := strings.Cut(NormalizeEmail(email), "@")
	if (len(name) >= 4 && strings.Contains(lower, name)) || strings.Contains(lower, "supportline") {
		return errcode.New(errcode.Invalid, "the password must not contain your e-mail name or the word supportline")
	}
	if commonPassword(password) {
		return errcode.New(errcode.Invalid, "this password is too common (a common word or name, a keyboard pattern or a sequence, with digits or symbols around it); choose a phrase of unrelated words")
	}
	return nil
}

// commonWords are the words people build most passwords from, written for
// this check (no list was copied): what guessing tools try first. A
// password made of one or two of them, repeated or not, with digits and
// symbols around them, is refused.
var commonWords = strings.Fields(`
	password passwd pass word secret letmein welcome hello helloworld login admin administrator root
	user guest test testing default changeme access qwerty asdf zxcv iloveyou love lovely baby angel
	monkey dragon tiger lion eagle shadow master superman batman spiderman starwars pokemon ninja
	football baseball soccer hockey basketball golf tennis sunshine princess flower chocolate cookie
	banana orange apple cherry purple yellow green blue black white silver golden diamond thunder
	summer winter spring autumn fall january february march april may june july august september
	october november december monday tuesday wednesday thursday friday saturday sunday
	michael jennifer charlie jordan hunter ranger buster tigger pepper maggie ginger daniel thomas
	robert jessica ashley amanda nicole hannah matthew andrew joshua david james john mary
	computer internet freedom whatever trustno matrix killer money my the
	google microsoft samsung facebook linkedin company office support service manager
	london paris berlin america canada england
	abc abcd abcdef abcdefg
`)

// keyboardRows are the rows and columns people walk along on a keyboard.
var keyboardRows = []string{"1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "qazwsxedcrfvtgbyhnujmikolp", "qwertz", "azerty"}

// commonPassword reports whether p is one of the passwords guessing tools
// try first: after lower-casing and undoing digit-for-letter swaps (p4ss),
// the letters are one or two common words, a keyboard walk, a sequence or
// one short unit repeated, and whatever is not letters is digits and
// symbols around them (or between them, as padding: 1q2w3e4r5t6y); or p
// as a whole is a walk, sequence or repetition (123456789012,
// aaaaaaaaaaaa); or fewer than three letters are left.
func commonPassword(p string) bool {
	lower := strings.ToLower(p)
	if patterned(lower) {
		return true
	}
	letters := strings.Map(func(r rune) rune {
		switch r {
		case '0':
			return 'o'
		case '1', '!':
			return 'i'
		case '3':
			return 'e'
		case '4', '@':
			return 'a'
		case '5', '$':
			return 's'
		case '7':
			return 't'
		}
		if unicode.IsLetter(r) {
			return r
		}
		return -1
	}, strings.Trim(lower, "0123456789!@#$%^&*()-_=+.,?~ "))
	if len(letters) < 3 {
		return true // digits and symbols around (almost) nothing: Aa123456789!
	}
	// Digits and symbols between the letters may be padding rather than
	// swaps: 1q2w3e4r5t6y, abc123abc123, trustno1trustno1.
	only := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) {
			return r
		}
		return -1
	}, lower)
	return patterned(letters) || wordsOf(letters, 2) || (len(only) >= 3 && (patterned(only) || wordsOf(only, 2)))
}

// wordsOf reports whether s is at most n common words in a row, each
// possibly repeated.
func wordsOf(s string, n int) bool {
	if s == "" {
		return true
	}
	if n == 0 {
		return false
	}
	for _, w := range commonWords {
		rest := s
		if !strings.HasPrefix(rest, w) {
			continue
		}
		for strings.HasPrefix(rest, w) {
			rest = rest[len(w):]
		}
		if wordsOf(rest, n-1) {
			return true
		}
	}
	return false
}

// patterned reports whether s is a keyboard walk, an ascending or
// descending sequence, or a unit of at most four characters repeated.
func patterned(s string) bool {
	if len(s) < 3 {
		return false
	}
	for unit := 1; unit <= 4 && unit < len(s); unit++ {
		if strings.Repeat(s[:unit], len(s)/unit+1)[:len(s)] == s {
			return true
		}
	}
	up, down := true, true
	for i := 1; i < len(s); i++ {
		up = up && s[i] == s[i-1]+1
		down = down && s[i] == s[i-1]-1
	}
	if up || down {
		return true
	}
	for _, row := range keyboardRows {
		walk := row + row // wrapping walks: 7890qwe is not, but 67890123 is
		if strings.Contains(walk, s) || strings.Contains(reverse(walk), s) {
			return true
		}
	}
	return false
}

func reverse(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}
