package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/bot"
	"github.com/tipline/tipline/internal/testio"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/storagetest"
)

// TestSandboxBesideALiveService: with the service's DATABASE_URL the
// sandbox works in a schema of its own: it registers no reviewer (and no
// admin) among the live service's, never sends what the live service has
// queued, and its page says where its data goes.
func TestSandboxBesideALiveService(t *testing.T) {
	e := newTestEnv(t)
	live := storage.OutboxEntry{Key: "live-1", ChatKey: "live-chat", ChatID: 4242, Lane: tipline.Lane(3), Method: "send", Payload: []byte(`{"t":"live"}`)}
	if err := e.db.OutboxAdd(context.Background(), []storage.OutboxEntry{live}); err != nil {
		t.Fatal(err)
	}
	sandboxSchema := e.schema + "_sandbox"
	dropSandboxSchema(t, sandboxSchema)
	info, out := runSandbox(t, e)
	time.Sleep(time.Second) // the sandbox's sender runs a few rounds
	if n := e.countRows("reviewers"); n != 0 {
		t.Errorf("the sandbox registered %d reviewers beside the live service's", n)
	}
	if n := e.countWhere("outbox", "sent_at is null and dead_at is null and claimed_by is null"); n != 1 {
		t.Errorf("the live service's queued message was touched by the sandbox (%d left pending)", n)
	}
	var admins, reviewers int
	if err := e.sql().QueryRow(context.Background(), "select count(*) filter (where admin), count(*) from "+sandboxSchema+".reviewers").Scan(&admins, &reviewers); err != nil {
		t.Fatalf("the sandbox's schema: %v", err)
	}
	if reviewers != 1 || admins != 0 {
		t.Errorf("the sandbox's schema has %d reviewers, %d admins; want its one reviewer, no admin", reviewers, admins)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	res, err := client.Get(info.URL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(page), "kept in the schema "+sandboxSchema) || strings.Contains(string(page), "in-memory storage") {
		t.Errorf("the page does not say where its data goes:\n%s", page)
	}
	if !strings.Contains(out.String(), sandboxSchema) {
		t.Errorf("the sandbox did not say where its data goes: %q", out.String())
	}
}

// TestSandboxKeepsTheRota: the sandbox never touches the on-call rota of
// the service whose DATABASE_URL it was given; and its page needs the link
// it prints, which carries the run's token.
func TestSandboxKeepsTheRota(t *testing.T) {
	e := newTestEnv(t)
	dropSandboxSchema(t, e.schema+"_sandbox")
	rota := []byte(`{"time_zone":"Asia/Bangkok","primary":[]}`)
	if err := e.db.SaveRota(context.Background(), rota); err != nil {
		t.Fatal(err)
	}
	info, out := runSandbox(t, e)

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

// dropSandboxSchema drops the schema a sandbox made beside a test's own
// when the test ends.
// runSandbox runs `tipline sandbox` in e's environment until the test
// ends, and returns where it listens and what it printed.
func runSandbox(t *testing.T, e *testEnv) (ReadyInfo, *testio.Buffer) {
	t.Helper()
	out := &testio.Buffer{}
	ready := make(chan ReadyInfo, 1)
	m := &Main{Getenv: e.getenv, Stdout: out, Stderr: e.logs, Ready: func(i ReadyInfo) { ready <- i }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, []string{"sandbox", "-addr", "127.0.0.1:0"}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("sandbox: %v", err)
		}
	})
	select {
	case info := <-ready:
		return info, out
	case err := <-done:
		done <- err // for the clean-up
		t.Fatalf("sandbox stopped: %v\n%s", err, e.logs)
	case <-time.After(waitFor):
		t.Fatalf("sandbox did not start\n%s", e.logs)
	}
	return ReadyInfo{}, nil
}

func dropSandboxSchema(t *testing.T, schema string) {
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), storagetest.PostgresURL())
		if err != nil {
			t.Errorf("drop the sandbox's schema: %v", err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "drop schema if exists "+pgx.Identifier{schema}.Sanitize()+" cascade"); err != nil {
			t.Errorf("drop the sandbox's schema: %v", err)
		}
	})
}

// TestSandboxServerHoldsALongPoll: the server that is the sandbox's
// Telegram keeps a getUpdates long poll open past its timeout, so an idle
// sandbox never logs "getUpdates: EOF" nor delays a message sent late in a
// poll; the service's own server keeps its short timeouts.
func TestSandboxServerHoldsALongPoll(t *testing.T) {
	if got := httpServer(nil, true).WriteTimeout; got <= bot.DefaultPollTimeout+5*time.Second {
		t.Errorf("the sandbox's server cuts a response after %v; a long poll lasts %v", got, bot.DefaultPollTimeout)
	}
	if got := httpServer(nil, false).WriteTimeout; got > time.Minute {
		t.Errorf("the service's server holds a response %v", got)
	}
}
