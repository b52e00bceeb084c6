package console_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every input of every page has a label (the issue: "labels on every
// input"): an <input> that a person fills, a <select> or a <textarea> has
// an id that a <label for> of the same page names, or sits inside its
// label. Hidden inputs and buttons need none.
func TestTemplatesLabelEveryInput(t *testing.T) {
	files, err := filepath.Glob("templates/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("no templates: %v", err)
	}
	control := regexp.MustCompile(`<(input|select|textarea)\b[^>]*>`)
	idAttr := regexp.MustCompile(`\bid="([^"]+)"`)
	typeAttr := regexp.MustCompile(`\btype="([^"]+)"`)
	labelFor := regexp.MustCompile(`<label\b[^>]*\bfor="([^"]+)"`)
	wrapped := regexp.MustCompile(`(?s)<label\b[^>]*>((?:[^<]|<[^/]|</[^l])*?)</label>`)
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		page := string(raw)
		labelled := map[string]bool{}
		for _, m := range labelFor.FindAllStringSubmatch(page, -1) {
			labelled[m[1]] = true
		}
		inLabel := map[string]bool{}
		for _, m := range wrapped.FindAllStringSubmatch(page, -1) {
			for _, c := range control.FindAllString(m[1], -1) {
				inLabel[c] = true
			}
		}
		for _, c := range control.FindAllString(page, -1) {
			if ty := typeAttr.FindStringSubmatch(c); ty != nil {
				switch ty[1] {
				case "hidden", "submit", "button", "reset":
					continue
				}
			}
			if strings.Contains(c, " hidden") || inLabel[c] {
				continue
			}
			id := idAttr.FindStringSubmatch(c)
			if id == nil || !labelled[id[1]] {
				t.Errorf("%s: %s has no label", filepath.Base(file), c)
			}
		}
	}
}
