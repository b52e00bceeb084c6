package ivr

import (
	"strconv"
	"strings"
	"unicode"
)

// What an engineer may text the line, parsed here and nowhere else. A
// message is words separated by any run of spaces (line breaks and other
// control characters count as spaces), the first word the command in any
// case: "ack 100123", "  Note  100123 called back ".

// The commands.
const (
	cmdAck     = "ACK"
	cmdResolve = "RESOLVE"
	cmdNote    = "NOTE"
	cmdWho     = "WHO"
	cmdHelp    = "HELP"
)

// smsCommand is a parsed message.
type smsCommand struct {
	// verb is one of the cmd* constants; cmdHelp for an empty message and
	// for any word that is not a command.
	verb string
	// number is the ticket named, 0 when none was (a bare ACK or RESOLVE:
	// the last ticket texted to the engineer).
	number int64
	// text is a NOTE's text, its words joined by single spaces.
	text string
	// problem, when set, is the reply to a command that cannot be run as
	// written (not a number, a NOTE without text); nothing is changed.
	problem string
}

// changes reports whether the command changes a ticket (and so is guarded
// against replays).
func (c smsCommand) changes() bool {
	return c.problem == "" && (c.verb == cmdAck || c.verb == cmdResolve || c.verb == cmdNote)
}

// maxTicketDigits bounds a ticket number as texted: both engines' BIGINT.
const maxTicketDigits = 18

// parseSMS reads an engineer's message.
func parseSMS(body string) smsCommand {
	words := strings.FieldsFunc(body, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
	if len(words) == 0 {
		return smsCommand{verb: cmdHelp}
	}
	c := smsCommand{verb: strings.ToUpper(words[0])}
	args := words[1:]
	switch c.verb {
	case cmdAck, cmdResolve:
		switch len(args) {
		case 0:
			// bare: the last ticket texted to the engineer
		case 1:
			c.number, c.problem = ticketNumber(c.verb, args[0])
		default:
			c.problem = c.verb + " takes one ticket number, e.g. " + c.verb + " 100123 (or " + c.verb + " alone for the last ticket texted to you). Nothing changed."
		}
	case cmdNote:
		switch len(args) {
		case 0:
			c.problem = "NOTE needs a ticket number and the note, e.g. NOTE 100123 called the customer back. Nothing changed."
		case 1:
			if c.number, c.problem = ticketNumber(c.verb, args[0]); c.problem == "" {
				c.problem = "NOTE " + strconv.FormatInt(c.number, 10) + " needs the note after the number, e.g. NOTE " +
					strconv.FormatInt(c.number, 10) + " called the customer back. Nothing changed."
			}
		default:
			c.number, c.problem = ticketNumber(c.verb, args[0])
			c.text = strings.Join(args[1:], " ")
		}
	case cmdWho, cmdHelp:
		// words after them are ignored
	default:
		c.verb = cmdHelp
	}
	return c
}

// ticketNumber reads a ticket number as texted ("100123" or "#100123");
// problem says why it is not one. The word is not repeated in the reply.
func ticketNumber(verb, word string) (n int64, problem string) {
	digits := strings.TrimPrefix(word, "#")
	if digits != "" && len(digits) <= maxTicketDigits && strings.Trim(digits, "0123456789") == "" {
		if n, err := strconv.ParseInt(digits, 10, 64); err == nil && n > 0 {
			return n, ""
		}
	}
	return 0, "That is not a ticket number: a ticket number is digits, e.g. " + verb + " 100123. Nothing changed."
}
