package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// libpqParams are the URL query parameters pg_dump understands; others
// (pgx's pool settings, search_path) are dropped or turned into flags.
var libpqParams = map[string]bool{
	"sslmode": true, "sslrootcert": true, "sslcert": true, "sslkey": true, "sslcrl": true, "sslpassword": true,
	"connect_timeout": true, "application_name": true, "options": true, "target_session_attrs": true,
	"passfile": true, "host": true, "port": true, "user": true, "dbname": true, "service": true,
	"keepalives": true, "keepalives_idle": true, "gssencmode": true, "channel_binding": true,
}

// secretParams are the connection parameters that are secrets, and libpq
// has no environment variable for: they go to pg_dump in a service file
// only its user can read, never on its command line.
var secretParams = []string{"sslpassword"}

// pgService is the section of the temporary service file.
const pgService = "tipline-backup"

// pgDumpArgs turns DATABASE_URL into pg_dump's arguments and environment:
// the password goes in PGPASSWORD, other secrets (sslpassword) in service,
// the lines of a service file to write for the run (pgServiceFile) — never
// on a command line other users' ps can read. A search_path becomes
// --schema.
func pgDumpArgs(databaseURL string) (args, env, service []string, err error) {
	u, err := url.Parse(databaseURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, nil, nil, errors.New("DATABASE_URL must be a postgres:// URL for backup")
	}
	if pw, ok := u.User.Password(); ok {
		env = append(env, "PGPASSWORD="+pw)
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	for _, k := range secretParams {
		if v := q.Get(k); v != "" {
			service = append(service, k+"="+v)
		}
		q.Del(k)
	}
	if len(service) > 0 {
		q.Set("service", pgService)
		service = append([]string{"[" + pgService + "]"}, service...)
	}
	for k := range q {
		if k == "search_path" {
			for _, s := range strings.Split(q.Get(k), ",") {
				if s = strings.TrimSpace(s); s != "" && s != "public" {
					args = append(args, "--schema="+s)
				}
			}
		}
		if !libpqParams[k] {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	args = append(args, "--format=custom", "--no-owner", "--no-privileges", "--dbname="+u.String())
	return args, env, service, nil
}

// pgServiceFile writes the service file for pg_dump's secrets, 0600 in a
// directory of its own, and returns the environment that points pg_dump
// at it and a function that removes it. With no secrets it writes nothing.
func pgServiceFile(service []string) (env []string, remove func(), err error) {
	if len(service) == 0 {
		return nil, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "tipline-backup-")
	if err != nil {
		return nil, nil, fmt.Errorf("service file: %w", err)
	}
	remove = func() { os.RemoveAll(dir) }
	path := filepath.Join(dir, "pg_service.conf")
	if err := os.WriteFile(path, []byte(strings.Join(service, "\n")+"\n"), 0o600); err != nil {
		remove()
		return nil, nil, fmt.Errorf("service file: %w", err)
	}
	return []string{"PGSERVICEFILE=" + path}, remove, nil
}

func (m *Main) backup(ctx context.Context, args []string) error {
	fs := m.flags("backup", "Writes a pg_dump (custom format) of the whole database, encrypted to an age public key.\n"+
		"Keep that key's private half off this server. The cases inside stay sealed under\n"+
		"TIPLINE_SECRET_KEY too: a restore needs both. Needs pg_dump (Debian: postgresql-client)\n"+
		"of the server's major version or newer. Restore:\n"+
		"  age -d -i backup-key.txt FILE | pg_restore --no-owner -d NEW_DATABASE")
	var to recipientsFlag
	fs.Var(&to, "to", "age public key to encrypt to, age1… (required; repeat for several)")
	out := fs.String("out", "", "the file to write (required; - for standard output)")
	armored := fs.Bool("armor", false, "write ASCII armor instead of binary")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(to) == 0 {
		return errors.New("backup: --to is required: an age public key (age1…) whose private key is kept elsewhere")
	}
	cfg, err := loadConfig(m.Getenv, need{database: true})
	if err != nil {
		return err
	}
	dumpArgs, dumpEnv, service, err := pgDumpArgs(cfg.DatabaseURL)
	if err != nil {
		return err
	}
	serviceEnv, removeService, err := pgServiceFile(service)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer removeService()
	dumpEnv = append(dumpEnv, serviceEnv...)
	pgDump, err := exec.LookPath("pg_dump")
	if err != nil {
		return errors.New("backup: pg_dump is missing: sudo apt install postgresql-client")
	}
	fill := func(w io.Writer) error {
		cmd := exec.CommandContext(ctx, pgDump, dumpArgs...)
		cmd.Env = append(os.Environ(), dumpEnv...)
		cmd.Stdout = w
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("pg_dump: %w: %s", err, strings.TrimSpace(stderr.String()))
		}
		return nil
	}
	if err := m.writeEncrypted(*out, to, *armored, fill, nil); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if *out != "-" {
		fmt.Fprintf(m.Stderr, "Backup written to %s, encrypted to %d key(s).\n", *out, len(to))
	}
	return nil
}
