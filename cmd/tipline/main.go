// Command tipline runs the Tipline bot: `tipline serve` in production,
// `tipline sandbox` to try it with Telegram emulated, `tipline migrate` to
// bring the database schema up to date.
//
// Comments cite the guarantees in docs/guarantees.md as G1–G13; that page
// names the tests that hold each one.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // rota time zones work on machines without zone files
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := &Main{Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr}
	if err := m.Run(ctx, os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "tipline:", err)
		if isConfigError(err) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// Main is the program, as a value so tests can run the real thing.
type Main struct {
	Getenv func(string) string
	// Now is the clock of the bot (tests move it); when nil, the
	// database's clock (see bot.Config.Now).
	Now    func() time.Time
	Stdout io.Writer
	Stderr io.Writer
	// Ready, when set, is called once the program serves (tests wait on it).
	Ready func(info ReadyInfo)

	pageURL string // the sandbox page's link, with its per-run token
}

// ReadyInfo tells a test where the running program listens.
type ReadyInfo struct {
	// Addr is the listener's address (webhook and health, or the sandbox page).
	Addr string
	// URL is the sandbox page's link, with the run's token; empty for serve.
	URL string
}

const usage = `Tipline: a confidential tip line on Telegram.

Usage:
  tipline serve      run the bot (needs TELEGRAM_BOT_TOKEN, DATABASE_URL, REDIS_URL, TIPLINE_SECRET_KEY)
  tipline sandbox    run the bot with Telegram emulated and a chat page on 127.0.0.1
  tipline migrate    bring the database schema up to date (needs DATABASE_URL)
  tipline reviewers invite --name NAME [--admin] | list | disable ID
  tipline partners add --name NAME --kind police|ngo|hotline --country KH|TH [--age-recipient age1…] | list | key ID age1… | disable ID
  tipline reporters blocked | unblock CASE-REF   blocks made by reviewers
  tipline oncall show | set --primary SPEC [--secondary SPEC]
  tipline audit CASE-REF   every change to a case: who, what, when
  tipline cases reassign CASE-REF --to REVIEWER-ID   give an open case to another reviewer
  tipline rekey      re-encrypt everything under the current TIPLINE_SECRET_KEY
  tipline inbox dead | retry UPDATE-ID   updates set aside after failing again and again
  tipline doctor     check the setup and say how to fix each problem
  tipline export     cases for a partner, encrypted to their age key
  tipline backup     an encrypted pg_dump
  tipline report     an HTML report for the board (counts only)
  tipline health     ask the running bot whether it is alive (for containers)
  tipline version    print the version
  tipline help       the whole manual

Run 'tipline COMMAND -h' for a command's flags. Settings come from the
environment; 'tipline help' and README.md list them.
`

// Run runs one command until it finishes or ctx ends.
func (m *Main) Run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(m.Stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		return m.serve(ctx, args[1:])
	case "sandbox":
		return m.sandbox(ctx, args[1:])
	case "migrate":
		return m.migrate(ctx, args[1:])
	case "reviewers":
		return m.reviewers(ctx, args[1:])
	case "partners":
		return m.partners(ctx, args[1:])
	case "reporters":
		return m.reporters(ctx, args[1:])
	case "oncall":
		return m.oncall(ctx, args[1:])
	case "audit":
		return m.audit(ctx, args[1:])
	case "cases":
		return m.cases(ctx, args[1:])
	case "rekey":
		return m.rekey(ctx, args[1:])
	case "inbox":
		return m.inbox(ctx, args[1:])
	case "version":
		fmt.Fprintln(m.Stdout, "tipline", version)
		return nil
	case "doctor":
		return m.doctor(ctx, args[1:])
	case "export":
		return m.export(ctx, args[1:])
	case "backup":
		return m.backup(ctx, args[1:])
	case "report":
		return m.report(ctx, args[1:])
	case "health":
		return m.probe(ctx, args[1:])
	case "help", "man":
		_, err := io.WriteString(m.Stdout, manual)
		return err
	case "-h", "-help", "--help":
		fmt.Fprint(m.Stdout, usage)
		return nil
	}
	fmt.Fprint(m.Stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

func (m *Main) flags(name, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(m.Stderr, "Usage: tipline %s [flags]\n\n%s\n", name, about)
		fs.PrintDefaults()
	}
	return fs
}

// logger builds the one logger of the program.
func (m *Main) logger(c Config) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(m.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(m.Stderr, opts))
}

func (m *Main) ready(addr string) {
	if m.Ready != nil {
		m.Ready(ReadyInfo{Addr: addr, URL: m.pageURL})
	}
}
