package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/storage"
)

// TestFirstScreenByPhoneLanguage: on a real phone, through the real
// program. A phone whose Telegram is in English, in no language, or in
// Russian gets one short message with the three languages as buttons,
// written in each language (Telegram has no Khmer interface: a Khmer
// neighbour's phone says "en"); a Khmer or Thai phone gets its menu at
// once. The choice is kept under the reporter's pseudonym: it survives the
// session's expiry (the clock moved past the session's time to live, then
// "↩️ Answer" under a team message, which still works and reaches the
// reviewer, as do words typed without pressing it), a dead letter, a block and a slow-down, each answered in the
// language chosen, whatever the phone says.
func TestFirstScreenByPhoneLanguage(t *testing.T) {
	const ttl = 8 * time.Second
	e := newOnCallEnv(t, "Primary Pich")
	e.env["TIPLINE_SESSION_TTL"] = ttl.String()
	e.env["TIPLINE_LIMIT_MESSAGES_PER_MINUTE"] = "40"
	e.startOnCall()
	rv := e.reviewers[0]
	cat := locales.MustLoad()

	// The reviewer chose on the same picker when redeeming the invite.
	if first := e.emu.BotMessages(rv.User.ID)[0].Text; !containsAll(first, cat, "choose_language") {
		t.Errorf("a new reviewer's first message: %q, want the picker in each language", first)
	}

	chosen := map[string]string{}
	for i, tc := range []struct{ phone, choose, want string }{
		{"en", "km", "km"},
		{"", "th", "th"},
		{"ru", "en", "en"},
		{"km", "", "km"},
		{"th", "", "th"},
	} {
		r := e.newReporter(int64(7_950_000_001+i), tc.phone)
		e.emu.SendText(r.User, "/start") // what Telegram's Start button sends
		if tc.choose != "" {
			m, _ := r.waitButton("lang:km")
			if !containsAll(m.Text, cat, "choose_language") || len(m.Buttons) != 2 || len(m.Buttons[0]) != 3 || m.Buttons[1][0].Text != "🔊" {
				t.Errorf("phone %q: first screen %q %v, want the three languages, then 🔊 to listen", tc.phone, m.Text, m.Buttons)
			}
			r.press("lang:" + tc.choose)
		}
		m, _ := r.waitButton("menu:tip")
		if !strings.Contains(m.Text, cat.Text(tc.want, "menu", nil)) {
			t.Errorf("phone %q: the menu %q is not in %s", tc.phone, m.Text, tc.want)
		}
		r.MarkSeen()
		chosen[tc.phone] = tc.want
	}

	// A Khmer reader whose phone says "en" files a tip; the team writes.
	r := e.newReporter(7_950_000_102, "en")
	e.emu.SendText(r.User, "/start")
	r.press("lang:km")
	ref := r.fileTip(canaryAnswers("lang"))
	rv.take(ref)
	rv.reply(ref, "Is she still there?")
	rv.waitText(regexp.MustCompile(`Sent to the reporter`))
	team := r.waitText(regexp.MustCompile(`Is she still there`))
	if first, _, _ := strings.Cut(team.Text, "\n"); first != "📩 សារថ្មី" {
		t.Errorf("the team message's first line (the lock screen) is %q, want a neutral one", first)
	}

	// Days later: the session is gone. The Answer button still works, in
	// Khmer, and the words reach the reviewer.
	time.Sleep(ttl + time.Second)
	r.Seen = team.ID - 1
	r.press("ans:" + string(ref))
	m := r.waitText(regexp.MustCompile(regexp.QuoteMeta(string(ref))))
	if !strings.Contains(m.Text, cat.Text("km", "add_prompt", map[string]any{"Reference": string(ref)})) ||
		strings.Contains(m.Text, cat.Text("km", "error_session_lost", nil)) {
		t.Errorf("Answer after the session expired: %q, want the Khmer prompt for %s", m.Text, ref)
	}
	r.MarkSeen()
	e.emu.SendText(r.User, "Canarylate she left this morning")
	rv.waitText(regexp.MustCompile(`Canarylate`))
	r.press("done")
	r.MarkSeen()

	// The team writes again; the reporter types without pressing Answer:
	// the words reach the reviewer all the same.
	rv.reply(ref, "Which street?")
	rv.waitText(regexp.MustCompile(`Sent to the reporter`))
	r.waitText(regexp.MustCompile(`Which street`))
	r.MarkSeen()
	e.emu.SendText(r.User, "Canarytyped near the market")
	rv.waitText(regexp.MustCompile(`Canarytyped`))
	r.press("done")
	r.MarkSeen()

	// A dead letter: an update the program cannot read, from the "en" phone.
	raw := fmt.Sprintf(`{"update_id":990101,"message":{"message_id":"not a number","date":1,"chat":{"id":%d,"type":"private"},"from":{"id":%d,"language_code":"en"},"text":"x"}}`, r.User.ID, r.User.ID)
	if _, err := e.db.InboxAdd(context.Background(), []storage.InboxItem{{UpdateID: 990101, ChatKey: e.ring.ChatKey(r.User.ID), Payload: []byte(raw)}}); err != nil {
		t.Fatal(err)
	}
	r.waitText(regexp.MustCompile(regexp.QuoteMeta(cat.Text("km", "error_set_aside", nil))))
	r.MarkSeen()

	// A block: the neutral answer and the numbers, in Khmer.
	rv.press("blk:" + string(ref))
	rv.press("blr:" + string(ref) + ":threats")
	rv.waitText(regexp.MustCompile(`is blocked`))
	e.emu.SendText(r.User, "hello again")
	if m := r.waitText(regexp.MustCompile(`117`)); !strings.HasPrefix(m.Text, cat.Text("km", "blocked_neutral", nil)) {
		t.Errorf("a blocked reporter's answer: %q, want Khmer", m.Text)
	}
	r.MarkSeen()
	rv.press("unb:" + string(ref))
	rv.waitText(regexp.MustCompile(`no longer blocked`))

	// A flood: "slow down", in Khmer.
	for i := range 40 {
		e.emu.SendText(r.User, fmt.Sprintf("again %d", i))
	}
	r.waitText(regexp.MustCompile(regexp.QuoteMeta(cat.Text("km", "error_slow_down", nil))))
	for _, msg := range e.emu.BotMessages(r.User.ID) {
		if msg.ID > r.Seen && strings.Contains(msg.Text, cat.Text("en", "error_slow_down", nil)) {
			t.Errorf("an English notice reached the Khmer reader: %q", msg.Text)
		}
	}
	e.assertValid()
}

// containsAll says text has message id written in each of our languages.
func containsAll(text string, cat *locales.Catalog, id string) bool {
	for _, l := range []string{"km", "th", "en"} {
		if !strings.Contains(text, cat.Text(l, id, nil)) {
			return false
		}
	}
	return true
}
