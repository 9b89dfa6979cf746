package golden

import (
	"os"
	"path/filepath"
	"testing"
)

// recorder is a testing.TB that keeps whether Check failed, so a failing
// comparison can be asserted without failing this test.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true; panic(r) }
func (r *recorder) Helper()               {}

func check(t *testing.T, name, got string) (failed bool) {
	r := &recorder{TB: t}
	defer func() {
		if p := recover(); p != nil && p != r {
			panic(p)
		}
		failed = r.failed
	}()
	Check(r, name, got)
	return r.failed
}

func TestCheck(t *testing.T) {
	t.Chdir(t.TempDir())
	if !check(t, "missing", "x") {
		t.Error("a missing golden file passed")
	}
	*update = true
	if check(t, "kept", "hello\n") {
		t.Fatal("-update failed")
	}
	*update = false
	if b, err := os.ReadFile(filepath.Join("testdata", "kept.golden")); err != nil || string(b) != "hello\n" {
		t.Fatalf("-update wrote %q, %v", b, err)
	}
	if check(t, "kept", "hello\n") {
		t.Error("the same text failed")
	}
	if !check(t, "kept", "hello, changed\n") {
		t.Error("a changed text passed")
	}
}
