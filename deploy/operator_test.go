package deploy

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/internal/testio"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/storage/postgres"
	"github.com/tipline/tipline/telegramemu"
)

// The throwaway machine's operator: an ordinary account in group sudo, as
// the README's "Every command below is meant for an ordinary account with
// sudo" has in mind.
const (
	operator   = "tipline-op"
	sudoersOp  = "/etc/sudoers.d/tipline-op"
	unitPath   = "/usr/lib/systemd/system/tipline.service"
	envPath    = "/etc/tipline/tipline.env"
	keptEnv    = "/var/backups/tipline.env"
	dynamicUID = "61999" // in systemd's DynamicUser range (61184–65519), owned by nobody
)

// operatorGate says why TestReadmeOperatorRun cannot run here, or "".
func operatorGate() string {
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root (it adds a user, installs the .deb and drops databases)")
	}
	for _, tool := range []string{"apt-get", "dpkg", "useradd"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if _, err := user.Lookup("postgres"); err != nil {
		missing = append(missing, "a PostgreSQL server on this machine (its account postgres: the README runs sudo -u postgres createuser)")
	}
	if os.Getenv("CI") != "true" && os.Getenv("TIPLINE_TEST_OPERATOR") != "1" {
		missing = append(missing, "CI=true or TIPLINE_TEST_OPERATOR=1 (it changes this machine: a throwaway one only)")
	}
	return strings.Join(missing, ", ")
}

