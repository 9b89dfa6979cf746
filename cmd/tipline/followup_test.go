package main

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/storage/storagetest"
)

// TestMissingChildJourney reports a missing child in Khmer, Thai and
// English through the real program: photos, an age and a phone number typed
// in local digits, stored normalised and encrypted.
func TestMissingChildJourney(t *testing.T) {
	e := newTestEnv(t)
	e.start()
	cases := []struct {
		lang, age, phone, want string
	}{
		{"km", "៧", "០១២ ៣៤៥ ៦៧៨", "+85512345678"},
		{"th", "๗", "๐๘๑-๒๓๔-๕๖๗๘", "+66812345678"},
		{"en", "7", "+855 12 345 678", "+85512345678"},
	}
	for i, tc := range cases {
		r := e.reporter(int64(7_010_000_001+i), tc.lang)
		e.emu.SendText(r.User, "/start")
		r.press("menu:missing")
		r.expect("back")
		e.emu.SendText(r.User, "Canaryname"+tc.lang)
		r.expect("a:under_6")
		e.emu.SendText(r.User, tc.age)
		r.press("a:girl")
		r.expect("skip")
		r.MarkSeen()
		e.emu.SendPhoto(r.User, []byte("\xff\xd8\xff first "+tc.lang), "")
		r.expect("done")
		r.MarkSeen()
		e.emu.SendPhoto(r.User, []byte("\xff\xd8\xff second "+tc.lang), "")
		r.press("done")
		r.press("a:yesterday")
		r.expect("skip")
		e.emu.SendLocation(r.User, 13.6586, 102.5625)
		r.press("skip") // clothes
		r.press("a:parent")
		r.press("a:yes")
		r.expect("skip")
		e.emu.SendText(r.User, tc.phone)
		r.press("a:no")
		r.press("send:contact")
		m := r.waitText(referenceRE)
		c, err := e.db.Case(context.Background(), tipline.Reference(referenceRE.FindString(m.Text)))
		if err != nil {
			t.Fatal(err)
		}
		a := c.Answers
		if c.Kind != tipline.KindMissing || c.Urgency != tipline.UrgencyUrgent || a[tipline.AnswerPhone] != tc.want ||
			a[tipline.AnswerAge] != "7" || a[tipline.AnswerName] != "Canaryname"+tc.lang || a[tipline.AnswerSeenWhen] != teamYesterday(t) {
			t.Errorf("%s: case %s %s answers %v", tc.lang, c.Kind, c.Urgency, a)
		}
		if len(c.Attachments) != 2 {
			t.Fatalf("%s: %d photos, want 2", tc.lang, len(c.Attachments))
		}
		first := waitAttachment(t, e, c.Reference, c.Attachments[0].FileUniqueID)
		if !bytes.Contains(first, []byte("first "+tc.lang)) {
			t.Errorf("%s: first photo bytes %q", tc.lang, first)
		}
	}
	dump := storagetest.DumpSchema(t, e.schema)
	for _, s := range []string{"Canaryname", "85512345678", "66812345678"} {
		if strings.Contains(dump, s) {
			t.Errorf("pg_dump contains %q in clear", s)
		}
	}
	e.assertValid()
}

// teamYesterday is yesterday's date in the team's time zone (the default,
// Asia/Phnom_Penh), as "Yesterday" is stored: a reviewer reads the case
// days later.
func teamYesterday(t *testing.T) string {
	loc, err := time.LoadLocation("Asia/Phnom_Penh")
	if err != nil {
		t.Fatal(err)
	}
	return time.Now().In(loc).AddDate(0, 0, -1).Format("2006-01-02")
}

var codeRE = regexp.MustCompile(`\d{4} \d{4} \d{4} \d{4}`)

