package config

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong with a policy file, located by key path and line.
type Problem struct {
	File string
	Line int
	Path string // e.g. plans.premium.priorities.2.live
	Msg  string
}

func (p Problem) String() string {
	loc := p.File
	if p.Line > 0 {
		loc = fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	if p.Path == "" {
		return loc + ": " + p.Msg
	}
	return loc + ": " + p.Path + ": " + p.Msg
}

// Problems is every problem found in a policy file; it is the error Load returns.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// checker collects problems and remembers the line of every key path, so
// that semantic checks made after decoding can still point at a line.
type checker struct {
	file     string
	lines    map[string]int
	problems Problems
}

func (c *checker) add(path, format string, args ...any) {
	c.problems = append(c.problems, Problem{File: c.file, Line: c.lineOf(path), Path: path, Msg: fmt.Sprintf(format, args...)})
}

// lineOf finds the line of path, or of its nearest ancestor that appears in
// the file (a missing key is reported at its parent).
func (c *checker) lineOf(path string) int {
	for p := path; p != ""; {
		if l, ok := c.lines[p]; ok {
			return l
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// walk compares the YAML tree with the Go type it will be decoded into,
// reporting unknown keys and values of the wrong shape with their key paths
// (yaml.v3's own errors name only a line and a Go type).
func (c *checker) walk(n *yaml.Node, t reflect.Type, path string) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) > 0 {
			c.walk(n.Content[0], t, path)
		}
		return
	}
	if _, seen := c.lines[path]; !seen && path != "" {
		c.lines[path] = n.Line // the key's own line when the caller recorded it
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // an empty value is the zero value
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			c.add(path, "must be a mapping of keys, not %s", describe(n))
			return
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := join(path, k.Value)
			c.lines[p] = k.Line
			f, ok := fields[k.Value]
			if !ok {
				c.add(p, "unknown key%s", suggest(k.Value, fields))
				continue
			}
			c.walk(v, f.Type, p)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			c.add(path, "must be a mapping, not %s", describe(n))
			return
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := join(path, k.Value)
			c.lines[p] = k.Line
			if seen[k.Value] {
				c.add(p, "appears twice")
				continue
			}
			seen[k.Value] = true
			if t.Key().Kind() == reflect.Int {
				if _, err := strconv.Atoi(k.Value); err != nil {
					c.add(p, "key must be a whole number (a priority level), not %q", k.Value)
					continue
				}
			}
			c.walk(v, t.Elem(), p)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			c.add(path, "must be a list, not %s", describe(n))
			return
		}
		for i, v := range n.Content {
			c.walk(v, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			c.add(path, "must be a single value, not %s", describe(n))
		}
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			c.add(path, "must be true or false, not %s", describe(n))
		}
	case reflect.Int, reflect.Int64, reflect.Uint32, reflect.Uint8:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			c.add(path, "must be a whole number, not %s", describe(n))
		}
	case reflect.Float64:
		if n.Kind != yaml.ScalarNode || (n.Tag != "!!float" && n.Tag != "!!int") {
			c.add(path, "must be a number, not %s", describe(n))
		}
	}
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return strconv.Quote(n.Value)
	}
}

func yamlFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		out[name] = f
	}
	return out
}

// suggest names the closest known key when the unknown one looks like a typo.
func suggest(key string, fields map[string]reflect.StructField) string {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	if best := closest(key, names, 3); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return fmt.Sprintf(" (known keys: %s)", strings.Join(names, ", "))
}

// closest returns the name nearest to key by edit distance, if it is nearer
// than limit; names must be sorted so that ties resolve the same way.
func closest(key string, names []string, limit int) string {
	best, bestD := "", limit
	for _, name := range names {
		if d := distance(key, name); d < bestD {
			best, bestD = name, d
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