// TestReadmeOperatorRun runs every command of the README's operator
// sections, in order, as an ordinary account with sudo (tipline-op) types
// it, on this (throwaway) machine: it installs the .deb built by
// scripts/build-deb, makes the database, fills the settings with sudoedit,
// starts the service, runs doctor, the voices, a partner's exports, a
// backup, the restore into tipline_restored (a case written before the
// backup is read back from it with the same key), the board report, and
// then the README's "Removing it" (remove keeps the settings, purge keeps
// the key in /var/backups/tipline.env).
//
// The README is the script. The designed substitutions, each marked
// "substitution:" below:
//   - createuser -P: the password typed twice, on stdin;
//   - sudoedit: SUDO_EDITOR is a script that fills the token,
//     DATABASE_URL's password and TIPLINE_SECRET_KEY, points
//     TELEGRAM_API_URL at an emulated Telegram (telegramemu) and
//     TIPLINE_LISTEN_ADDR at a free port; the comment "point DATABASE_URL
//     at tipline_restored" is the same editor, changing the database name;
//   - there is no systemd here (not PID 1): `systemctl enable --now` is
//     `systemctl enable` (real, offline), systemd-analyze verify of the
//     installed unit, and the unit run as it says: EnvironmentFile read,
//     ExecStartPre then ExecStart, as an unused uid of DynamicUser's range
//     with no groups and no new privileges (setpriv), UMask 0077;
//     `systemctl stop` is KillSignal (SIGTERM) within TimeoutStopSec;
//     `journalctl -u tipline -f` is that process's output, which must say
//     "tipline is running";
//   - placeholders: `age1...` is backup-key.txt's public key (made with
//     age-keygen, as is the partner's), `--partner 2` is the partner the
//     test added, and the backup's date in the restore line is the date of
//     the backup just made;
//   - what the README says in words is run the way it says: the first
//     reviewer invited and registered (through the emulated Telegram), the
//     rota set, a partner added with its key, all "the same way as doctor".
//
// A tip and a missing child, referred to that partner, are written
// straight into the store (as a reviewer's work would leave them) before
// the exports and the backup.
func TestReadmeOperatorRun(t *testing.T) {
	if why := operatorGate(); why != "" {
		t.Skipf("needs %s; scripts/test sets CI=true on a disposable machine", why)
	}
	need(t, "sudo", "su", "age", "age-keygen", "setpriv", "systemd-analyze", "systemctl", "runuser", "psql", "pg_dump", "pg_restore")
	cmds := readmeOperatorCommands(t)
	removing := readmeRemoving(t)

	o := &operatorRun{t: t, cmds: cmds}
	o.cleanup()
	t.Cleanup(o.cleanup)

	// The operator's account: a home, group sudo, no password asked.
	run(t, "", nil, "useradd", "--create-home", "--shell", "/bin/bash", "--groups", "sudo", operator)
	if err := os.WriteFile(sudoersOp, []byte(operator+" ALL=(ALL:ALL) NOPASSWD: ALL\n"), 0o440); err != nil {
		t.Fatal(err)
	}
	u, err := user.Lookup(operator)
	if err != nil {
		t.Fatal(err)
	}
	o.home = u.HomeDir
	if out := o.as("id -un; sudo -n id -un", ""); out != operator+"\nroot\n" {
		t.Fatalf("the operator is not an ordinary account with sudo: %q", out)
	}

	// The package, where scripts/build-deb writes it: dist/ of the checkout.
	deb := buildDeb(t)
	o.give("dist/"+filepath.Base(deb), deb, 0o644)

	// Telegram, emulated; the keys an operator and a partner make.
	emu := telegramemu.NewServer()
	t.Cleanup(emu.Close)
	o.as("age-keygen -o backup-key.txt 2>/dev/null; age-keygen -o partner-key.txt 2>/dev/null", "")
	backupRecipient, partnerRecipient := o.recipient("backup-key.txt"), o.recipient("partner-key.txt")
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	o.secret = base64.StdEncoding.EncodeToString(secret)
	o.password = "op-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	o.emuURL = emu.URL()
	o.listen = freeAddr(t)

	var (
		partnerID  int64
		tip, child tipline.Reference
		backup     string
		restored   bool // the case was read back from tipline_restored
	)
	for _, c := range cmds {
		// substitutions: placeholders become what the test made.
		line := c
		if partnerID != 0 {
			line = strings.ReplaceAll(line, "--partner 2 ", fmt.Sprintf("--partner %d ", partnerID))
		}
		line = strings.ReplaceAll(line, "--to age1... ", "--to "+backupRecipient+" ")
		if backup != "" {
			line = regexp.MustCompile(`/var/backups/tipline-\d{4}-\d{2}-\d{2}\.age`).ReplaceAllString(line, backup)
		}
		t.Logf("%s $ %s", time.Now().Format("15:04:05"), line)

		switch {
		case strings.Contains(line, "createuser -P"):
			// substitution: the password, typed twice at the prompts.
			o.as(line, o.password+"\n"+o.password+"\n")

		case strings.HasPrefix(line, "sudoedit "+envPath):
			o.edit(line, "tipline")

		case line == "sudo systemctl enable --now tipline":
			// substitution: enable (real), then the unit's start.
			o.as(strings.Replace(line, " --now", "", 1), "")
			if _, err := os.Lstat("/etc/systemd/system/multi-user.target.wants/tipline.service"); err != nil {
				t.Errorf("systemctl enable did not enable the unit at boot: %v", err)
			}
			o.verifyUnit()
			o.start()

		case strings.HasPrefix(line, "sudo journalctl -u tipline"):
			// substitution: the service's output is its journal.
			if !strings.Contains(o.svc.out.String(), "tipline is running") {
				t.Fatalf("the service's log does not say tipline is running:\n%s", o.svc.out.String())
			}

		case line == "sudo systemctl stop tipline":
			// substitution: KillSignal, within TimeoutStopSec.
			o.stop()

		case line == "sudo systemctl start tipline":
			// substitution: the README's comment before it, "point
			// DATABASE_URL at tipline_restored (same TIPLINE_SECRET_KEY)", is
			// sudoedit again; the start is the unit's commands, as above.
			o.edit("sudoedit "+envPath, "tipline_restored")
			o.start()
			o.readBack("tipline_restored", tip, "Canaryoperator the girl next door")
			restored = true

		case strings.HasSuffix(line, "exec tipline doctor'"):
			o.firstDoctor(line, emu)
			// A partner for the exports below, with the key it gave.
			out := o.as(o.tiplineLine(line, `partners add --name "Anti-trafficking police" --kind police --country KH --age-recipient `+partnerRecipient), "")
			m := regexp.MustCompile(`Partner (\d+) added`).FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("partners add printed no id: %q", out)
			}
			partnerID, _ = strconv.ParseInt(m[1], 10, 64)
			tip, child = o.referredCases(partnerID)

		case strings.Contains(line, "exec tipline backup "):
			before := time.Now().Format("2006-01-02")
			o.as(line, "")
			backup = "/var/backups/tipline-" + before + ".age"
			if _, err := os.Stat(backup); err != nil {
				backup = "/var/backups/tipline-" + time.Now().Format("2006-01-02") + ".age" // midnight passed
			}
			if b, err := os.ReadFile(backup); err != nil || !bytes.HasPrefix(b, []byte("age-encryption.org/v1")) {
				t.Fatalf("the backup %s is not an age file: %v", backup, err)
			}

		case strings.Contains(line, "apt "):
			// substitution: apt's "Do you want to continue?", answered.
			o.as(line, "y\n")

		default:
			o.as(line, "")
		}

		switch {
		case strings.Contains(line, "--kind tip"):
			if csv := o.decrypt(outPath(t, line), "partner-key.txt"); !strings.Contains(csv, string(tip)) {
				t.Errorf("the partner's tips export lacks the tip %s referred to it:\n%.500s", tip, csv)
			}
		case strings.Contains(line, "--kind missing"):
			if xml := o.decrypt(outPath(t, line), "partner-key.txt"); !strings.Contains(xml, string(child)) {
				t.Errorf("the partner's missing-child export lacks %s referred to it:\n%.500s", child, xml)
			}
		case strings.Contains(line, "exec tipline report "):
			if b, err := os.ReadFile(outPath(t, line)); err != nil || !bytes.Contains(b, []byte("<svg")) {
				t.Errorf("the board report is not there or has no chart: %v", err)
			}
		case strings.Contains(line, "exec tipline voices export "):
			dir := regexp.MustCompile(`voices export (\S+?)'?$`).FindStringSubmatch(line)
			if _, err := os.Stat(filepath.Join(dir[1], "manifest.json")); err != nil {
				t.Errorf("voices export wrote no manifest: %v", err)
			}
		}
	}
	if backup == "" || tip == "" || o.svc == nil || !restored {
		t.Fatalf("the README's operator commands made no backup, case, service or restore to start on: %q", cmds)
	}
	o.stop()

	// Upgrading: the README's `sudo apt install ./dist/tipline_NEW.deb`,
	// NEW being the same package with a higher version (substitution);
	// tipline.env, a conffile, is kept.
	upgrade := regexp.MustCompile("`(sudo apt install\\s+\\./dist/tipline_NEW\\.deb)`").FindStringSubmatch(operatorSections(t))
	if upgrade == nil {
		t.Fatal("the README no longer says how to upgrade (sudo apt install ./dist/tipline_NEW.deb)")
	}
	o.give("dist/tipline_1.2.4~test_amd64.deb", rebuildDeb(t, deb, "1.2.4~test"), 0o644)
	line := strings.Replace(strings.Join(strings.Fields(upgrade[1]), " "), "tipline_NEW.deb", "tipline_1.2.4~test_amd64.deb", 1)
	t.Logf("%s $ %s", time.Now().Format("15:04:05"), line)
	o.as(line, "y\n")
	if v := run(t, "", nil, "dpkg-query", "-W", "-f=${Version}", "tipline"); v != "1.2.4~test" {
		t.Errorf("after the upgrade the installed version is %q", v)
	}
	if env, err := os.ReadFile(envPath); err != nil || !strings.Contains(string(env), "TIPLINE_SECRET_KEY="+o.secret) {
		t.Errorf("the upgrade did not keep the settings in %s: %v", envPath, err)
	}

	// Removing it: remove keeps the settings, purge keeps the key.
	if len(removing) < 2 {
		t.Fatalf("the README's 'Removing it' names no apt remove and apt purge: %q", removing)
	}
	for _, line := range removing {
		t.Logf("%s $ %s", time.Now().Format("15:04:05"), line)
		out := o.as(line, "y\n") // substitution: apt's question, answered
		env, err := os.ReadFile(envPath)
		switch {
		case strings.Contains(line, " remove "):
			if err != nil || !strings.Contains(string(env), "TIPLINE_SECRET_KEY="+o.secret) {
				t.Errorf("%s did not keep %s: %v", line, envPath, err)
			}
		case strings.Contains(line, " purge "):
			if err == nil {
				t.Errorf("%s left %s", line, envPath)
			}
			kept, err := os.ReadFile(keptEnv)
			if err != nil || !strings.Contains(string(kept), "TIPLINE_SECRET_KEY="+o.secret) {
				t.Errorf("%s did not keep the key in %s: %v", line, keptEnv, err)
			}
			if st, err := os.Stat(keptEnv); err == nil && st.Mode().Perm() != 0o600 {
				t.Errorf("%s is %v, want 0600", keptEnv, st.Mode().Perm())
			}
			if !strings.Contains(out, keptEnv) {
				t.Errorf("%s does not say where the key is kept:\n%s", line, out)
			}
		}
	}
}

