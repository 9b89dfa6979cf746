package deploy

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline/storage/storagetest"
)

// need fails the test when a tool is missing: scripts/test installs each
// of them, so a missing one is a broken setup, not a reason to skip. Under
// -short (nothing but Go) the test is skipped, naming the tools.
func need(t *testing.T, tools ...string) {
	t.Helper()
	storagetest.SkipShort(t, strings.Join(tools, ", "))
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: run ./scripts/test, which installs it (Debian package named in its ensure_tools)", tool)
		}
	}
}

func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// debEntry is one line of `dpkg-deb -c`.
type debEntry struct {
	mode, owner string
}

// buildDeb builds the package with scripts/build-deb, once per test.
func buildDeb(t *testing.T) string {
	t.Helper()
	need(t, "dpkg-deb", "go", "gzip")
	out := run(t, "..", []string{"TIPLINE_VERSION=1.2.3~test"}, "./scripts/build-deb", t.TempDir())
	deb := strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
	if !strings.HasSuffix(deb, ".deb") {
		t.Fatalf("build-deb printed no package path: %q", out)
	}
	return deb
}

// readmeFiles reads the table of the package's files from the README,
// between its deb-files markers: | `path` | owner | mode | what |.
func readmeFiles(t *testing.T) map[string]debEntry {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	start, end := strings.Index(s, "<!-- deb-files:begin -->"), strings.Index(s, "<!-- deb-files:end -->")
	if start < 0 || end < start {
		t.Fatal("README.md has no <!-- deb-files:begin --> ... <!-- deb-files:end --> table")
	}
	row := regexp.MustCompile("^\\| `([^`]+)` \\| ([a-z]+:[a-z]+) \\| ([0-7]{4}) \\|")
	files := map[string]debEntry{}
	for _, line := range strings.Split(s[start:end], "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			files[m[1]] = debEntry{owner: m[2], mode: m[3]}
		}
	}
	if len(files) == 0 {
		t.Fatal("the README's deb-files table has no rows")
	}
	return files
}

// modeOctal turns "-rwxr-xr-x" into "0755".
func modeOctal(perm string) string {
	n := 0
	for i, c := range perm[1:10] {
		if c != '-' {
			n |= 1 << (8 - i)
		}
	}
	return "0" + strconv.FormatInt(int64(n), 8)
}

