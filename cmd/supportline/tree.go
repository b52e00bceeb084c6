package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"supportline/errcode"
)

// annotReadOnly marks a command that only reads the database (see
// app.openDB).
const annotReadOnly = "supportline.read-only"

// readOnlyNames are the names of commands that only read, wherever they
// sit in the tree: every list, show, status, explain, due, holidays and
// check.
var readOnlyNames = map[string]bool{
	"list": true, "show": true, "status": true, "explain": true,
	"due": true, "holidays": true, "check": true,
}

// readOnlyPaths are read-only commands whose name does not say so: who is
// on call, and the simulated call (it reads engineers' numbers).
var readOnlyPaths = map[string]bool{
	"supportline oncall": true,
	"supportline call":   true,
}

// synonyms are names people type for our commands; cobra suggests the
// command when one is typed ("account delete": did you mean remove?).
var synonyms = map[string][]string{
	"remove": {"delete", "del", "rm"},
	"list":   {"ls"},
	"show":   {"get", "view", "info"},
	"add":    {"create", "new"},
	// user sign-out
	"sign-out": {"signout", "logout", "log-out"},
}

// prepareTree gives every command, once all are added, the behaviour a
// script can rely on, so that no command file has to remember it:
//   - a mistyped subcommand exits 2 with "unknown command" and a suggestion
//     (cobra would print the parent's help and exit 0); a parent run bare
//     still prints its help and exits 0, as asking for it;
//   - positional-argument errors are in our words and exit 2;
//   - read-only commands are annotated for openDB;
//   - flags are checked in one place before the command runs (checkFlags).
func (a *app) prepareTree(root *cobra.Command) {
	walk(root, func(c *cobra.Command) {
		c.SuggestFor = append(c.SuggestFor, synonyms[c.Name()]...)
		c.SuggestionsMinimumDistance = 2 // cobra's default, which SuggestionsFor does not apply itself
		if c.HasSubCommands() {
			if c.Run == nil && c.RunE == nil {
				c.RunE = unknownSubcommand
			}
			if c.Args == nil {
				c.Args = cobra.ArbitraryArgs // unknownSubcommand judges them
			}
		} else if c.Args != nil {
			c.Args = ourArgsError(c.Args)
		}
		if readOnlyNames[c.Name()] || readOnlyPaths[c.CommandPath()] {
			if c.Annotations == nil {
				c.Annotations = map[string]string{}
			}
			c.Annotations[annotReadOnly] = "true"
		}
	})
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		a.readOnly = cmd.Annotations[annotReadOnly] == "true"
		return checkFlags(cmd)
	}
}

// walk calls fn on c and every command below it.
func walk(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		walk(sub, fn)
	}
}

// unknownSubcommand is the RunE of a command that only groups others: run
// bare it prints its help; with an argument, that argument is a command it
// does not have.
func unknownSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	typed := args[0]
	msg := fmt.Sprintf("unknown command %q for %q", typed, cmd.CommandPath())
	if s := cmd.SuggestionsFor(typed); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	} else {
		var names []string
		for _, sub := range cmd.Commands() {
			if sub.IsAvailableCommand() {
				names = append(names, sub.Name())
			}
		}
		msg += "; its commands are " + strings.Join(names, ", ")
	}
	return usageError{msg + fmt.Sprintf(" (see %s --help)", cmd.CommandPath())}
}

// ourArgsError keeps the words of a validator that already speaks ours
// (exactArgs) and rewrites cobra's own ("unknown command" for an extra
// argument of a command that takes none).
func ourArgsError(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		err := check(cmd, args)
		if err == nil || errcode.CodeOf(err) != errcode.Internal {
			return err
		}
		if _, ours := err.(usageError); ours {
			return err
		}
		if strings.HasPrefix(err.Error(), "unknown command") && len(args) > 0 {
			return usageError{fmt.Sprintf("%s takes no arguments, not %q (usage: %s)", cmd.CommandPath(), strings.Join(args, " "), cmd.UseLine())}
		}
		return usageError{fmt.Sprintf("%s: %v (usage: %s)", cmd.CommandPath(), err, cmd.UseLine())}
	}
}

// checkFlags holds the flag rules that are the same for every command:
// --limit is at least 1 wherever it exists.
func checkFlags(cmd *cobra.Command) error {
	var err error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if err != nil || !f.Changed || f.Name != "limit" {
			return
		}
		if n, perr := strconv.ParseInt(f.Value.String(), 10, 64); perr == nil && n < 1 {
			err = errcode.Errorf(errcode.Invalid, "--limit must be at least 1, not %d", n)
		}
	})
	return err
}