// rebuildDeb is the package deb with another version, written beside it.
func rebuildDeb(t *testing.T, deb, version string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "pkg")
	run(t, "", nil, "dpkg-deb", "-R", deb, dir)
	control := filepath.Join(dir, "DEBIAN", "control")
	b, err := os.ReadFile(control)
	if err != nil {
		t.Fatal(err)
	}
	b = regexp.MustCompile(`(?m)^Version: .*$`).ReplaceAll(b, []byte("Version: "+version))
	if err := os.WriteFile(control, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(filepath.Dir(dir), "tipline_"+version+"_amd64.deb")
	run(t, "", nil, "dpkg-deb", "--root-owner-group", "-Zgzip", "-z1", "--build", dir, out)
	return out
}

// readmeRemoving is the README's "Removing it": its `sudo apt remove` and
// `sudo apt purge` commands, in order.
func readmeRemoving(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, m := range regexp.MustCompile("`(sudo apt (?:remove|purge)\\s+tipline)`").FindAllStringSubmatch(operatorSections(t), -1) {
		out = append(out, strings.Join(strings.Fields(m[1]), " "))
	}
	return out
}

// outPath is the --out of a README command.
func outPath(t *testing.T, line string) string {
	t.Helper()
	m := regexp.MustCompile(`--out (\S+?)'?$`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("no --out in %q", line)
	}
	return m[1]
}

