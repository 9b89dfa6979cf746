package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"
)

// TestSandboxStopsAtOnce: Ctrl+C stops the sandbox at once, even while the
// page holds a long poll for new messages open (it waits up to 20 s), and
// while a connection that never sent a request is open (a browser's
// preconnect, or one a client's pool dialed and did not use: net/http's
// Shutdown waits 5 s for those).
func TestSandboxStopsAtOnce(t *testing.T) {
	ready := make(chan ReadyInfo, 1)
	m := &Main{
		Getenv: func(string) string { return "" },
		Stdout: io.Discard,
		Stderr: io.Discard,
		Ready:  func(i ReadyInfo) { ready <- i },
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, []string{"sandbox", "-addr", "127.0.0.1:0"}) }()
	var base, link string
	select {
	case info := <-ready:
		base, link = "http://"+info.Addr, info.URL
	case err := <-done:
		t.Fatalf("the sandbox stopped before serving: %v", err)
	case <-time.After(15 * time.Second):
		t.Fatal("the sandbox did not serve within 15 s")
	}

	// The page's calls, with this run's link first (its token becomes a
	// cookie): register the reporter, read the chat's version, then wait
	// for a change that never comes.
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Jar: jar}
	res, err := client.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	res, err = client.Post(base+"/_emulator/users", "application/json", strings.NewReader(`{"id":1001,"first_name":"Sandbox reporter"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	res, err = client.Get(base + "/_emulator/messages?chat_id=1001")
	if err != nil {
		t.Fatal(err)
	}
	var chat struct{ Version int64 }
	err = json.NewDecoder(res.Body).Decode(&chat)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET messages: %d %v", res.StatusCode, err)
	}
	polled := make(chan error, 1)
	go func() {
		res, err := client.Get(fmt.Sprintf("%s/_emulator/messages?chat_id=1001&version=%d&wait=20", base, chat.Version))
		if err == nil {
			res.Body.Close()
		}
		polled <- err
	}()
	preconnect, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer preconnect.Close()
	time.Sleep(300 * time.Millisecond) // the poll is waiting in the emulator

	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("sandbox: %v", err)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("the sandbox took %v to stop, want under 2 s", took.Round(100*time.Millisecond))
		}
	case <-time.After(shutdownGrace + 5*time.Second):
		t.Fatal("the sandbox did not stop")
	}
	select {
	case <-polled:
	case <-time.After(2 * time.Second):
		t.Error("the page's long poll was not answered when the sandbox stopped")
	}
}
