package tipline_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportGraph holds the layers of DESIGN.md's package table: no
// upward arrows. flows (the pure conversation) imports neither bot nor
// storage nor go-i18n; reply imports nothing of ours; review imports no
// Telegram types and not bot. storage imports neither pgx nor go-redis,
// and of postgres, redis and memory none imports another or another's
// technology.
func TestImportGraph(t *testing.T) {
	const mod = "github.com/tipline/tipline"
	rules := []struct {
		pkg       string
		forbidden []string
	}{
		{mod + "/flows", []string{mod + "/bot/", mod + "/storage/", mod + "/review", mod + "/locales", "github.com/nicksnyder/go-i18n/", "github.com/go-telegram/"}},
		{mod + "/reply", []string{mod + "/"}},
		{mod + "/review", []string{mod + "/bot/", mod + "/storage/", mod + "/locales", "github.com/nicksnyder/go-i18n/", "github.com/go-telegram/", "github.com/jackc/", "github.com/redis/"}},
		{mod + "/oncall", []string{mod + "/bot/", mod + "/storage/", mod + "/review", mod + "/flows"}},
		// storage is the vocabulary; each technology keeps to its package.
		{mod + "/storage", []string{mod + "/storage/", "github.com/jackc/", "github.com/redis/"}},
		{mod + "/storage/postgres", []string{mod + "/storage/redis", mod + "/storage/memory", "github.com/redis/"}},
		{mod + "/storage/redis", []string{mod + "/storage/postgres", mod + "/storage/memory", "github.com/jackc/"}},
		{mod + "/storage/memory", []string{mod + "/storage/postgres", mod + "/storage/redis", "github.com/jackc/", "github.com/redis/"}},
	}
	for _, r := range rules {
		out, err := exec.Command("go", "list", "-deps", r.pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", r.pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if dep == r.pkg {
				continue
			}
			for _, f := range r.forbidden {
				// "x/" forbids x and everything under it; "x" forbids x only.
				if dep == strings.TrimSuffix(f, "/") || (strings.HasSuffix(f, "/") && strings.HasPrefix(dep, f)) {
					t.Errorf("%s imports %s", r.pkg, dep)
				}
			}
		}
	}
}