// TestFollowUpFromAnotherAccount: the reporter keeps the follow-up code;
// from a second Telegram account the code opens the case and a photo is
// added. Wrong codes are refused, then limited; the code is nowhere in the
// database in clear.
func TestFollowUpFromAnotherAccount(t *testing.T) {
	e := newTestEnv(t)
	e.env["TIPLINE_FOLLOWUP_TRIES_PER_HOUR"] = "3"
	e.start()
	first := e.reporter(7_020_000_001, "km")
	ref := first.fileTip(canaryAnswers("followup"))
	first.Seen = 0
	code := codeRE.FindString(first.waitText(codeRE).Text)
	plain := strings.ReplaceAll(code, " ", "")
	khmer := strings.NewReplacer("0", "០", "1", "១", "2", "២", "3", "៣", "4", "៤", "5", "៥", "6", "៦", "7", "៧", "8", "៨", "9", "៩").Replace(code)

	second := e.reporter(7_020_000_002, "th")
	e.emu.SendText(second.User, "/status")
	second.expect("menu")
	second.MarkSeen()
	wrong := "0000 0000 0000 0000"
	if wrong == code {
		wrong = "1111 1111 1111 1111"
	}
	e.emu.SendText(second.User, wrong)
	second.expect("menu")
	second.MarkSeen()
	e.emu.SendText(second.User, khmer) // the right code, in Khmer digits
	second.press("add:" + string(ref))
	second.MarkSeen()
	e.emu.SendPhoto(second.User, []byte("\xff\xd8\xff added later"), "")
	second.press("done")
	waitInboxDone(t, e)

	c, err := e.db.Case(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Additions) != 1 || len(c.Additions[0].Attachments) != 1 {
		t.Fatalf("additions = %+v", c.Additions)
	}
	// Recorded as from someone with the code, not as the reporter's own
	// (the security review's M6): the reviewer reads the difference.
	if got := c.Additions[0].Actor; !strings.HasPrefix(got, "followup:") {
		t.Errorf("an addition from another account is recorded as %q, want followup:…", got)
	}
	got := waitAttachment(t, e, ref, c.Additions[0].Attachments[0].FileUniqueID)
	if !bytes.Equal(got, []byte("\xff\xd8\xff added later")) {
		t.Errorf("added photo = %q", got)
	}

	// A third account guesses: after 3 tries it is told to wait, even with the right code.
	third := e.reporter(7_020_000_003, "en")
	e.emu.SendText(third.User, "/status")
	for range 3 {
		third.expect("menu")
		third.MarkSeen()
		e.emu.SendText(third.User, wrong)
	}
	third.waitText(regexp.MustCompile(`did not open`))
	third.MarkSeen()
	e.emu.SendText(third.User, "/status")
	third.expect("menu")
	third.MarkSeen()
	e.emu.SendText(third.User, code)
	third.waitText(regexp.MustCompile(`Too many tries`))

	dump := storagetest.DumpSchema(t, e.schema)
	if strings.Contains(dump, plain) || strings.Contains(dump, code) {
		t.Error("the follow-up code is in the database in clear")
	}
	if strings.Contains(e.logs.String(), plain) {
		t.Error("the follow-up code is in the logs")
	}
	e.assertValid()
}

// TestClearChat deletes every message of the conversation, both sides,
// but the one that then says how to delete the chat itself (a bot cannot),
// which names no report and no code.
func TestClearChat(t *testing.T) {
	e := newTestEnv(t)
	e.start()
	r := e.reporter(7_030_000_001, "th")
	r.fileTip(canaryAnswers("clear"))
	r.Seen = 0
	r.press("clear")
	r.press("clear:yes")
	waitInboxDone(t, e)
	left := 0
	msgs := e.emu.Messages(r.User.ID)
	for i, m := range msgs {
		if i == len(msgs)-1 && m.FromBot && !m.Deleted && !referenceRE.MatchString(m.Text) && !codeRE.MatchString(m.Text) &&
			!strings.Contains(m.Text, "Canary") {
			continue // how to delete the chat
		}
		if !m.Deleted {
			left++
			t.Errorf("message %d (bot %v) not deleted: %q", m.ID, m.FromBot, m.Text)
		}
	}
	if left > 0 {
		t.Logf("transcript:\n%s", r.Transcript())
	}
	e.assertValid()
}

// TestForget: /forget deletes the unfinished report from Redis and unlinks
// the reporter's pseudonym from past cases in PostgreSQL.
func TestForget(t *testing.T) {
	e := newTestEnv(t)
	e.start()
	r := e.reporter(7_040_000_001, "en")
	ref := r.fileTip(canaryAnswers("forget"))
	r.startTip("Canarydraft unfinished words")
	r.expect("a:yes")
	pseudonym := e.ring.Pseudonym(r.User.ID)
	if list, _ := e.db.CasesByReporter(context.Background(), pseudonym); len(list) != 1 {
		t.Fatalf("before forget: %d cases linked", len(list))
	}
	e.emu.SendText(r.User, "/forget")
	r.press("forget:yes")
	r.waitText(regexp.MustCompile(`no longer know`))
	waitInboxDone(t, e)

	list, err := e.db.CasesByReporter(context.Background(), pseudonym)
	if err != nil || len(list) != 0 {
		t.Errorf("after forget: %d cases still linked (%v)", len(list), err)
	}
	c, err := e.db.Case(context.Background(), ref)
	if err != nil {
		t.Fatalf("the case itself must stay: %v", err)
	}
	if c.Reporter != "" || c.ReporterChatID != 0 {
		t.Error("the case still names its reporter")
	}
	if strings.Contains(storagetest.DumpSchema(t, e.schema), pseudonym) {
		t.Error("the pseudonym is still in the database")
	}
	raw, err := e.rc.Get(context.Background(), e.prefix+"session:"+e.ring.ChatKey(r.User.ID)).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	plain, err := e.ring.Open(raw, e.prefix+"session:"+e.ring.ChatKey(r.User.ID))
	if err != nil {
		t.Fatalf("open session: %v", err)
	}
	var s flows.Session
	if err := json.Unmarshal(plain, &s); err != nil {
		t.Fatal(err)
	}
	if s.Draft != nil || s.Receipt != nil || len(s.Submitted) != 0 {
		t.Errorf("session after forget still holds %+v", s)
	}
	// Nothing is kept in Redis under the reporter's pseudonym: not the
	// language they chose, not the cases awaiting their answer.
	keys, err := e.rc.Keys(context.Background(), e.prefix+"*"+pseudonym+"*").Result()
	if err != nil || len(keys) != 0 {
		for _, k := range keys {
			if !strings.Contains(k, "rate:") { // rate-limit counters expire on their own
				t.Errorf("after forget, Redis still holds %s (%v)", k, err)
			}
		}
	}
	e.assertValid()
}