// freeAddr is a loopback address nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// operatorRun is the operator's session and the service standing in for
// systemd's.
type operatorRun struct {
	t                *testing.T
	cmds             []string
	home             string
	secret, password string
	emuURL, listen   string
	reviewer         int64 // the first reviewer, registered through Telegram
	svc              *service
}

// as runs line as the operator, from a login shell in their home, with
// stdin; it fails the test when the command fails.
func (o *operatorRun) as(line, stdin string) string {
	o.t.Helper()
	out, err := o.try(line, stdin)
	if err != nil {
		o.t.Fatalf("%s (as %s): %v\n%s", line, operator, err, out)
	}
	return out
}

// try runs line as the operator and returns its output and error.
func (o *operatorRun) try(line, stdin string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "su", "-", operator, "-c", line)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Dir = "/"
	cmd.Env = os.Environ()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// give puts a file in the operator's home, theirs.
func (o *operatorRun) give(rel, src string, mode os.FileMode) {
	o.t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		o.t.Fatal(err)
	}
	o.write(rel, b, mode)
}

func (o *operatorRun) write(rel string, b []byte, mode os.FileMode) {
	o.t.Helper()
	path := filepath.Join(o.home, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		o.t.Fatal(err)
	}
	if err := os.WriteFile(path, b, mode); err != nil {
		o.t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		o.t.Fatal(err)
	}
	run(o.t, "", nil, "chown", "-R", operator+":", filepath.Join(o.home, strings.Split(rel, "/")[0]))
}

// recipient is the public key age-keygen wrote into a key file.
func (o *operatorRun) recipient(rel string) string {
	o.t.Helper()
	b, err := os.ReadFile(filepath.Join(o.home, rel))
	if err != nil {
		o.t.Fatal(err)
	}
	m := regexp.MustCompile(`# public key: (age1[0-9a-z]+)`).FindSubmatch(b)
	if m == nil {
		o.t.Fatalf("%s holds no public key", rel)
	}
	return string(m[1])
}

