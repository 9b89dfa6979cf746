package export

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestRNGIsThePublishedSchema: the XML-syntax schema xmllint reads names
// the same elements, with the same types and the same required fields, as
// the compact schema copied from the PFIF 1.4 specification.
func TestRNGIsThePublishedSchema(t *testing.T) {
	rnc, err := os.ReadFile("testdata/pfif-1.4.rnc")
	if err != nil {
		t.Fatal(err)
	}
	rng, err := os.ReadFile("testdata/pfif-1.4.rng")
	if err != nil {
		t.Fatal(err)
	}
	var fromRNC, fromRNG []string
	for _, block := range []string{"person", "note"} {
		body := regexp.MustCompile(`(?s)\n` + block + ` = element pfif:` + block + ` \{\n(.*?)\n\}`).FindSubmatch(rnc)
		if body == nil {
			t.Fatalf("no %s in the compact schema", block)
		}
		for _, m := range regexp.MustCompile(`element pfif:(\w+) \{ (\w+) \}( \?)?`).FindAllSubmatch(body[1], -1) {
			fromRNC = append(fromRNC, field(block, string(m[1]), string(m[2]), len(m[3]) > 0))
		}
		def := regexp.MustCompile(`(?s)<define name="` + block + `">(.*?)</define>`).FindSubmatch(rng)
		if def == nil {
			t.Fatalf("no %s in the XML schema", block)
		}
		for _, m := range regexp.MustCompile(`(<optional>)?<element name="(\w+)">(?:<ref name="(\w+)"/>|<(text)/>)</element>`).FindAllSubmatch(def[1], -1) {
			typ := string(m[3]) + string(m[4])
			fromRNG = append(fromRNG, field(block, string(m[2]), typ, len(m[1]) > 0))
		}
	}
	sort.Strings(fromRNC)
	sort.Strings(fromRNG)
	if strings.Join(fromRNC, "\n") != strings.Join(fromRNG, "\n") || len(fromRNC) < 40 {
		t.Errorf("the schemas differ:\ncompact:\n%s\n\nxml:\n%s", strings.Join(fromRNC, "\n"), strings.Join(fromRNG, "\n"))
	}
	for _, pattern := range []string{`.+/.+`, `\d\d\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`, `[\-+()\d ]+`, `\d+(-\d+)?`, `[A-Z][A-Z]`} {
		if !strings.Contains(string(rng), pattern) {
			t.Errorf("the XML schema lacks the pattern %s", pattern)
		}
	}
}

func field(block, name, typ string, optional bool) string {
	s := block + "." + name + ":" + typ
	if !optional {
		s += " (required)"
	}
	return s
}
