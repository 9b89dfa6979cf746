package main

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/export"
	"github.com/tipline/tipline/storage/storagetest"
)

// decrypt opens an age file with the partner's private key.
func decrypt(t *testing.T, path string, id age.Identity) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := age.Decrypt(f, id)
	if err != nil {
		t.Fatalf("decrypt %s: %v", path, err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// xmlChildren lists, for each element named parent, the local names of
// its child elements.
func xmlChildren(t *testing.T, doc []byte, parent string) [][]string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var out [][]string
	var stack []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if len(stack) > 0 && stack[len(stack)-1] == parent {
				out[len(out)-1] = append(out[len(out)-1], el.Name.Local)
			}
			if el.Name.Local == parent {
				out = append(out, nil)
			}
			stack = append(stack, el.Name.Local)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
}

// TestExport: a missing-child case goes out as PFIF 1.4 that the published
// schema accepts, tips as CSV; both only encrypted to the partner's key,
// with only the listed fields, and each export is in the case's audit.
func TestExport(t *testing.T) {
	storagetest.SkipShort(t, "xmllint, PostgreSQL and Redis")
	need := func(tool string) {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: ./scripts/test installs it (libxml2-utils)", tool)
		}
	}
	need("xmllint")
	e := newTestEnv(t)
	partner, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	to := partner.Recipient().String()
	dir := t.TempDir()

	secret := []string{"pseudonym-", "7300000001"}
	missing := e.opsCase(t, tipline.KindMissing, tipline.UrgencyUrgent, time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC), tipline.Answers{
		"name": "Canaryname Sokha", "age": "6_11", "sex": "girl", "seen_when": "2026-11-19",
		"seen_where": "Canarywhere Orussey market", "clothes": "Canaryclothes red shirt, blue shorts",
		"relation": "parent", "police": "yes", "phone": "+85512345678", "appeal": "yes",
	})
	pfifPath := filepath.Join(dir, "case.age")
	// Nobody has reviewed the case: it leaves only with --unreviewed.
	if out, err := e.runCLI(t, "export", "--to", to, "--case", string(missing), "--out", pfifPath); err == nil || !strings.Contains(err.Error(), "--unreviewed") {
		t.Fatalf("an unreviewed case exported without --unreviewed: %v\n%s", err, out)
	}
	if out, err := e.runCLI(t, "export", "--to", to, "--case", string(missing), "--unreviewed", "--domain", "ngo.example.org", "--out", pfifPath); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(pfifPath)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("Canary")) || !bytes.HasPrefix(raw, []byte("age-encryption.org/v1")) {
		t.Fatal("the export file is not age-encrypted")
	}
	if st, _ := os.Stat(pfifPath); st.Mode().Perm() != 0o600 {
		t.Errorf("export file mode %v, want 0600", st.Mode().Perm())
	}
	doc := decrypt(t, pfifPath, partner)

	// Validated against the schema published with PFIF 1.4 (testdata there).
	plain := filepath.Join(t.TempDir(), "check.xml") // a test's own temp dir, removed after
	if err := os.WriteFile(plain, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("xmllint", "--noout", "--relaxng", "../../export/testdata/pfif-1.4.rng", plain).CombinedOutput(); err != nil {
		t.Fatalf("PFIF does not validate: %v\n%s\n%s", err, out, doc)
	}
	persons, notes := xmlChildren(t, doc, "person"), xmlChildren(t, doc, "note")
	if len(persons) != 1 || len(notes) != 1 {
		t.Fatalf("want one person with one note (nothing was added later), got %d and %d:\n%s", len(persons), len(notes), doc)
	}
	for _, f := range persons[0] {
		if !slices.Contains(export.PersonFields, f) {
			t.Errorf("person field %s is not one an export may hold", f)
		}
	}
	for _, f := range notes[0] {
		if !slices.Contains(export.NoteFields, f) {
			t.Errorf("note field %s is not one an export may hold", f)
		}
	}
	for _, want := range []string{"<pfif:full_name>Canaryname Sokha</pfif:full_name>", "<pfif:sex>female</pfif:sex>", "<pfif:age>6-11</pfif:age>",
		"ngo.example.org/" + string(missing), "Canaryclothes red shirt", "Canarywhere Orussey market", "information_sought", "2026-11-20T09:30:00Z",
		// Who reported, and how to reach the family, who agreed to be contacted.
		"Reported by: Mother or father.", "Contact: the family agreed to be contacted; phone +855 12 345 678."} {
		if !bytes.Contains(doc, []byte(want)) {
			t.Errorf("PFIF lacks %q:\n%s", want, doc)
		}
	}
	for _, s := range secret {
		if bytes.Contains(doc, []byte(s)) {
			t.Errorf("PFIF carries %q, which must not leave", s)
		}
	}
	if out, _ := e.runCLI(t, "audit", string(missing)); !strings.Contains(out, "operator") || !strings.Contains(out, "exported_pfif") {
		t.Errorf("the export is not in the audit:\n%s", out)
	}

	// Tips: CSV, filtered, formula-looking text defused.
	tip := e.opsCase(t, tipline.KindTip, tipline.UrgencyNormal, time.Now(), tipline.Answers{
		"what": "=HYPERLINK(\"http://evil\")Canarywhat", "danger": "no", "where": "Canarywhere", "when": "today",
		"children": "1", "ages": "12_17", "adults": "Canaryadults",
	})
	old := e.opsCase(t, tipline.KindTip, tipline.UrgencyNormal, time.Now().AddDate(0, -2, 0), tipline.Answers{"what": "old"})
	csvPath := filepath.Join(dir, "tips.age")
	since := time.Now().AddDate(0, 0, -7).Format("2006-01-02")
	// Nobody has reviewed these tips: they leave only when asked for.
	if out, err := e.runCLI(t, "export", "--to", to, "--kind", "tip", "--since", since, "--status", "received", "--out", csvPath); err == nil || !strings.Contains(out+err.Error(), "--unreviewed") {
		t.Fatalf("unreviewed tips exported without --unreviewed: %v\n%s", err, out)
	}
	if out, err := e.runCLI(t, "export", "--to", to, "--kind", "tip", "--since", since, "--status", "received", "--unreviewed", "--out", csvPath); err != nil {
		t.Fatalf("export tips: %v\n%s", err, out)
	}
	plainCSV := decrypt(t, csvPath, partner)
	if !bytes.HasPrefix(plainCSV, []byte("\ufeff")) {
		t.Error("the CSV does not start with a UTF-8 BOM: Excel on Windows would show Khmer and Thai as mojibake")
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(plainCSV, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], export.CSVHeader("en")) || len(rows) != 2 || rows[1][0] != string(tip) {
		t.Fatalf("tips CSV: got %q, want the header and only %s (not %s)", rows, tip, old)
	}
	if what := rows[1][slices.Index(export.CSVColumns, "what")]; !strings.HasPrefix(what, "'=") {
		t.Errorf("a formula in a tip reaches the spreadsheet as %q", what)
	}

	// Refusals: no key, an existing file, a wrong kind; nothing in clear is left.
	if _, err := e.runCLI(t, "export", "--case", string(tip), "--out", filepath.Join(dir, "x.age")); err == nil {
		t.Error("export without --to succeeded")
	}
	if _, err := e.runCLI(t, "export", "--to", to, "--case", string(tip), "--out", csvPath); err == nil {
		t.Error("export replaced an existing file")
	}
	if _, err := e.runCLI(t, "export", "--to", to, "--case", string(tip), "--kind", "missing", "--out", filepath.Join(dir, "y.age")); err == nil {
		t.Error("a tip was exported as PFIF")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, en := range entries {
		names = append(names, en.Name())
	}
	if !slices.Equal(names, []string{"case.age", "tips.age"}) {
		t.Errorf("the export directory holds %v, want only the two encrypted files", names)
	}
}