// TestDebianPackage builds the .deb, checks its files, owners and modes
// against the README, its control fields and conffiles, unpacks it with
// dpkg-deb -x and runs the binary from there, and verifies the systemd unit.
func TestDebianPackage(t *testing.T) {
	need(t, "systemd-analyze")
	deb := buildDeb(t)

	got := map[string]debEntry{}
	sc := bufio.NewScanner(strings.NewReader(run(t, "", nil, "dpkg-deb", "-c", deb)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 6 || !strings.HasPrefix(f[0], "-") { // files only; directories are 0755 root:root
			if len(f) >= 6 && f[0][0] == 'd' && (f[0] != "drwxr-xr-x" || f[1] != "root/root") {
				t.Errorf("directory %s is %s %s, want drwxr-xr-x root/root", f[5], f[0], f[1])
			}
			continue
		}
		path := strings.TrimPrefix(f[5], ".")
		got[path] = debEntry{mode: modeOctal(f[0]), owner: strings.Replace(f[1], "/", ":", 1)}
	}
	want := readmeFiles(t)
	for path, w := range want {
		g, ok := got[path]
		switch {
		case !ok:
			t.Errorf("the README lists %s, the package lacks it", path)
		case g != w:
			t.Errorf("%s is %s %s in the package, the README says %s %s", path, g.owner, g.mode, w.owner, w.mode)
		}
	}
	for path := range got {
		if _, ok := want[path]; !ok {
			t.Errorf("the package holds %s, which the README's table does not list", path)
		}
	}

	control := run(t, "", nil, "dpkg-deb", "-f", deb, "Package", "Version", "Recommends")
	for _, w := range []string{"Package: tipline", "Version: 1.2.3~test", "Recommends: postgresql, redis-server"} {
		if !strings.Contains(control, w) {
			t.Errorf("control lacks %q:\n%s", w, control)
		}
	}
	ctrl := t.TempDir()
	run(t, "", nil, "dpkg-deb", "-e", deb, ctrl)
	if b, err := os.ReadFile(filepath.Join(ctrl, "conffiles")); err != nil || strings.TrimSpace(string(b)) != "/etc/tipline/tipline.env" {
		t.Errorf("conffiles = %q (%v), want /etc/tipline/tipline.env, so an upgrade keeps the operator's settings", b, err)
	}

	root := t.TempDir()
	run(t, "", nil, "dpkg-deb", "-x", deb, root)
	bin := filepath.Join(root, "usr/bin/tipline")
	if out := run(t, "", nil, bin, "version"); !strings.Contains(out, "1.2.3~test") {
		t.Errorf("tipline version = %q, want the package version", out)
	}
	if out := run(t, "", nil, bin, "help"); !strings.Contains(out, "ENVIRONMENT") || !strings.Contains(out, "/etc/tipline/tipline.env") {
		t.Errorf("tipline help does not read like the manual:\n%s", out)
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(string(out), "TELEGRAM_BOT_TOKEN") {
		t.Errorf("tipline serve without settings: %v, %q; want exit 2 naming TELEGRAM_BOT_TOKEN", err, out)
	}
	// The installed binary migrates an empty schema of this test's own, as
	// the unit's ExecStartPre does on a new server.
	conn := storagetest.Conn(t)
	schema := fmt.Sprintf("deb_test_%d", time.Now().UnixNano())
	if _, err := conn.Exec(context.Background(), "create schema "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := storagetest.Conn(t).Exec(context.Background(), "drop schema "+schema+" cascade"); err != nil {
			t.Logf("drop schema %s: %v", schema, err)
		}
	})
	migrate := exec.Command(bin, "migrate")
	migrate.Env = []string{"DATABASE_URL=" + storagetest.SchemaURL(schema)}
	if out, err := migrate.CombinedOutput(); err != nil || !strings.Contains(string(out), "up to date") {
		t.Errorf("the unpacked tipline migrate: %v\n%s", err, out)
	}
	var tables int
	if err := conn.QueryRow(context.Background(), "select count(*) from information_schema.tables where table_schema = $1", schema).Scan(&tables); err != nil || tables < 10 {
		t.Errorf("after migrate the schema has %d tables (%v)", tables, err)
	}
	man := run(t, "", nil, "sh", "-c", "gzip -dc "+filepath.Join(root, "usr/share/man/man1/tipline.1.gz"))
	if !strings.HasPrefix(man, ".TH TIPLINE 1") || !strings.Contains(man, "SYNOPSIS") {
		t.Errorf("tipline.1 is not the manual page:\n%.300s", man)
	}

	// The env file: every setting it names is one the manual documents.
	env, err := os.ReadFile(filepath.Join(root, "etc/tipline/tipline.env"))
	if err != nil {
		t.Fatal(err)
	}
	manual := run(t, "", nil, bin, "help")
	for _, m := range regexp.MustCompile(`(?m)^#?([A-Z][A-Z0-9_]+)=`).FindAllStringSubmatch(string(env), -1) {
		if !strings.Contains(manual, m[1]) {
			t.Errorf("tipline.env sets %s, which 'tipline help' does not document", m[1])
		}
	}

	unit, err := os.ReadFile(filepath.Join(root, "usr/lib/systemd/system/tipline.service"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "PrivateTmp=yes",
		"CapabilityBoundingSet=\n", "EnvironmentFile=/etc/tipline/tipline.env",
		"ExecStartPre=/usr/bin/tipline migrate", "ExecStart=/usr/bin/tipline serve", "RestartPreventExitStatus=2"} {
		if !bytes.Contains(unit, []byte(w)) {
			t.Errorf("the unit lacks %q", strings.TrimSpace(w))
		}
	}
	// systemd-analyze verify checks that the binary exists, at its path on
	// the host: verify a copy whose paths point into the unpacked package.
	verify := filepath.Join(t.TempDir(), "tipline.service")
	moved := strings.NewReplacer("/usr/bin/tipline", bin, "/etc/tipline/", filepath.Join(root, "etc/tipline")+"/").Replace(string(unit))
	if err := os.WriteFile(verify, []byte(moved), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := run(t, "", nil, "systemd-analyze", "verify", "--man=no", verify); strings.TrimSpace(out) != "" {
		t.Errorf("systemd-analyze verify complained:\n%s", out)
	}
	sec := run(t, "", nil, "systemd-analyze", "security", "--offline=yes", "--root="+root, "--no-pager", "tipline.service")
	m := regexp.MustCompile(`Overall exposure level for tipline.service: ([0-9.]+)`).FindStringSubmatch(sec)
	if m == nil {
		t.Fatalf("no exposure level in systemd-analyze security:\n%s", sec)
	}
	if level, _ := strconv.ParseFloat(m[1], 64); level > 2.0 {
		t.Errorf("systemd-analyze security rates the unit %s, want 2.0 or less (OK):\n%s", m[1], sec)
	}
}

// TestAlertRules checks the alert rules with promtool and runs their unit
// tests, and that every Tipline metric they use is one the program exports.
func TestAlertRules(t *testing.T) {
	need(t, "promtool")
	run(t, "prometheus", nil, "promtool", "check", "rules", "alerts.yml")
	out := run(t, "prometheus", nil, "promtool", "test", "rules", "alerts_test.yml")
	if !strings.Contains(out, "SUCCESS") {
		t.Fatalf("promtool test rules:\n%s", out)
	}
	rules, err := os.ReadFile("prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var exported []byte
	for _, f := range []string{"../metrics/metrics.go", "../metrics/state.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		exported = append(exported, b...)
	}
	for _, name := range regexp.MustCompile(`tipline_[a-z0-9_]+`).FindAllString(string(rules), -1) {
		if !bytes.Contains(exported, []byte(`"`+name+`"`)) {
			t.Errorf("alerts.yml uses %s, which package metrics does not export", name)
		}
	}
}

// copyFile copies src to dst.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestCompose checks the compose file with docker-compose config (no
// image registry can be reached here, so nothing is pulled or built), in a
// copy whose env files are the examples: secrets go only to the service
// that needs them, every service has a health check, data is in volumes.
func TestCompose(t *testing.T) {
	need(t, "docker-compose")
	dir := t.TempDir()
	copyFile(t, "compose.yaml", filepath.Join(dir, "deploy/compose.yaml"))
	copyFile(t, "Dockerfile", filepath.Join(dir, "deploy/Dockerfile"))
	copyFile(t, "tipline.compose.env.example", filepath.Join(dir, "deploy/tipline.compose.env"))
	copyFile(t, "postgres.compose.env.example", filepath.Join(dir, "deploy/postgres.compose.env"))
	out := run(t, filepath.Join(dir, "deploy"), nil, "docker-compose", "-p", "tipline", "-f", "compose.yaml", "config")
	services := regexp.MustCompile(`(?m)^  (\w+):\n((?:    .*\n|  - .*\n)*)`).FindAllStringSubmatch(out[strings.Index(out, "services:"):], -1)
	got := map[string]string{}
	for _, s := range services {
		got[s[1]] = s[2]
	}
	for _, name := range []string{"bot", "db", "redis"} {
		body, ok := got[name]
		if !ok {
			t.Fatalf("no %s service in:\n%s", name, out)
		}
		if !strings.Contains(body, "healthcheck:") {
			t.Errorf("%s has no health check", name)
		}
		if name != "bot" && strings.Contains(body, "TIPLINE_SECRET_KEY") {
			t.Errorf("%s is given the bot's key", name)
		}
	}
	if !strings.Contains(got["bot"], "TIPLINE_SECRET_KEY") || !strings.Contains(got["bot"], "condition: service_healthy") {
		t.Errorf("the bot lacks its settings or does not wait for healthy services:\n%s", got["bot"])
	}
	if !strings.Contains(got["bot"], "127.0.0.1:8080:8080") {
		t.Error("the bot's listener (metrics, health) is published beyond the host's loopback")
	}
	for _, v := range []string{"pgdata:/var/lib/postgresql/data", "redisdata:/data"} {
		if !strings.Contains(out, v) {
			t.Errorf("no volume %s", v)
		}
	}
}

// TestDockerfileBuildsLikeThePackage runs the Dockerfile's build stage as
// far as it goes without a registry: its `go build` line, here, and checks
// it is the one scripts/build-deb runs; the result runs.
func TestDockerfileBuildsLikeThePackage(t *testing.T) {
	storagetest.SkipShort(t, "a static build of the whole program (slow)")
	need(t, "go")
	docker, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^RUN (CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=\$\{VERSION\}") -o /out/tipline \./cmd/tipline$`).FindSubmatch(docker)
	if m == nil {
		t.Fatal("the Dockerfile's build step is not the static, trimmed go build of ./cmd/tipline")
	}
	script, err := os.ReadFile("../scripts/build-deb")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(script, []byte(`go build -trimpath -ldflags "-s -w -X main.version=$version"`)) || !bytes.Contains(script, []byte("CGO_ENABLED=0")) {
		t.Error("scripts/build-deb and the Dockerfile build differently")
	}
	for _, want := range []string{"FROM gcr.io/distroless/static-debian12:nonroot", "USER nonroot", `ENTRYPOINT ["/usr/bin/tipline"]`, `CMD ["serve"]`, `"/usr/bin/tipline", "health"`} {
		if !bytes.Contains(docker, []byte(want)) {
			t.Errorf("the Dockerfile lacks %s", want)
		}
	}
	bin := filepath.Join(t.TempDir(), "tipline")
	run(t, "..", []string{"VERSION=9.9.9-docker"}, "sh", "-c", string(m[1])+" -o "+bin+" ./cmd/tipline")
	if out := run(t, "", nil, bin, "version"); !strings.Contains(out, "9.9.9-docker") {
		t.Errorf("the built binary says %q", out)
	}
}

// TestMaintainerScripts is the security review's L11: an upgrade restarts
// a running service on the new binary (try-restart: a stopped one stays
// stopped), a new install starts nothing, and removal stops the service.
// The scripts run against stubs of systemctl and deb-systemd-invoke, with
// their paths moved into a temporary directory.
func TestMaintainerScripts(t *testing.T) {
	dir := t.TempDir()
	systemdDir := filepath.Join(dir, "run-systemd-system")
	if err := os.Mkdir(systemdDir, 0o755); err != nil {
		t.Fatal(err)
	}
	envFile := filepath.Join(dir, "tipline.env")
	if err := os.WriteFile(envFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	stubs := filepath.Join(dir, "bin")
	if err := os.Mkdir(stubs, 0o755); err != nil {
		t.Fatal(err)
	}
	calls := filepath.Join(dir, "calls")
	for _, name := range []string{"systemctl", "deb-systemd-invoke", "chown"} {
		stub := "#!/bin/sh\necho " + name + " \"$@\" >>" + calls + "\n"
		if err := os.WriteFile(filepath.Join(stubs, name), []byte(stub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	script := func(name string, args ...string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join("debian", name))
		if err != nil {
			t.Fatal(err)
		}
		moved := strings.NewReplacer("/run/systemd/system", systemdDir, "/etc/tipline/tipline.env", envFile).Replace(string(b))
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(moved), 0o755); err != nil {
			t.Fatal(err)
		}
		os.Remove(calls)
		cmd := exec.Command("sh", append([]string{path}, args...)...)
		cmd.Env = []string{"PATH=" + stubs + ":/usr/bin:/bin"}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		got, _ := os.ReadFile(calls)
		return string(got)
	}
	if got := script("postinst", "configure", ""); strings.Contains(got, "restart") || strings.Contains(got, "start tipline") {
		t.Errorf("a new install started the service:\n%s", got)
	}
	if st, err := os.Stat(envFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("the env file is %v (%v), want 0600", st.Mode(), err)
	}
	if got := script("postinst", "configure", "1.2.2"); !strings.Contains(got, "deb-systemd-invoke try-restart tipline.service") {
		t.Errorf("an upgrade did not restart the running service:\n%s", got)
	}
	if got := script("prerm", "upgrade", "1.2.3"); got != "" {
		t.Errorf("prerm on upgrade did %s", got)
	}
	if got := script("prerm", "remove"); !strings.Contains(got, "deb-systemd-invoke stop tipline.service") || !strings.Contains(got, "systemctl disable tipline.service") {
		t.Errorf("removal did not stop and disable the service:\n%s", got)
	}
}

// TestPurgeKeepsTheSecretKey: dpkg --purge deletes the conffile that holds
// TIPLINE_SECRET_KEY, the only key to the database and its backups. The
// package's postrm keeps a copy on removal (which purge runs first) and
// says where it is on purge; only TIPLINE_PURGE_SECRET_KEY=yes deletes it.
func TestPurgeKeepsTheSecretKey(t *testing.T) {
	root := t.TempDir()
	env := filepath.Join(root, "etc", "tipline", "tipline.env")
	if err := os.MkdirAll(filepath.Dir(env), 0o755); err != nil {
		t.Fatal(err)
	}
	const key = "TIPLINE_SECRET_KEY=c2VjcmV0IGtleSBmb3IgYSB0ZXN0IG9mIHB1cmdlIQ==\n"
	if err := os.WriteFile(env, []byte("TELEGRAM_BOT_TOKEN=1:x\n"+key), 0o600); err != nil {
		t.Fatal(err)
	}
	dpkg := []string{"DPKG_ROOT=" + root}
	postrm := "debian/postrm"
	run(t, "", dpkg, "sh", postrm, "remove")
	if err := os.Remove(env); err != nil { // dpkg deletes the conffile on purge
		t.Fatal(err)
	}
	out := run(t, "", dpkg, "sh", postrm, "purge")
	copyPath := filepath.Join(root, "var", "backups", "tipline.env")
	b, err := os.ReadFile(copyPath)
	if err != nil || !strings.Contains(string(b), key) {
		t.Fatalf("after purge the key is not kept in /var/backups/tipline.env: %v %q", err, b)
	}
	if st, _ := os.Stat(copyPath); st.Mode().Perm() != 0o600 {
		t.Errorf("the copy is %v, want 0600", st.Mode().Perm())
	}
	if !strings.Contains(out, "/var/backups/tipline.env") {
		t.Errorf("purge does not say where the key is: %q", out)
	}
	run(t, "", append(dpkg, "TIPLINE_PURGE_SECRET_KEY=yes"), "sh", postrm, "purge")
	if _, err := os.Stat(copyPath); !os.IsNotExist(err) {
		t.Errorf("TIPLINE_PURGE_SECRET_KEY=yes left the copy: %v", err)
	}
}

// TestReadmeOperatorCommands reads every shell command of the README's
// operator sections (from "Run it on your server" to "Containers") as an
// ordinary account with sudo would type it: a tipline command needs the
// root-only settings file (sudo sh -c '… . /etc/tipline/tipline.env …'),
// PostgreSQL's tools run as the postgres user (pg_restore as the
// logged-in user fails), apt and systemctl need sudo, and the package is
// installed from where scripts/build-deb writes it. TestReadmeOperatorRun
// runs them.
func TestReadmeOperatorCommands(t *testing.T) {
	cmds := readmeOperatorCommands(t)
	script, err := os.ReadFile("../scripts/build-deb")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`out=\$\{1:-([^}]+)\}`).FindSubmatch(script)
	if m == nil {
		t.Fatal("scripts/build-deb names no default output directory")
	}
	debGlob := "./" + string(m[1]) + "/tipline_*_amd64.deb"
	if ok, _ := filepath.Match("tipline_*_amd64.deb", "tipline_1.2.3~test_amd64.deb"); !ok {
		t.Fatal("the package name pattern no longer matches build-deb's tipline_VERSION_ARCH.deb")
	}
	installs := 0
	for _, c := range cmds {
		for _, stage := range strings.Split(c, "|") {
			stage = strings.TrimSpace(strings.SplitN(stage, "&&", 2)[0])
			f := strings.Fields(stage)
			if len(f) == 0 {
				continue
			}
			switch f[0] {
			case "tipline":
				t.Errorf("%q: an ordinary account cannot read /etc/tipline/tipline.env; run it as sudo sh -c 'set -a; . /etc/tipline/tipline.env; exec tipline ...'", c)
			case "createdb", "createuser", "psql", "pg_restore", "pg_dump", "dropdb":
				t.Errorf("%q: %s runs as the logged-in user, who has no PostgreSQL role; use sudo -u postgres %s", c, f[0], f[0])
			case "apt", "systemctl", "dpkg":
				t.Errorf("%q: %s needs sudo", c, f[0])
			case "sudo":
				if sudoCommand(f[1:]) == "tipline" {
					t.Errorf("%q: sudo tipline has no settings; read /etc/tipline/tipline.env first", c)
				}
				if strings.Contains(stage, "apt install ./") {
					installs++
					if !strings.Contains(stage, debGlob) && !strings.Contains(stage, "./"+string(m[1])+"/tipline_NEW.deb") {
						t.Errorf("%q: the package is built into %s (scripts/build-deb)", c, debGlob)
					}
				}
			}
		}
	}
	if installs == 0 {
		t.Error("the README installs no package")
	}
}

// operatorSections is the README's text from "Run it on your server" to
// "Containers": what an operator types.
func operatorSections(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	start, end := strings.Index(readme, "## Run it on your server"), strings.Index(readme, "### Containers")
	if start < 0 || end < start {
		t.Fatal("the README has no operator sections")
	}
	return readme[start:end]
}

// readmeOperatorCommands is every shell command of the README's operator
// sections, in order: the lines of its sh blocks, without comments.
func readmeOperatorCommands(t *testing.T) []string {
	t.Helper()
	var cmds []string
	in := false
	for _, line := range strings.Split(operatorSections(t), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "```"):
			in = strings.HasPrefix(line, "```sh")
		case in && line != "" && !strings.HasPrefix(line, "#"):
			if i := strings.Index(line, "  #"); i > 0 {
				line = strings.TrimSpace(line[:i]) // a comment after the command
			}
			cmds = append(cmds, line)
		}
	}
	if len(cmds) < 10 {
		t.Fatalf("found only %d commands: %q", len(cmds), cmds)
	}
	return cmds
}

// sudoCommand is the command sudo runs, given the words after "sudo":
// options (-u USER and the like) and VAR=value settings are skipped.
func sudoCommand(words []string) string {
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch {
		case w == "-u" || w == "-g":
			i++
		case strings.HasPrefix(w, "-"), strings.Contains(w, "="):
		default:
			return w
		}
	}
	return ""
}
