package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/internal/chattest"
	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/telegramemu"
	"github.com/tipline/tipline/voices"
)

// fakeVoice is a few bytes that look like an OGG/opus file to the
// emulator: no one's voice is in the repository.
func fakeVoice(tag string) []byte { return []byte("OggS\x00\x02synthetic-opus-" + tag) }

// recordPrompt has an admin record one prompt in a language through the
// bot: /record, the language, the prompt, a voice message, Keep.
func recordPrompt(t *testing.T, admin *reporter, lang, key string) {
	t.Helper()
	admin.e.emu.SendText(admin.User, "/record")
	admin.press("rec:l:" + lang)
	admin.press("rec:p:" + lang + ":" + strconv.Itoa(slices.Index(voices.Prompts(), key)))
	// The exact text to read, in the prompt's language.
	want := locales.MustLoad().Text(lang, key, nil)
	admin.waitText(regexp.MustCompile(regexp.QuoteMeta(firstLine(want))))
	admin.MarkSeen()
	admin.e.emu.SendVoice(admin.User, fakeVoice(lang+key), 3)
	m, _ := admin.waitButton("rec:keep")
	if !m.Voice || !strings.Contains(m.Caption, "Keep it?") {
		t.Fatalf("play-back of %s: %+v, want the voice message with Keep / Record again", key, m)
	}
	admin.press("rec:keep")
	admin.waitText(regexp.MustCompile(`Kept`))
	admin.MarkSeen()
}

