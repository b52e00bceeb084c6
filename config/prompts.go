package config

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// DefaultPrompts are the English words of the phone line. The policy file's
// `prompts:` mapping overrides any of them. Placeholders in braces are
// filled in by the phone line; each prompt may use only the placeholders
// listed for it in PromptPlaceholders.
var DefaultPrompts = map[string]string{
	"greeting":           "Thank you for calling {line}.",
	"ask_support_id":     "Please enter your eight digit support ID, followed by the pound key.",
	"ask_pin":            "Please enter your PIN, followed by the pound key.",
	"pin_wrong":          "That support ID and PIN did not match.",
	"locked":             "For your security, this support ID is temporarily locked. Please email {email} for help. Goodbye.",
	"too_many_attempts":  "We could not verify your identity. Please email {email} for help. Goodbye.",
	"pin_expired":        "Your PIN has expired. Please email {email} for a new one. Goodbye.",
	"one_moment":         "One moment please.",
	"no_input":           "We did not receive any input.",
	"no_input_goodbye":   "We did not receive any input. Please call again when you are ready. Goodbye.",
	"invalid_key":        "Sorry, that is not an option.",
	"repeat_hint":        "To hear these options again, press star.",
	"priority_intro":     "Please choose the {priority_word} of your issue.",
	"priority_option":    "For {priority_word} {level}, {name}: {description} Press {level}.",
	"escalate_option":    "To escalate an existing ticket, press 9.",
	"confirm_priority":   "You chose {priority_word} {level}, {name}. This pages the on-call engineer now. To confirm, press 1. To choose again, press 2.",
	"ticket_number":      "Your ticket number is {ticket}.",
	"connecting":         "Connecting you to an engineer now. Please stay on the line.",
	"voicemail_closed":   "Live support for this {priority_word} is available {hours}. Please leave a message after the tone, with your name and a description of the problem, then press pound.",
	"voicemail_nobody":   "No engineer could take your call right now. Please leave a message after the tone, with your name and a description of the problem, then press pound.",
	"voicemail_thanks":   "Thank you. Your message is on ticket {ticket}. An engineer will respond {due}. Goodbye.",
	"no_message":         "We did not receive a message. Your ticket {ticket} remains open, and an engineer will respond {due}. Goodbye.",
	"whisper":            "{priority_word} {level} call from {account}, {contact}, ticket {ticket}. Press 1 to accept.",
	"whisper_declined":   "Call not accepted. Goodbye.",
	"whisper_accepted":   "Connecting you now.",
	"escalate_ask":       "Please enter the ticket number you want to escalate, followed by the pound key.",
	"escalate_done":      "Ticket {ticket} is now escalated, and the engineering team has been notified. Goodbye.",
	"escalate_already":   "Ticket {ticket} is already escalated, and the engineering team has been notified. Goodbye.",
	"escalate_not_found": "We could not find that ticket on your account.",
	"not_entitled":       "{message} Goodbye.",
	"fallback_email":     "We are sorry, our support line is having trouble. Please email {email}. Goodbye.",
	"apology":            "We are sorry, something went wrong on our side.",
	"goodbye":            "Thank you for calling. Goodbye.",
	// receipt_sms is not spoken: it is the SMS a plan with receipt_sms:
	// true sends the caller's contact when a call opens a ticket. {due} is
	// the first response's due time in the plan's zone (Policy.PlanZone).
	"receipt_sms": "{line}: ticket {ticket} opened, {priority_word} {level} ({name}). First response due by {due}.",
}

// PromptPlaceholders lists, per prompt, the placeholders it may use.
var PromptPlaceholders = map[string][]string{
	"greeting":          {"line"},
	"locked":            {"email"},
	"too_many_attempts": {"email"},
	"pin_expired":       {"email"},
	"priority_intro":    {"priority_word"},
	"priority_option":   {"priority_word", "level", "name", "description"},
	"confirm_priority":  {"priority_word", "level", "name", "description"},
	"ticket_number":     {"ticket"},
	"voicemail_closed":  {"priority_word", "hours"},
	"voicemail_thanks":  {"ticket", "due"},
	"no_message":        {"ticket", "due"},
	"whisper":           {"priority_word", "level", "name", "account", "contact", "ticket"},
	"escalate_done":     {"ticket"},
	"escalate_already":  {"ticket"},
	"not_entitled":      {"message"},
	"fallback_email":    {"email"},
	"receipt_sms":       {"line", "ticket", "priority_word", "level", "name", "due"},
}

var placeholderRE = regexp.MustCompile(`\{([a-z_]*)\}`)

// Prompt returns the words for key: the policy file's, else the default.
func (p *Policy) Prompt(key string) string {
	if s, ok := p.Prompts[key]; ok {
		return s
	}
	return DefaultPrompts[key]
}

// PriorityWord is what the line calls priorities ("Priority", "Severity").
func (p *Policy) PriorityWord() string {
	if p.Line.PriorityWord != "" {
		return p.Line.PriorityWord
	}
	return "Priority"
}

func (p *Policy) validatePrompts(c *checker) {
	keys := make([]string, 0, len(p.Prompts))
	for k := range p.Prompts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		path := "prompts." + k
		if _, ok := DefaultPrompts[k]; !ok {
			c.add(path, "unknown prompt%s", suggestKey(k, DefaultPrompts))
			continue
		}
		text := p.Prompts[k]
		if strings.TrimSpace(text) == "" {
			c.add(path, "is empty; remove the key to use the default")
			continue
		}
		allowed := map[string]bool{}
		for _, ph := range PromptPlaceholders[k] {
			allowed[ph] = true
		}
		for _, m := range placeholderRE.FindAllStringSubmatch(text, -1) {
			if !allowed[m[1]] {
				if len(allowed) == 0 {
					c.add(path, "placeholder {%s} is not available here (this prompt takes none)", m[1])
				} else {
					c.add(path, "placeholder {%s} is not available here (use %s)", m[1], braces(PromptPlaceholders[k]))
				}
			}
		}
	}
}

func braces(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "{" + n + "}"
	}
	return strings.Join(out, ", ")
}

func suggestKey(key string, known map[string]string) string {
	if best := closest(key, sortedKeys(known), 4); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return " (see the README for the list of prompts)"
}
