package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// probe is `tipline health`: asks the running bot's /healthz (or /readyz)
// on TIPLINE_LISTEN_ADDR, for container health checks on an image that has
// no shell or curl. Exit 0 when it answers 200.
func (m *Main) probe(ctx context.Context, args []string) error {
	fs := m.flags("health", "Asks the running bot on TIPLINE_LISTEN_ADDR whether it is alive (/healthz),\n"+
		"or with --ready whether PostgreSQL, Redis and Telegram answer (/readyz). For container health checks.")
	ready := fs.Bool("ready", false, "ask /readyz instead of /healthz")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(m.Getenv, need{})
	if err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("TIPLINE_LISTEN_ADDR %q is not host:port", cfg.ListenAddr)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	path := "/healthz"
	if *ready {
		path = "/readyz"
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health: no answer on %s: %w", cfg.ListenAddr, err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s answered %s", path, resp.Status)
	}
	fmt.Fprintln(m.Stdout, "ok")
	return nil
}
