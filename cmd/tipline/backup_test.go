package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/storage/postgres"
	"github.com/tipline/tipline/storage/storagetest"
)

// TestBackupRestore: tipline backup writes an age-encrypted pg_dump; the
// README's restore (age -d | pg_restore into a new database) brings it
// back, and the case reads with the key, and only with it.
func TestBackupRestore(t *testing.T) {
	storagetest.SkipShort(t, "pg_dump, pg_restore, PostgreSQL and Redis")
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: ./scripts/test installs it (postgresql-client)", tool)
		}
	}
	e := newTestEnv(t)
	ref := e.opsCase(t, tipline.KindTip, tipline.UrgencyUrgent, time.Now(), tipline.Answers{"what": "Canarybackup the neighbours' girl"})

	key, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "backup.age")
	if out, err := e.runCLI(t, "backup", "--to", key.Recipient().String(), "--out", path); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(raw, []byte("age-encryption.org/v1")) || bytes.Contains(raw, []byte("PGDMP")) || bytes.Contains(raw, []byte(ref)) {
		t.Fatal("the backup file is not encrypted")
	}
	dump := decrypt(t, path, key)
	if !bytes.HasPrefix(dump, []byte("PGDMP")) {
		t.Fatalf("the decrypted backup is not a pg_dump custom archive: %q", dump[:min(len(dump), 16)])
	}
	if bytes.Contains(dump, []byte("Canarybackup")) {
		t.Error("the dump holds a report in clear: answers must stay sealed under TIPLINE_SECRET_KEY")
	}

	// A new database, as the README's restore makes.
	ctx := context.Background()
	name := "tipline_restore_" + randomHex(t)
	admin := storagetest.Conn(t)
	if _, err := admin.Exec(ctx, "create database "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := storagetest.Conn(t).Exec(context.Background(), "drop database if exists "+name+" with (force)"); err != nil {
			t.Logf("drop %s: %v", name, err)
		}
	})
	u, err := url.Parse(storagetest.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	restore := exec.Command("pg_restore", "--no-owner", "--exit-on-error", "--dbname="+u.String())
	restore.Stdin = bytes.NewReader(dump)
	if out, err := restore.CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	q := u.Query()
	q.Set("search_path", e.schema)
	u.RawQuery = q.Encode()
	db, err := postgres.Open(ctx, u.String(), e.ring)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.Case(ctx, ref)
	if err != nil {
		t.Fatalf("read the restored case: %v", err)
	}
	if c.Answers["what"] != "Canarybackup the neighbours' girl" {
		t.Errorf("restored answers = %q", c.Answers)
	}
	other, err := postgres.Open(ctx, u.String(), keys.NewRandomRing())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Case(ctx, ref); err == nil {
		t.Error("the restored case opened without the key")
	}
	if applied, latest, err := db.SchemaVersion(ctx); err != nil || applied != latest {
		t.Errorf("restored schema version %d, want %d (%v)", applied, latest, err)
	}
}

func randomHex(t *testing.T) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// TestBackupSecretsOffTheCommandLine is the security review's L9: neither
// the password nor sslpassword of DATABASE_URL reaches pg_dump's command
// line, where any local user's ps reads it; they go through PGPASSWORD and
// a 0600 service file removed after the run.
func TestBackupSecretsOffTheCommandLine(t *testing.T) {
	args, env, service, err := pgDumpArgs("postgres://tipline:pw-secret@db.example:5432/tipline?sslmode=verify-full&sslkey=/k.pem&sslpassword=key-secret&pool_max_conns=4")
	if err != nil {
		t.Fatal(err)
	}
	line := strings.Join(args, " ")
	for _, secret := range []string{"pw-secret", "key-secret", "pool_max_conns"} {
		if strings.Contains(line, secret) {
			t.Errorf("pg_dump's command line holds %q: %s", secret, line)
		}
	}
	if !strings.Contains(line, "service="+pgService) || !strings.Contains(line, "sslkey=") {
		t.Errorf("pg_dump's command line lacks the service or the other settings: %s", line)
	}
	if !slices.Contains(env, "PGPASSWORD=pw-secret") {
		t.Errorf("env %q lacks PGPASSWORD", env)
	}
	fileEnv, remove, err := pgServiceFile(service)
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(fileEnv[0], "PGSERVICEFILE=")
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("service file %s: %v, mode %v; want 0600", path, err, st.Mode())
	}
	if b, _ := os.ReadFile(path); string(b) != "["+pgService+"]\nsslpassword=key-secret\n" {
		t.Errorf("service file holds %q", b)
	}
	remove()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the service file outlives the run: %v", err)
	}
	if _, _, service, _ := pgDumpArgs("postgres://u:p@h/db"); service != nil {
		t.Errorf("a URL without sslpassword gives a service file %q", service)
	}
}
