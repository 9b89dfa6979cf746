package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSandboxRefusesRealDatabase: with DATABASE_URL set the sandbox would
// register a reviewer and file test cases in real data; it stops, unless
// told -force.
func TestSandboxRefusesRealDatabase(t *testing.T) {
	e := newTestEnv(t)
	var out syncBuffer
	m := &Main{Getenv: e.getenv, Stdout: &out, Stderr: &out}
	err := m.Run(context.Background(), []string{"sandbox", "-addr", "127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL") || !strings.Contains(err.Error(), "-force") {
		t.Fatalf("sandbox with DATABASE_URL: %v, want a refusal naming DATABASE_URL and -force", err)
	}
	if n := e.countRows("reviewers"); n != 0 {
		t.Fatalf("the refused sandbox registered %d reviewers", n)
	}
}

// TestSandboxKeepsTheRota: with -force, the sandbox never overwrites an
// on-call rota already in the database; and its page needs the link it
// prints, which carries the run's token.
func TestSandboxKeepsTheRota(t *testing.T) {
	e := newTestEnv(t)
	rota := []byte(`{"time_zone":"Asia/Bangkok","primary":[]}`)
	if err := e.db.SaveRota(context.Background(), rota); err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	ready := make(chan ReadyInfo, 1)
	m := &Main{Getenv: e.getenv, Stdout: &out, Stderr: e.logs, Ready: func(i ReadyInfo) { ready <- i }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, []string{"sandbox", "-addr", "127.0.0.1:0", "-force"}) }()
	var info ReadyInfo
	select {
	case info = <-ready:
	case err := <-done:
		t.Fatalf("sandbox stopped: %v\n%s", err, e.logs)
	case <-time.After(waitFor):
		t.Fatalf("sandbox did not start\n%s", e.logs)
	}
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("sandbox: %v", err)
		}
	}()

	got, err := e.db.LoadRota(context.Background())
	if err != nil || string(got) != string(rota) {
		t.Fatalf("rota after the sandbox started = %s, %v; want the one that was there", got, err)
	}

	if !strings.Contains(info.URL, "?token=") || !strings.Contains(out.String(), info.URL) {
		t.Fatalf("the sandbox printed %q; want its link with a token (%q)", out.String(), info.URL)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noRedirect.Get("http://" + info.Addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("the page without the link's token: status %d, want 403", res.StatusCode)
	}
	res, err = noRedirect.Get(info.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || len(res.Cookies()) != 1 {
		t.Fatalf("the printed link: status %d, cookies %d; want 303 setting the token cookie", res.StatusCode, len(res.Cookies()))
	}
}