// edit runs the README's sudoedit line with SUDO_EDITOR set to a script
// that types what step 2 asks for (substitution), with database db.
func (o *operatorRun) edit(line, db string) {
	o.t.Helper()
	script := fmt.Sprintf(`#!/bin/sh
# What the operator types into /etc/tipline/tipline.env (README, step 2).
set -e
f=$1
sed -e 's|^TELEGRAM_BOT_TOKEN=.*|TELEGRAM_BOT_TOKEN=%s|' \
	-e 's|^DATABASE_URL=.*|DATABASE_URL=postgres://tipline:%s@127.0.0.1:5432/%s|' \
	-e 's|^TIPLINE_SECRET_KEY=.*|TIPLINE_SECRET_KEY=%s|' \
	-e 's|^TIPLINE_LISTEN_ADDR=.*|TIPLINE_LISTEN_ADDR=%s|' \
	-e '/^TELEGRAM_API_URL=/d' "$f" >"$f.new"
echo 'TELEGRAM_API_URL=%s' >>"$f.new"
cat "$f.new" >"$f"
rm -f "$f.new"
`, telegramemu.DefaultToken, o.password, db, o.secret, o.listen, o.emuURL)
	o.write("editor", []byte(script), 0o755)
	if out, err := o.try("SUDO_EDITOR=$HOME/editor; export SUDO_EDITOR; "+line, ""); err != nil {
		o.t.Fatalf("%s: %v\n%s", line, err, out)
	}
	env, err := os.ReadFile(envPath)
	if err != nil || !strings.Contains(string(env), "TIPLINE_SECRET_KEY="+o.secret) || !strings.Contains(string(env), "/"+db+"\n") {
		o.t.Fatalf("sudoedit did not save the settings: %v\n%s", err, env)
	}
	if st, err := os.Stat(envPath); err != nil || st.Mode().Perm() != 0o600 || st.Sys().(*syscall.Stat_t).Uid != 0 {
		o.t.Errorf("after sudoedit %s is %v (%v), want root's, 0600", envPath, st.Mode(), err)
	}
}

// tiplineLine is a README line that runs `tipline doctor` "the same way",
// running `tipline args` instead.
func (o *operatorRun) tiplineLine(doctorLine, args string) string {
	return strings.Replace(doctorLine, "exec tipline doctor'", "exec tipline "+args+"'", 1)
}

// firstDoctor runs the README's doctor on a new install: it fails naming
// the first reviewer; then, as the README says, the first reviewer is
// invited (and registers through Telegram), the rota is set, and doctor
// passes.
func (o *operatorRun) firstDoctor(line string, emu *telegramemu.Server) {
	t := o.t
	out, err := o.try(line, "")
	if err == nil {
		t.Errorf("doctor passed with no reviewer:\n%s", out)
	}
	for _, want := range []string{"ok    PostgreSQL", "ok    Redis", "ok    schema: up to date",
		"ok    Telegram: the token belongs to @" + telegramemu.DefaultBotUsername, "FAIL  on call: there are no active reviewers"} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor on a new install does not say %q:\n%s", want, out)
		}
	}
	out = o.as(o.tiplineLine(line, "reviewers invite --name Dara --admin"), "")
	code := regexp.MustCompile(`\?start=(TLR-[A-Z2-7]+)`).FindStringSubmatch(out)
	if code == nil {
		t.Fatalf("the invite printed no link: %q", out)
	}
	dara := telegramemu.User{ID: 7_400_000_001, FirstName: "Dara", LanguageCode: "en"}
	emu.AddUser(dara)
	emu.SendText(dara, "/start "+code[1])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msgs, err := emu.WaitBotMessages(ctx, dara.ID, 1)
	if err != nil {
		t.Fatalf("the running service did not answer the invite: %v\n%s", err, o.svc.out.String())
	}
	pressed := false
	for _, m := range msgs {
		for _, row := range m.Buttons {
			for _, b := range row {
				if strings.HasPrefix(b.Data, "rvlang:en") && !pressed {
					if _, err := emu.PressButton(dara, m.ID, b.Data); err != nil {
						t.Fatal(err)
					}
					pressed = true
				}
			}
		}
	}
	if !pressed {
		t.Fatalf("no language to pick after the invite: %+v", msgs)
	}
	var id string
	for deadline := time.Now().Add(30 * time.Second); id == "" && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if m := regexp.MustCompile(`(?m)^(\d+)\s+Dara`).FindStringSubmatch(o.as(o.tiplineLine(line, "reviewers list"), "")); m != nil {
			id = m[1]
		}
	}
	if id == "" {
		t.Fatalf("Dara is not a reviewer after registering:\n%s", o.svc.out.String())
	}
	o.as(o.tiplineLine(line, "oncall set --primary "+id+":daily@00:00-24:00"), "")
	if out, err := o.try(line, ""); err != nil {
		t.Errorf("doctor fails with a reviewer on call: %v\n%s", err, out)
	}
	o.reviewer, _ = strconv.ParseInt(id, 10, 64)
}

