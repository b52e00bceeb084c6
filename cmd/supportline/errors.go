package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"supportline/config"
	"supportline/errcode"
)

// jsonError is the shape of an error on stderr under --json.
type jsonError struct {
	Error jsonErrorBody `json:"error"`
}

type jsonErrorBody struct {
	Code     errcode.Code  `json:"code"`
	Message  string        `json:"message"`
	Problems []jsonProblem `json:"problems,omitempty"`
}

// jsonProblem is one problem of a policy file.
type jsonProblem struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
}

// printError writes err to w, as one line (JSON under --json), and returns
// the exit status: errcode's table (2 bad input, 3 not found or conflict, 1
// anything else); a usage error is bad input; policy-file problems exit 1,
// one line each, as `check` always has. An internal error shows its detail
// as it always has: the CLI runs on the operator's own terminal, where the
// cause (a refused connection, a full disk) is what they need to act.
func printError(w io.Writer, asJSON bool, err error) int {
	body := jsonErrorBody{Code: errcode.CodeOf(err)}
	exit := errcode.ExitCode(body.Code)
	var problems config.Problems
	var usage usageError
	switch {
	case errors.As(err, &problems):
		body.Code, exit = errcode.Invalid, 1
		body.Message = fmt.Sprintf("%d problem(s) in the policy file", len(problems))
		for _, p := range problems {
			body.Problems = append(body.Problems, jsonProblem{File: p.File, Line: p.Line, Path: p.Path, Message: p.Msg})
		}
	case errors.As(err, &usage):
		body.Code, exit = errcode.Invalid, 2
		body.Message = usage.msg
	case body.Code == errcode.Internal:
		body.Message = err.Error()
	default:
		body.Message = errcode.Message(err)
	}
	if asJSON {
		b, _ := json.Marshal(jsonError{body})
		fmt.Fprintf(w, "%s\n", b)
		return exit
	}
	if len(problems) > 0 {
		fmt.Fprintf(w, "%s\n%s\n", problems.Error(), body.Message)
		return exit
	}
	fmt.Fprintf(w, "error: %s\n", body.Message)
	return exit
}

// jsonRequested reports whether args ask for --json, for an error found
// while parsing the flags, before the --json flag itself is parsed.
func jsonRequested(args []string) bool {
	for _, arg := range args {
		switch arg {
		case "--":
			return false
		case "--json", "--json=true", "--json=1":
			return true
		}
	}
	return false
}

// flagError rewrites pflag's errors, which speak Go ("strconv.ParseInt:
// parsing \"x\": invalid syntax"), into ours, by the flag's type. It is the
// root's flag error func, inherited by every command.
func flagError(cmd *cobra.Command, err error) error {
	var bad *pflag.InvalidValueError
	var missing *pflag.ValueRequiredError
	var unknown *pflag.NotExistError
	var syntax *pflag.InvalidSyntaxError
	switch {
	case errors.As(err, &bad):
		f := bad.GetFlag()
		msg := fmt.Sprintf("--%s takes %s, not %q", f.Name, wants(f), bad.GetValue())
		if errors.Is(err, strconv.ErrRange) {
			msg += " (too large)"
		}
		return usageError{msg}
	case errors.As(err, &missing):
		if f := missing.GetFlag(); f != nil {
			return usageError{fmt.Sprintf("--%s needs a value (%s)", f.Name, wants(f))}
		}
	case errors.As(err, &unknown):
		name := "--" + unknown.GetSpecifiedName()
		if s := unknown.GetSpecifiedShortnames(); s != "" {
			name = "-" + unknown.GetSpecifiedName()
		}
		return usageError{fmt.Sprintf("unknown flag %s for %s (see %s --help)", name, cmd.CommandPath(), cmd.CommandPath())}
	case errors.As(err, &syntax):
		return usageError{fmt.Sprintf("%q is not a flag: flags look like --name value or --name=value", syntax.GetSpecifiedFlag())}
	}
	return usageError{err.Error()}
}

// wants says what a flag takes, from its type.
func wants(f *pflag.Flag) string {
	switch t := f.Value.Type(); {
	case strings.HasPrefix(t, "uint"):
		return "a whole number, 0 or more"
	case strings.HasPrefix(t, "int") && !strings.HasSuffix(t, "Slice"):
		return "a whole number"
	case strings.HasPrefix(t, "float"):
		return "a number such as 1.5"
	case t == "bool":
		return "true or false"
	case t == "duration":
		return "a duration such as 30s, 5m or 1h30m"
	case t == "string":
		return "a word or text"
	default:
		return "a value of type " + t
	}
}
