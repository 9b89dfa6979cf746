package tipline_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// layers are docs/design.md's layers ("The packages and their arrows"),
// paths relative to the module: a package imports, of ours, only packages
// of the layers before its own. Keep the two in step.
var layers = [][]string{
	{"", "reply", "keys", "locales/script", "metrics", "telegramemu", "sandbox", "internal/testclock", "internal/golden", "internal/claimloop", "internal/testio"},
	{"oncall", "storage", "flows", "locales", "places", "internal/chattest"},
	{"review", "export", "report", "storage/internal/rules", "metrics/snapshot", "voices", "outbox"},
	{"storage/postgres", "storage/redis", "storage/memory"},
	{"bot"},
	{"cmd/tipline"},
}

// outsideLayers are the packages for tests and tools only.
var outsideLayers = []string{"storage/storagetest", "telegramemu/internal/apigen", "deploy"}

// TestImportGraph holds the layers of docs/design.md, and the arrows its
// package table forbids beyond them: flows (the pure conversation)
// imports neither bot nor storage nor go-i18n; reply, metrics and the
// domain import nothing of ours; review imports no Telegram types and not
// bot; outbox imports neither flows nor review nor bot. storage imports neither pgx nor go-redis, and of postgres, redis
// and memory none imports another or another's technology.
func TestImportGraph(t *testing.T) {
	const mod = "github.com/tipline/tipline"
	rules := []struct {
		pkg       string
		forbidden []string
	}{
		{mod, []string{mod + "/"}},
		{mod + "/flows", []string{mod + "/bot/", mod + "/storage/", mod + "/review", mod + "/locales", "github.com/nicksnyder/go-i18n/", "github.com/go-telegram/"}},
		{mod + "/reply", []string{mod + "/"}},
		{mod + "/metrics", []string{mod + "/"}},
		{mod + "/review", []string{mod + "/bot/", mod + "/storage/", mod + "/locales", "github.com/nicksnyder/go-i18n/", "github.com/go-telegram/", "github.com/jackc/", "github.com/redis/"}},
		{mod + "/oncall", []string{mod + "/bot/", mod + "/storage/", mod + "/review", mod + "/flows"}},
		// storage is the vocabulary; each technology keeps to its package.
		{mod + "/storage", []string{mod + "/storage/", "github.com/jackc/", "github.com/redis/"}},
		{mod + "/storage/postgres", []string{mod + "/storage/redis", mod + "/storage/memory", "github.com/redis/"}},
		{mod + "/storage/redis", []string{mod + "/storage/postgres", mod + "/storage/memory", "github.com/jackc/"}},
		{mod + "/storage/memory", []string{mod + "/storage/postgres", mod + "/storage/redis", "github.com/jackc/", "github.com/redis/"}},
		// The sender knows Telegram's methods and limits, not conversations
		// or cases, and is given its store and throttles like the bot.
		{mod + "/outbox", []string{mod + "/flows", mod + "/review", mod + "/bot", mod + "/locales", mod + "/storage/postgres", mod + "/storage/redis", mod + "/storage/memory", "github.com/jackc/", "github.com/redis/"}},
		// The bot is given its stores (Parts); it names no technology.
		{mod + "/bot", []string{mod + "/storage/postgres", mod + "/storage/redis", mod + "/storage/memory", "github.com/jackc/", "github.com/redis/"}},
	}
	// One go list for every package: its direct imports, then all it depends on.
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}|{{join .Imports \" \"}}|{{join .Deps \" \"}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list ./...: %v", err)
	}
	imports, deps := map[string][]string{}, map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "|")
		imports[f[0]], deps[f[0]] = strings.Fields(f[1]), strings.Fields(f[2])
	}

	layerOf := map[string]int{}
	for i, l := range layers {
		for _, rel := range l {
			layerOf[strings.TrimSuffix(mod+"/"+rel, "/")] = i
		}
	}
	for pkg, imps := range imports {
		rel := strings.TrimPrefix(strings.TrimPrefix(pkg, mod), "/")
		if slices.Contains(outsideLayers, rel) {
			continue
		}
		own, ok := layerOf[pkg]
		if !ok {
			t.Errorf("%s is in no layer: give it one in docs/design.md and in imports_test.go", pkg)
			continue
		}
		for _, imp := range imps {
			if l, ours := layerOf[imp]; ours && l >= own {
				t.Errorf("%s (layer %d) imports %s (layer %d): docs/design.md's layers allow only arrows to earlier layers", pkg, own, imp, l)
			}
		}
	}

	for _, r := range rules {
		if _, ok := deps[r.pkg]; !ok {
			t.Errorf("no package %s", r.pkg)
		}
		for _, dep := range deps[r.pkg] {
			for _, f := range r.forbidden {
				// "x/" forbids x and everything under it; "x" forbids x only.
				if dep == strings.TrimSuffix(f, "/") || (strings.HasSuffix(f, "/") && strings.HasPrefix(dep, f)) {
					t.Errorf("%s imports %s", r.pkg, dep)
				}
			}
		}
	}
}