// referredCases writes a tip and a missing child into the store, as a
// reviewer's work leaves them: taken, and referred to the partner.
func (o *operatorRun) referredCases(partner int64) (tip, child tipline.Reference) {
	t := o.t
	ctx := context.Background()
	db := o.store("tipline")
	defer db.Close()
	at := time.Now().Add(-time.Hour)
	for _, c := range []struct {
		ref     *tipline.Reference
		kind    tipline.Kind
		answers tipline.Answers
	}{
		{&tip, tipline.KindTip, tipline.Answers{"what": "Canaryoperator the girl next door"}},
		{&child, tipline.KindMissing, tipline.Answers{"name": "Srey Pov", "age": "12_17", "sex": "girl", "relation": "grandparent", "appeal": "no", "police": "no"}},
	} {
		*c.ref = tipline.NewReference()
		if _, _, err := db.SubmitCase(ctx, tipline.NewCase{
			DraftID: "op-" + string(*c.ref), Reference: *c.ref, Kind: c.kind, Urgency: tipline.UrgencyNormal, Lang: "en",
			Reporter: "pseudonym-" + string(*c.ref), ReporterChatID: 7_400_000_100, Answers: c.answers, SubmittedAt: at,
		}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.Acknowledge(ctx, *c.ref, o.reviewer, at); err != nil {
			t.Fatal(err)
		}
		if err := db.Refer(ctx, *c.ref, o.reviewer, partner, at); err != nil {
			t.Fatal(err)
		}
	}
	return tip, child
}

// store opens database name as the service does: role tipline, the key of
// tipline.env.
func (o *operatorRun) store(name string) *postgres.Store {
	o.t.Helper()
	root, err := keys.ParseRootKey(o.secret)
	if err != nil {
		o.t.Fatal(err)
	}
	ring, err := keys.NewRing(root)
	if err != nil {
		o.t.Fatal(err)
	}
	db, err := postgres.Open(context.Background(), fmt.Sprintf("postgres://tipline:%s@127.0.0.1:5432/%s?sslmode=disable", o.password, name), ring)
	if err != nil {
		o.t.Fatal(err)
	}
	return db
}

// readBack reads the case from database name with the key.
func (o *operatorRun) readBack(name string, ref tipline.Reference, what string) {
	o.t.Helper()
	db := o.store(name)
	defer db.Close()
	c, err := db.Case(context.Background(), ref)
	if err != nil {
		o.t.Fatalf("the case written before the backup is not in %s: %v", name, err)
	}
	if c.Answers["what"] != what {
		o.t.Errorf("the restored case says %q, want %q", c.Answers["what"], what)
	}
}

// decrypt decrypts a root-only export with one of the operator's keys, as
// the partner does (age -d -i key.txt).
func (o *operatorRun) decrypt(path, key string) string {
	o.t.Helper()
	return o.as("sudo cat "+path+" | age -d -i "+key, "")
}

// verifyUnit checks the installed unit with systemd-analyze verify.
func (o *operatorRun) verifyUnit() {
	o.t.Helper()
	if out := run(o.t, "", nil, "systemd-analyze", "verify", "--man=no", unitPath); strings.TrimSpace(out) != "" {
		o.t.Errorf("systemd-analyze verify %s:\n%s", unitPath, out)
	}
}

// service is the unit's ExecStart, running.
type service struct {
	cmd  *exec.Cmd
	out  *testio.Buffer
	done chan error
}

// unit reads the installed unit's [Service] settings.
func unit(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			if _, seen := settings[k]; !seen {
				settings[k] = v
			}
		}
	}
	for k, want := range map[string]string{"DynamicUser": "yes", "NoNewPrivileges": "yes", "UMask": "0077", "KillSignal": "SIGTERM", "EnvironmentFile": envPath} {
		if settings[k] != want {
			t.Fatalf("the unit's %s is %q, want %q: the stand-in for systemd runs it so", k, settings[k], want)
		}
	}
	return settings
}

// environment reads an EnvironmentFile as systemd does: KEY=VALUE lines,
// comments and blank lines skipped.
func environment(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		env = append(env, strings.TrimSpace(k)+"="+strings.Trim(strings.TrimSpace(v), `"'`))
	}
	return env
}

