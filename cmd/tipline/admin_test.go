package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
)

// runCLI runs one command of the real program and returns its output.
func (e *testEnv) runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	m := &Main{Getenv: e.getenv, Stdout: &out, Stderr: &out}
	err := m.Run(context.Background(), args)
	return out.String(), err
}

// TestAdminCommands: invite a reviewer (the link names the bot), register
// with it, list, set and show the rota, read a case's audit, disable.
func TestAdminCommands(t *testing.T) {
	e := newTestEnv(t)
	e.start()
	out, err := e.runCLI(t, "reviewers", "invite", "--name", "Dara")
	if err != nil {
		t.Fatalf("invite: %v\n%s", err, out)
	}
	link := regexp.MustCompile(`https://t\.me/tipline_test_bot\?start=(TLR-[A-Z2-7]{16})`).FindStringSubmatch(out)
	if link == nil {
		t.Fatalf("no invite link in %q", out)
	}
	rv := e.reporter(7_200_900_001, "th")
	e.emu.SendText(rv.User, "/start "+link[1])
	rv.press("rvlang:th") // the picker first: the reviewer chooses the language they read
	rv.waitText(regexp.MustCompile(`Tipline`))

	out, err = e.runCLI(t, "reviewers", "list")
	if err != nil || !strings.Contains(out, "Dara") || !strings.Contains(out, "th") {
		t.Fatalf("list: %v\n%s", err, out)
	}
	id := regexp.MustCompile(`(?m)^(\d+)\s+Dara`).FindStringSubmatch(out)
	if id == nil {
		t.Fatalf("no id in %q", out)
	}
	if out, err = e.runCLI(t, "oncall", "set", "--primary", "nonsense"); err == nil {
		t.Errorf("a bad rota was accepted: %s", out)
	}
	if out, err = e.runCLI(t, "oncall", "set", "--primary", id[1]+":daily@00:00-24:00"); err != nil {
		t.Fatalf("oncall set: %v\n%s", err, out)
	}
	out, err = e.runCLI(t, "oncall", "show")
	if err != nil || !strings.Contains(out, "Dara") {
		t.Fatalf("oncall show: %v\n%s", err, out)
	}

	reporter := e.reporter(7_200_900_002, "en")
	ref := reporter.fileTip(canaryAnswers("audit"))
	out, err = e.runCLI(t, "audit", string(ref))
	if err != nil || !strings.Contains(out, "submitted") {
		t.Fatalf("audit: %v\n%s", err, out)
	}
	if strings.Contains(out, "Canary") {
		t.Error("the audit shows report content")
	}
	if out, err = e.runCLI(t, "reviewers", "disable", id[1]); err != nil {
		t.Fatalf("disable: %v\n%s", err, out)
	}
	out, _ = e.runCLI(t, "reviewers", "list")
	if !regexp.MustCompile(`Dara\s+th\s+false\s+false`).MatchString(out) {
		t.Errorf("not disabled: %s", out)
	}
	out, err = e.runCLI(t, "oncall", "show")
	if err != nil || !strings.Contains(out, "NOBODY IS NOTIFIED") {
		t.Errorf("no loud warning without active reviewers: %v\n%s", err, out)
	}
}
