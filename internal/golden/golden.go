// Package golden compares a test's output with a file kept in the test's
// testdata/ folder, and rewrites the file when the test runs with -update:
// the flows' transcripts and the review desk's views are read by a person
// in the diff, so one helper keeps how they are kept and told alike.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// Check compares got with testdata/NAME.golden, or writes it there under
// -update. A difference is an error, not a stop, so every file of a run
// is shown.
func Check(t testing.TB, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update in this package to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s changed; review with go test -update and git diff\n--- got ---\n%s", path, got)
	}
}
