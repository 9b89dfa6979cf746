// Command tipline runs the Tipline bot (`tipline serve`), tries it with
// Telegram emulated (`tipline sandbox`), and gives the operator the rest:
// reviewers, partners, the rota, audit, dead letters, exports, backups and
// the board report. commands.go lists every command in one table; `tipline
// help` is the manual written from it.
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
