package main

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/telegramemu"
)

// TestReviewerBlocksBeforeACase: the primary blocks the bot while no case
// waits. Telegram's my_chat_member update marks them unreachable at once:
// the admin is told before any case, and the next urgent case goes
// straight to the secondary, with not one call to the primary's chat.
// Unblocking clears it.
func TestReviewerBlocksBeforeACase(t *testing.T) {
	e := newOnCallEnv(t, "Primary Pich", "Secondary Sokha").withAdmin("Admin Thida")
	e.startOnCall()
	p, s, admin := e.reviewers[0], e.reviewers[1], e.reviewers[2]
	e.emu.BlockBot(p.User)
	admin.waitText(regexp.MustCompile(`Telegram will not deliver to Primary Pich`))

	_, ref := e.urgentTip(7_100_400_001)
	s.waitNotifications(ref, 1)
	e.settle()
	for _, c := range e.emu.Rejected() {
		if c.Params["chat_id"] == strconv.FormatInt(p.User.ID, 10) {
			t.Errorf("a %s to the blocked primary was tried: %s", c.Method, c.Err)
		}
	}
	e.emu.UnblockBot(p.User)
	admin.waitText(regexp.MustCompile(`Primary Pich can be reached again`))
}

// TestReporterBlocksTheBot: what waits to be sent to a reporter who then
// blocks the bot is set aside, not sent into a 403.
func TestReporterBlocksTheBot(t *testing.T) {
	e := newTestEnv(t)
	e.start()
	r := e.reporter(7_840_000_001, "km")
	e.emu.SendText(r.User, "/start")
	r.expect("menu:tip")
	e.emu.SetSendOutage(telegramemu.Outage502) // replies wait in the outbox
	e.emu.SendText(r.User, "/help")
	e.emu.SendText(r.User, "/start")
	e.emu.BlockBot(r.User)
	ctx, cancel := context.WithTimeout(t.Context(), waitFor)
	defer cancel()
	if err := e.emu.WaitIdle(ctx); err != nil { // all three stored
		t.Fatal(err)
	}
	deadline := time.Now().Add(waitFor)
	for n := -1; n != 0; {
		var err error
		if n, err = inboxPending(e); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("updates not processed during the outage:\n%s", e.logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	before := len(e.emu.BotMessages(r.User.ID))
	e.emu.SetOutage(telegramemu.NoOutage)
	waitInboxDone(t, e)
	time.Sleep(500 * time.Millisecond) // anything still on its way
	if n := len(e.emu.BotMessages(r.User.ID)); n != before {
		t.Errorf("%d messages reached the reporter after they blocked the bot, want none", n-before)
	}
	for _, c := range e.emu.Rejected() {
		if c.Params["chat_id"] == strconv.FormatInt(r.User.ID, 10) && strings.Contains(c.Err, "blocked") {
			t.Errorf("a %s to the reporter who blocked the bot was tried", c.Method)
		}
	}
}

// TestGroupSaysOnceAndLeaves: added to a group, the bot says once, in the
// three languages, that reports are taken in a private chat (with a link
// that opens one), then leaves; what is written in a group is not stored.
func TestGroupSaysOnceAndLeaves(t *testing.T) {
	e := newTestEnv(t)
	e.start()
	u := telegramemu.User{ID: 7_850_000_001, FirstName: "Canarygroupadder"}
	grp := models.Chat{ID: -1007850000001, Type: models.ChatTypeSupergroup, Title: "Canarygrouptitle"}
	e.emu.AddBotToGroup(u, grp)
	deadline := time.Now().Add(waitFor)
	for e.emu.InGroup(grp.ID) {
		if time.Now().After(deadline) {
			t.Fatalf("the bot did not leave the group; it said %+v\nlogs:\n%s", e.emu.BotMessages(grp.ID), e.logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	msgs := e.emu.BotMessages(grp.ID)
	if len(msgs) != 1 {
		t.Fatalf("the bot said %d messages in the group, want one: %+v", len(msgs), msgs)
	}
	cat := locales.MustLoad()
	for _, lang := range locales.Languages {
		want := cat.Text(lang, "group_private_only", map[string]any{"URL": "https://t.me/" + telegramemu.DefaultBotUsername})
		if !strings.Contains(msgs[0].Text, want) {
			t.Errorf("the group message lacks the %s text %q:\n%s", lang, want, msgs[0].Text)
		}
	}
	rows := e.countRows("inbox")
	e.emu.Deliver(models.Update{Message: &models.Message{
		ID: 2, Date: int(time.Now().Unix()), Chat: grp, From: &models.User{ID: u.ID, FirstName: "G"}, Text: "Canarygrouptext",
	}})
	time.Sleep(500 * time.Millisecond)
	waitInboxDone(t, e)
	if n := e.countRows("inbox"); n != rows {
		t.Errorf("a group message was stored (%d inbox rows, want %d)", n, rows)
	}
}
