package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/bot"
)

// opsCase stores a case directly (no conversation), as the bot would have:
// the operator's commands only read what is stored.
func (e *testEnv) opsCase(t *testing.T, kind tipline.Kind, urgency tipline.Urgency, submitted time.Time, answers tipline.Answers) tipline.Reference {
	t.Helper()
	ref := tipline.NewReference()
	_, _, err := e.db.SubmitCase(context.Background(), tipline.NewCase{
		DraftID: "ops-" + string(ref), Reference: ref, Kind: kind, Urgency: urgency, Lang: "en",
		Reporter: "pseudonym-" + string(ref), ReporterChatID: 7_300_000_001, ContactAllowed: true,
		Answers: answers, SubmittedAt: submitted,
		Location: &tipline.Location{Latitude: 11.5564, Longitude: 104.9282},
	})
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// opsReviewer registers a reviewer straight in the store and returns its id.
func (e *testEnv) opsReviewer(t *testing.T, name string, telegramID int64) int64 {
	t.Helper()
	ctx := context.Background()
	code := NewInviteCode()
	if err := e.db.CreateInvite(ctx, bot.InviteHash(code), name, true, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	r, err := e.db.RedeemInvite(ctx, bot.InviteHash(code), telegramID, "en", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}

// TestDoctor: the doctor finds what a volunteer gets wrong (nobody to
// notify, gaps in the rota, the wrong key, a bad setting, Redis down) and
// says how to fix each, without printing the token.
func TestDoctor(t *testing.T) {
	e := newTestEnv(t)

	out, err := e.runCLI(t, "doctor")
	if err == nil {
		t.Errorf("doctor passed with no reviewers:\n%s", out)
	}
	for _, want := range []string{"ok    configuration", "ok    PostgreSQL", "ok    Redis", "ok    schema: up to date",
		"ok    Telegram: the token belongs to @tipline_test_bot", "ok    Telegram webhook: none (long polling)",
		"clock (this machine vs PostgreSQL)", "clock (this machine vs Telegram)",
		"FAIL  on call: there are no active reviewers", "fix: tipline reviewers invite", "disk:"} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor does not say %q:\n%s", want, out)
		}
	}

	id := e.opsReviewer(t, "Dara", 7_300_000_100)
	if out, err := e.runCLI(t, "oncall", "set", "--primary", fmt.Sprintf("%d:mon-fri@08:00-18:00", id)); err != nil {
		t.Fatalf("oncall set: %v\n%s", err, out)
	}
	e.opsCase(t, tipline.KindTip, tipline.UrgencyUrgent, time.Now(), tipline.Answers{"what": "Canary doctor text"})
	out, err = e.runCLI(t, "doctor", "-days", "3")
	if err != nil {
		t.Errorf("doctor failed with a reviewer and a rota: %v\n%s", err, out)
	}
	if !strings.Contains(out, "WARN  on call: nobody on primary shift in the next 3 days") || !strings.Contains(out, " – ") {
		t.Errorf("the gaps of a weekday rota are not named:\n%s", out)
	}
	if !strings.Contains(out, "ok    key: present, 32 bytes, opens the stored cases") {
		t.Errorf("the key is not checked against the stored case:\n%s", out)
	}

	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	e.env["TIPLINE_SECRET_KEY"] = base64.StdEncoding.EncodeToString(raw)
	e.env["REDIS_URL"] = "redis://127.0.0.1:1/0"
	e.env["TIPLINE_LOG_FORMAT"] = "xml"
	out, err = e.runCLI(t, "doctor")
	if err == nil {
		t.Errorf("doctor passed with the wrong key and Redis down:\n%s", out)
	}
	for _, want := range []string{"FAIL  key: TIPLINE_SECRET_KEY does not open the newest case", "TIPLINE_PREVIOUS_SECRET_KEYS",
		"FAIL  Redis: cannot connect", "fix: check REDIS_URL", "FAIL  configuration: TIPLINE_LOG_FORMAT must be text or json"} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, e.emu.Token()) || strings.Contains(out, "Canary") {
		t.Errorf("doctor printed the token or case content:\n%s", out)
	}
}