// TestVoicePrompts: an admin records two prompts in Khmer in Telegram; a
// Khmer reporter turns listening on and files a tip by buttons and one
// voice message, hearing the two recorded questions as voice messages with
// the question as caption and the same buttons, and the others as text.
// Listening outlives the session's loss; a changed text makes its
// recording stale (shown by "tipline voices", no longer played).
func TestVoicePrompts(t *testing.T) {
	e := newTestEnv(t)
	_, stop := e.start()
	ctx := context.Background()
	cat := locales.MustLoad()

	adminID := e.opsReviewer(t, "Dara", 7_210_000_001)
	admin := e.newReporter(7_210_000_001, "en")
	recordPrompt(t, admin, "km", "q_what")
	recordPrompt(t, admin, "km", "q_danger")

	recs, err := e.db.VoicePrompts(ctx, "km")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("recordings %+v, want q_danger and q_what", recs)
	}
	for _, r := range recs {
		if r.RecordedBy != adminID || r.Duration != 3 || r.FileID == "" || r.TextHash != voices.TextHash(cat, "km", r.Key) {
			t.Errorf("recording %+v: want by reviewer %d, 3 s, the text's hash", r, adminID)
		}
	}
	evs, err := e.db.VoiceEvents(ctx)
	if err != nil || len(evs) != 2 || evs[0].Actor != "reviewer:"+strconv.FormatInt(adminID, 10) {
		t.Fatalf("audit %+v, %v: want two recordings by the admin", evs, err)
	}

	// The receipt's "what happens next", recorded too (here straight in
	// the store, with the same voice): the receipt is longer than a
	// caption, so it comes as the voice, then the words.
	next := recs[0]
	next.Key, next.TextHash = "done_next", voices.TextHash(cat, "km", "done_next")
	if err := e.db.SaveVoicePrompt(ctx, next, "reviewer:1", storage.ActionVoiceRecorded); err != nil {
		t.Fatal(err)
	}

	// A Khmer reporter turns listening on from the menu.
	r := e.reporter(7_210_000_101, "km")
	e.emu.SendText(r.User, "/start")
	r.press("listen:on")
	m, _ := r.waitButton("listen:off")
	if m.Voice {
		t.Errorf("the menu has no recording but went as a voice message")
	}
	r.press("menu:tip")
	m, _ = r.waitButton("back")
	wantHeard(t, m, cat.Text("km", "q_what", nil), recs)
	r.Seen = m.ID
	e.emu.SendVoice(r.User, fakeVoice("reporter"), 9) // the answer, spoken
	m, _ = r.waitButton("a:yes")
	wantHeard(t, m, cat.Text("km", "q_danger", nil), recs)
	r.press("a:yes")
	m, _ = r.waitButton("a:sale")
	if m.Voice || !strings.Contains(m.Text, firstLine(cat.Text("km", "q_happening", nil))) {
		t.Errorf("q_happening (not recorded): %+v, want text", m)
	}
	r.pressAll("a:sale", "skip", "a:today", "a:1", "a:unknown", "skip", "skip", "send:anon")
	done := r.waitText(referenceRE)
	if before := botMessageBefore(e, r.User.ID, done.ID); !before.Voice || before.Caption != "" || before.FileID != next.FileID {
		t.Errorf("before the receipt: %+v, want its recorded voice, uncaptioned", before)
	}
	ref, _ := tipline.ParseReference(referenceRE.FindString(done.Text))
	c, err := e.db.Case(ctx, ref)
	if err != nil {
		t.Fatalf("case: %v", err)
	}
	if len(c.Attachments) != 1 || c.Attachments[0].Kind != tipline.AttachVoice || c.Answers[tipline.AnswerDanger] != "yes" {
		t.Errorf("case %+v, want the spoken answer and the danger", c)
	}

	// "Clear this chat" deletes the voice messages too.
	r.press("clear")
	r.press("clear:yes")
	waitInboxDone(t, e)
	voiced := 0
	for _, bm := range e.emu.Messages(r.User.ID) {
		if bm.FromBot && bm.Voice {
			voiced++
			if !bm.Deleted {
				t.Errorf("voice message %d left after Clear this chat", bm.ID)
			}
		}
	}
	if voiced != 3 {
		t.Errorf("%d voice messages before clearing, want 3", voiced)
	}
	r.MarkSeen()

	// Listening is the reporter's, not the session's: it outlives it.
	if n, err := e.rc.Del(ctx, e.prefix+"session:"+e.ring.ChatKey(r.User.ID)).Result(); err != nil || n != 1 {
		t.Fatalf("dropping the reporter's session: %d, %v", n, err)
	}

	// The Khmer text of q_danger changes (here: the recording was made for
	// an older text): it is stale, and is no longer played.
	mustExec(t, e, `update `+e.schema+`.voice_prompts set text_hash = 'an-older-text' where key = 'q_danger'`)
	stop()
	_, stop = e.start() // a new process: no recording held in memory
	defer stop()
	out, err := e.runCLI(t, "voices")
	if err != nil {
		t.Fatalf("tipline voices: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`km\s+2 recorded\s+1 stale\s+`+strconv.Itoa(len(voices.Prompts())-3)+` missing`).MatchString(out) ||
		!strings.Contains(out, "stale    q_danger") {
		t.Errorf("tipline voices:\n%s\nwant km 2 recorded (q_what, done_next), 1 stale, the rest missing; q_danger named stale", out)
	}
	// /record shows it stale too, beside the recorded and the missing.
	admin.MarkSeen()
	e.emu.SendText(admin.User, "/record")
	admin.press("rec:l:km")
	list, _ := admin.waitButton("rec:p:km:0")
	icons := map[string]string{}
	for _, row := range list.Buttons {
		for _, btn := range row {
			for _, k := range []string{"q_what", "q_danger", "q_where"} {
				if chattest.IsButton(btn.Data, "rec:p:km:"+strconv.Itoa(slices.Index(voices.Prompts(), k))) {
					icons[k], _, _ = strings.Cut(btn.Text, " ")
				}
			}
		}
	}
	if icons["q_what"] != "✅" || icons["q_danger"] != "⚠️" || icons["q_where"] != "⭕" {
		t.Errorf("/record list %v, want q_what ✅, q_danger ⚠️, q_where ⭕", icons)
	}

	r.MarkSeen()
	r.startTip("again, the girl next door")
	m, _ = r.waitButton("a:yes")
	if m.Voice {
		t.Errorf("a stale recording was played: %+v", m)
	}
	e.assertValid() // every sendVoice with caption and buttons as Telegram takes it
	heard := 0
	for _, bm := range e.emu.Messages(r.User.ID) { // deleted ones too
		if bm.FromBot && bm.Voice {
			heard++
		}
	}
	if heard != 4 { // q_what, q_danger, the receipt, then q_what again after the session was lost
		t.Errorf("%d voice messages, want 4:\n%s", heard, r.Transcript())
	}

	// /forget removes the choice: nothing is kept under the pseudonym.
	listenKey := e.prefix + "mark:listen:" + e.ring.Pseudonym(r.User.ID)
	if n, err := e.rc.Exists(ctx, listenKey).Result(); err != nil || n != 1 {
		t.Fatalf("listening not kept in Redis under the pseudonym: %d, %v", n, err)
	}
	if v, _ := e.rc.Get(ctx, listenKey).Result(); strings.Contains(v, strconv.FormatInt(r.User.ID, 10)) {
		t.Errorf("the listening marker names the Telegram user")
	}
	e.emu.SendText(r.User, "/forget")
	r.press("forget:yes")
	waitInboxDone(t, e)
	for _, p := range e.ring.Pseudonyms(r.User.ID) {
		if n, err := e.rc.Exists(ctx, e.prefix+"mark:listen:"+p).Result(); err != nil || n != 0 {
			t.Errorf("listening kept after /forget: %d, %v", n, err)
		}
	}
}

// botMessageBefore is the bot's message just before the one with id.
func botMessageBefore(e *testEnv, userID int64, id int) telegramemu.Message {
	var prev telegramemu.Message
	for _, m := range e.emu.Messages(userID) {
		if m.ID == id {
			return prev
		}
		if m.FromBot {
			prev = m
		}
	}
	return telegramemu.Message{}
}

// wantHeard checks that m is a recorded prompt: a voice message of one of
// recs, with the question's words as its caption.
func wantHeard(t *testing.T, m telegramemu.Message, question string, recs []storage.VoicePrompt) {
	t.Helper()
	if !m.Voice || !strings.Contains(m.Caption, firstLine(question)) || len(m.Buttons) == 0 {
		t.Fatalf("question %q: got %+v, want a voice message with it as caption and its buttons", firstLine(question), m)
	}
	if !slices.ContainsFunc(recs, func(r storage.VoicePrompt) bool { return r.FileID == m.FileID }) {
		t.Errorf("voice %s is not one the admin recorded", m.FileID)
	}
}

// TestVoicesExportImport: "tipline voices export" writes the recordings,
// fetched through getFile, with a manifest of their text hashes; "import"
// on a fresh store of another bot uploads each again (file ids belong to
// the bot that received the file) through an admin's chat, and restores
// the coverage; a reporter of the new deployment hears them.
func TestVoicesExportImport(t *testing.T) {
	a := newTestEnv(t)
	_, stopA := a.start()
	a.opsReviewer(t, "Dara", 7_220_000_001)
	admin := a.newReporter(7_220_000_001, "en")
	recordPrompt(t, admin, "km", "q_what")
	recordPrompt(t, admin, "km", "welcome")
	stopA()

	dir := t.TempDir()
	out, err := a.runCLI(t, "voices", "export", dir)
	if err != nil {
		t.Fatalf("voices export: %v\n%s", err, out)
	}
	var man voicesManifest
	raw, err := os.ReadFile(filepath.Join(dir, voicesManifestName))
	if err != nil || json.Unmarshal(raw, &man) != nil || len(man.Recordings) != 2 {
		t.Fatalf("manifest %s (%v): want two recordings", raw, err)
	}
	for _, it := range man.Recordings {
		data, err := os.ReadFile(filepath.Join(dir, it.File))
		if err != nil || !bytes.Equal(data, fakeVoice(it.Lang+it.Key)) {
			t.Errorf("%s: exported %q, %v; want the admin's voice message", it.File, data, err)
		}
		if it.TextHash != voices.TextHash(locales.MustLoad(), it.Lang, it.Key) {
			t.Errorf("%s: text hash %s, want the text's", it.Key, it.TextHash)
		}
	}

	b := newTestEnv(t, telegramemu.WithToken("7654321:another-ngos-bot-token-0123456789"))
	b.opsReviewer(t, "Sophea", 7_230_000_001)
	b.newReporter(7_230_000_001, "en")
	b.emu.SendText(telegramemu.User{ID: 7_230_000_001}, "/start")
	out, err = b.runCLI(t, "voices", "import", dir)
	if err != nil {
		t.Fatalf("voices import: %v\n%s", err, out)
	}
	if !strings.Contains(out, "2 uploaded again") || !regexp.MustCompile(`km\s+2 recorded\s+0 stale`).MatchString(out) {
		t.Errorf("voices import said:\n%s\nwant 2 uploaded again, km 2 recorded", out)
	}
	recs, err := b.db.VoicePrompts(context.Background(), "km")
	if err != nil || len(recs) != 2 {
		t.Fatalf("imported %+v, %v", recs, err)
	}
	b.assertValid()

	// The new deployment's reporters hear them.
	_, stopB := b.start()
	defer stopB()
	r := b.reporter(7_230_000_101, "km")
	b.emu.SendText(r.User, "/start")
	r.press("listen:on")
	r.press("menu:tip")
	m, _ := r.waitButton("back")
	wantHeard(t, m, locales.MustLoad().Text("km", "q_what", nil), recs)
	b.assertValid() // the uploads, and the voice by its new file id
}

// TestRecordAgainAndAdminsOnly: "Record again" throws the first take
// away and keeps the second; a reviewer who is not an admin cannot
// record, and nothing is stored.
func TestRecordAgainAndAdminsOnly(t *testing.T) {
	e := newTestEnv(t)
	e.start()
	ctx := context.Background()

	code := tipline.NewInviteCode()
	if err := e.db.CreateInvite(ctx, tipline.InviteHash(code), "Vanna", false, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.RedeemInvite(ctx, tipline.InviteHash(code), 7_240_000_002, "en", time.Now()); err != nil {
		t.Fatal(err)
	}
	plain := e.newReporter(7_240_000_002, "en")
	e.emu.SendText(plain.User, "/record")
	plain.waitText(regexp.MustCompile(`Only an admin`))

	e.opsReviewer(t, "Dara", 7_240_000_001)
	admin := e.newReporter(7_240_000_001, "en")
	e.emu.SendText(admin.User, "/record")
	admin.press("rec:l:th")
	admin.press("rec:p:th:" + strconv.Itoa(slices.Index(voices.Prompts(), "q_where")))
	admin.waitText(regexp.MustCompile(`Read this aloud`))
	admin.MarkSeen()
	e.emu.SendVoice(admin.User, fakeVoice("first take"), 2)
	admin.press("rec:again")
	admin.waitText(regexp.MustCompile(`Read this aloud`))
	admin.MarkSeen()
	e.emu.SendVoice(admin.User, fakeVoice("second take"), 4)
	m, _ := admin.waitButton("rec:keep")
	admin.press("rec:keep")
	admin.waitText(regexp.MustCompile(`Kept`))

	recs, err := e.db.VoicePrompts(ctx, "")
	if err != nil || len(recs) != 1 {
		t.Fatalf("recordings %+v, %v: want the admin's one", recs, err)
	}
	if r := recs[0]; r.Key != "q_where" || r.Lang != "th" || r.Duration != 4 || r.FileID != m.FileID {
		t.Errorf("kept %+v, want the second take (%s, 4 s) of the Thai q_where", r, m.FileID)
	}
	e.assertValid()
}