// unitCommand runs one of the unit's command lines as systemd would with
// DynamicUser=yes, NoNewPrivileges=yes and UMask=0077: an unused uid and
// gid, no supplementary groups, no privileges to gain.
func unitCommand(line string, env []string) *exec.Cmd {
	args := append([]string{"--reuid=" + dynamicUID, "--regid=" + dynamicUID, "--clear-groups", "--no-new-privs", "--",
		"sh", "-c", `umask 0077 && exec "$0" "$@"`}, strings.Fields(line)...)
	cmd := exec.Command("setpriv", args...)
	cmd.Env = env
	cmd.Dir = "/"
	return cmd
}

// start is `systemctl start tipline`: ExecStartPre, then ExecStart, until
// it logs that it is running.
func (o *operatorRun) start() {
	t := o.t
	t.Helper()
	u := unit(t)
	env := environment(t, u["EnvironmentFile"])
	if out, err := unitCommand(u["ExecStartPre"], env).CombinedOutput(); err != nil {
		t.Fatalf("ExecStartPre=%s: %v\n%s", u["ExecStartPre"], err, out)
	}
	s := &service{cmd: unitCommand(u["ExecStart"], env), out: &testio.Buffer{}, done: make(chan error, 1)}
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	o.svc = s
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(s.out.String(), "tipline is running"); time.Sleep(100 * time.Millisecond) {
		select {
		case err := <-s.done:
			s.done <- err
			t.Fatalf("ExecStart=%s exited: %v\n%s", u["ExecStart"], err, s.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("ExecStart=%s did not say it is running:\n%s", u["ExecStart"], s.out.String())
		}
	}
}

// stop is `systemctl stop tipline`: KillSignal, then TimeoutStopSec.
func (o *operatorRun) stop() {
	s := o.svc
	if s == nil || s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			o.t.Errorf("the service did not stop cleanly: %v", err)
		} else if err != nil {
			o.t.Errorf("the service exited %v on SIGTERM:\n%s", err, s.out.String())
		}
		s.done <- err
	case <-time.After(45 * time.Second):
		_ = s.cmd.Process.Kill()
		o.t.Errorf("the service did not stop within TimeoutStopSec=45s")
	}
}

// cleanup undoes what the test does to the machine, before and after:
// the service, the package (and the key it keeps), the databases and
// role, the files the README's commands write, the operator.
func (o *operatorRun) cleanup() {
	if o.svc != nil && o.svc.cmd.ProcessState == nil {
		_ = o.svc.cmd.Process.Kill()
		<-o.svc.done
	}
	quiet := func(name string, args ...string) {
		if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
			o.t.Logf("cleanup: %s %s: %v %s", name, strings.Join(args, " "), err, out)
		}
	}
	if exec.Command("dpkg", "-s", "tipline").Run() == nil {
		quiet("env", "TIPLINE_PURGE_SECRET_KEY=yes", "dpkg", "--purge", "tipline")
	}
	// What the commands wrote: a file or directory of its own in /root or
	// /var/backups (the backup's name has $(date +%F), which sh expands).
	var outs []string
	for _, c := range o.cmds {
		for _, m := range regexp.MustCompile(`(?:--out|voices export) (.+?)'?$`).FindAllStringSubmatch(c, -1) {
			if regexp.MustCompile(`^/(root|var/backups)/[-a-z.]*[a-z][-a-zA-Z.$()+% ]*/?$`).MatchString(m[1]) {
				outs = append(outs, m[1])
			} else {
				o.t.Errorf("cleanup: the README writes %s, which this test does not delete", m[1])
			}
		}
	}
	quiet("sh", "-c", "rm -rf -- "+keptEnv+" /etc/tipline /etc/systemd/system/multi-user.target.wants/tipline.service "+strings.Join(outs, " "))
	for _, sql := range []string{"drop database if exists tipline_restored with (force)", "drop database if exists tipline with (force)", "drop role if exists tipline"} {
		quiet("runuser", "-u", "postgres", "--", "psql", "-q", "-c", sql)
	}
	if _, err := user.Lookup(operator); err == nil {
		quiet("userdel", "--remove", "--force", operator)
	}
	quiet("rm", "-f", sudoersOp)
}
