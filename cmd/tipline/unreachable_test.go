package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// TestUnreachablePrimary: the primary on call deleted their Telegram
// account; an urgent case is sent. Telegram refuses the notification, so
// the secondary is told within seconds (the test clock never reaches the
// 5-minute escalation), once; the admin is told; the move is audited;
// `tipline oncall show`, `reviewers list` and `doctor`'s check say who is
// missing. A later case skips the primary at once (G17).
func TestUnreachablePrimary(t *testing.T) {
	e := newOnCallEnv(t, "Primary Pich", "Secondary Sokha").withAdmin("Admin Thida")
	e.startOnCall()
	p, s, admin := e.reviewers[0], e.reviewers[1], e.reviewers[2]
	e.emu.DeactivateUser(p.User)

	start := time.Now()
	_, ref := e.urgentTip(7_100_300_001)
	s.waitNotifications(ref, 1)
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the secondary heard of the urgent case %v after it was filed, want seconds", took)
	}
	admin.waitText(regexp.MustCompile(`Telegram will not deliver to Primary Pich`))
	e.settle()
	if n := admin.notifications(ref); n != 0 {
		t.Errorf("the admin (level everyone) got %d notifications of %s, want none before the next deadline", n, ref)
	}
	if n := s.notifications(ref); n != 1 {
		t.Errorf("the secondary got %d notifications of %s, want 1", n, ref)
	}
	moved := fmt.Sprintf("%s%d", storage.ActionMovedOnPrefix, p.rv.ID)
	found := false
	for _, ev := range mustAudit(t, e, ref) {
		found = found || (ev.Actor == tipline.ActorSystem && ev.Action == moved)
	}
	if !found {
		t.Errorf("no %q in the audit of %s", moved, ref)
	}

	out, err := e.runCLI(t, "oncall", "show")
	if err != nil || !strings.Contains(out, "Primary Pich (UNREACHABLE)") || !strings.Contains(out, "UNREACHABLE: Primary Pich") {
		t.Errorf("oncall show: %v\n%s", err, out)
	}
	out, err = e.runCLI(t, "reviewers", "list")
	if err != nil || !regexp.MustCompile(`Primary Pich .*UNREACHABLE since`).MatchString(out) || strings.Contains(out, "Secondary Sokha  en  false  true  UNREACHABLE") {
		t.Errorf("reviewers list: %v\n%s", err, out)
	}
	all, err := e.db.Reviewers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if f := reachFinding(all); f.verdict != verdictWarn || !strings.Contains(f.detail, "Primary Pich") {
		t.Errorf("doctor's finding: %+v, want a warning naming the primary", f)
	}

	// A second urgent case goes to the secondary at once: the primary is
	// passed over, and no second word reaches the admin.
	_, ref2 := e.urgentTip(7_100_300_002)
	s.waitNotifications(ref2, 1)
	e.settle()
	if n := countText(admin, "Telegram will not deliver"); n != 1 {
		t.Errorf("the admin was told %d times, want once", n)
	}
}

// TestUnreachableReviewerWritesAgain: a reviewer who blocked the bot is
// passed over; once they write to it again the mark is gone, the admin is
// told, and the next case reaches them as primary again.
func TestUnreachableReviewerWritesAgain(t *testing.T) {
	e := newOnCallEnv(t, "Primary Pich", "Secondary Sokha").withAdmin("Admin Thida")
	e.startOnCall()
	p, s, admin := e.reviewers[0], e.reviewers[1], e.reviewers[2]
	e.emu.BlockBot(p.User)
	_, ref := e.urgentTip(7_100_300_011)
	s.waitNotifications(ref, 1)
	admin.waitText(regexp.MustCompile(`Telegram will not deliver to Primary Pich`))

	e.emu.UnblockBot(p.User)
	e.emu.SendText(p.User, "/help")
	admin.waitText(regexp.MustCompile(`Primary Pich can be reached again`))
	out, err := e.runCLI(t, "reviewers", "list")
	if err != nil || strings.Contains(out, "UNREACHABLE") {
		t.Errorf("reviewers list after the primary wrote: %v\n%s", err, out)
	}
	_, ref2 := e.urgentTip(7_100_300_012)
	p.waitNotifications(ref2, 1)
	e.settle()
	if n := s.notifications(ref2); n != 0 {
		t.Errorf("the secondary got %d notifications of %s, want none: the primary is back", n, ref2)
	}
}

// countText counts the bot's messages to a reviewer that contain text.
func countText(r *reviewerUser, text string) int {
	n := 0
	for _, m := range r.e.emu.BotMessages(r.User.ID) {
		if strings.Contains(m.Text, text) {
			n++
		}
	}
	return n
}
