package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/internal/chattest"
	"github.com/tipline/tipline/storage/storagetest"
)

// TestTipJourney files a whole tip in Khmer, Thai and English through the
// real program, an emulated Telegram and real PostgreSQL and Redis; the
// stored case decrypts to the answers given, and the reporters' Telegram
// ids, names and usernames appear nowhere in a database dump, in Redis or
// in the logs.
func TestTipJourney(t *testing.T) {
	e := newTestEnv(t)
	e.start()
	type filed struct {
		r   *reporter
		a   tipAnswers
		ref tipline.Reference
	}
	var all []filed
	for i, lang := range []string{"km", "th", "en"} {
		r := e.reporter(int64(7_100_000_001+i), lang)
		a := canaryAnswers(lang)
		all = append(all, filed{r: r, a: a, ref: r.fileTip(a)})
	}

	ctx := context.Background()
	for i, f := range all {
		lang := []string{"km", "th", "en"}[i]
		c, err := e.db.Case(ctx, f.ref)
		if err != nil {
			t.Fatalf("%s: case %s: %v", lang, f.ref, err)
		}
		want := tipline.Answers{
			tipline.AnswerWhat: f.a.what, tipline.AnswerDanger: "yes", tipline.AnswerHappening: "sale", tipline.AnswerWhen: "ongoing",
			tipline.AnswerChildren: "2_3", tipline.AnswerAges: "6_11", tipline.AnswerAdults: f.a.adults,
		}
		if fmt.Sprint(c.Answers) != fmt.Sprint(want) {
			t.Errorf("%s: answers = %v, want %v", lang, c.Answers, want)
		}
		if c.Lang != lang || c.Urgency != tipline.UrgencyUrgent || !c.ContactAllowed || c.Kind != tipline.KindTip || c.Status != tipline.StatusReceived {
			t.Errorf("%s: case = %+v", lang, c)
		}
		if c.Location == nil || c.Location.Latitude != 11.5696 || c.Location.Longitude != 104.921 {
			t.Errorf("%s: location = %v", lang, c.Location)
		}
		if c.ReporterChatID != f.r.User.ID {
			t.Errorf("%s: reporter chat not kept for replies", lang)
		}
		if len(c.Attachments) != 1 || c.Attachments[0].Kind != tipline.AttachPhoto {
			t.Fatalf("%s: attachments = %+v", lang, c.Attachments)
		}
		got := waitAttachment(t, e, f.ref, c.Attachments[0].FileUniqueID)
		if !bytes.Equal(got, f.a.photo) {
			t.Errorf("%s: stored photo = %q, want the uploaded bytes", lang, got)
		}
		// The reply with the reference is in the reporter's language.
		done := f.r.e.emu.BotMessages(f.r.User.ID)
		if !hasScript(done, lang) {
			t.Errorf("%s: replies are not in the reporter's language", lang)
		}
	}
	if n := e.countRows("cases"); n != 3 {
		t.Errorf("cases = %d, want 3", n)
	}
	e.assertValid()

	// Nothing that names a reporter, and none of their words, in clear.
	dump := storagetest.DumpSchema(t, e.schema)
	redisValues := e.redisDump()
	logs := e.logs.String()
	for _, f := range all {
		secrets := []string{strconv.FormatInt(f.r.User.ID, 10), f.r.User.Username, f.r.User.FirstName, "Canarywhat", "Canaryadults", "canary-photo"}
		for _, s := range secrets {
			if strings.Contains(dump, s) {
				t.Errorf("pg_dump contains %q", s)
			}
			if strings.Contains(redisValues, s) {
				t.Errorf("Redis contains %q", s)
			}
			if strings.Contains(logs, s) {
				t.Errorf("logs contain %q", s)
			}
		}
	}
	if strings.Contains(logs, e.emu.Token()) {
		t.Error("logs contain the bot token")
	}
	if !strings.Contains(logs, string(all[0].ref)) {
		t.Error("logs do not name the case reference (they should, for operators)")
	}
}

func hasScript(msgs []telegramemuMessage, lang string) bool {
	for _, m := range msgs {
		for _, r := range m.Text {
			switch {
			case lang == "km" && r >= 0x1780 && r <= 0x17FF:
				return true
			case lang == "th" && r >= 0x0E00 && r <= 0x0E7F:
				return true
			case lang == "en" && strings.Contains(m.Text, "Thank you"):
				return true
			}
		}
	}
	return false
}

func waitAttachment(t *testing.T, e *testEnv, ref tipline.Reference, uniqueID string) []byte {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for time.Now().Before(deadline) {
		b, err := e.db.AttachmentContent(context.Background(), ref, uniqueID)
		if err == nil {
			return b
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("attachment of %s never stored\nlogs:\n%s", ref, e.logs)
	return nil
}

// redisDump returns every value under the test's prefix, raw.
func (e *testEnv) redisDump() string {
	e.t.Helper()
	ctx := context.Background()
	var b strings.Builder
	iter := e.rc.Scan(ctx, 0, e.prefix+"*", 100).Iterator()
	n := 0
	for iter.Next(ctx) {
		v, err := e.rc.Get(ctx, iter.Val()).Result()
		if err != nil {
			continue // another type; sessions are strings
		}
		b.WriteString(iter.Val() + "=" + v + "\n")
		n++
	}
	if err := iter.Err(); err != nil {
		e.t.Fatal(err)
	}
	if n == 0 {
		e.t.Error("no sessions in Redis: the test would prove nothing")
	}
	return b.String()
}

// TestDuplicateUpdates: Telegram may deliver an update twice; each is
// applied once and a confirmed report gives one case (G2).
func TestDuplicateUpdates(t *testing.T) {
	e := newTestEnv(t)
	e.start()
	r := e.reporter(7_200_000_001, "en")
	textID := r.startTip("what I saw")
	r.press(quickAnswers[0])
	// The typed answer again: applied twice it would be a wrong answer to
	// the next question and draw an explanation.
	if err := e.emu.Redeliver(textID); err != nil {
		t.Fatal(err)
	}
	r.pressAll(quickAnswers[1:]...)
	sendID := r.press("send:anon")
	r.waitText(referenceRE)
	for range 3 {
		if err := e.emu.Redeliver(sendID); err != nil {
			t.Fatal(err)
		}
	}
	waitInboxDone(t, e)
	if n := e.countRows("cases"); n != 1 {
		t.Errorf("cases = %d, want 1", n)
	}
	for _, m := range e.emu.BotMessages(r.User.ID) {
		if strings.Contains(m.Text, "buttons below") || strings.Count(m.Text, "TL-") > 1 {
			t.Errorf("a duplicate update was applied again: %q", m.Text)
		}
	}
	refs := 0
	for _, m := range e.emu.BotMessages(r.User.ID) {
		if referenceRE.MatchString(m.Text) { // one message: the report number, then the secret code
			refs++
		}
	}
	if refs != 1 {
		t.Errorf("reference sent %d times, want once", refs)
	}
	e.assertValid()
}

// inboxPending counts the updates not yet processed, as the metrics and
// doctor read them (Stats).
func inboxPending(e *testEnv) (int, error) {
	st, err := e.db.Stats(context.Background())
	return st.InboxPending, err
}

// waitInboxDone waits until every stored update was processed.
func waitInboxDone(t testing.TB, e *testEnv) {
	t.Helper()
	ctx := context.Background()
	if err := e.emu.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(waitFor)
	for time.Now().Before(deadline) {
		n, err := inboxPending(e)
		if err != nil {
			t.Fatal(err)
		}
		out, err := e.db.OutboxPending(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out {
			n += m
		}
		if n == 0 {
			if err := e.emu.WaitIdle(ctx); err != nil {
				t.Fatal(err)
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("inbox or outbox never drained")
}

// TestChatsInOrder: two reporters type quickly at the same time; each
// chat's messages are handled in the order sent (G3).
func TestChatsInOrder(t *testing.T) {
	e := newTestEnv(t)
	e.env["TIPLINE_WORKERS"] = "4"
	e.start()
	var wg sync.WaitGroup
	const burst = 8
	for i := range 2 {
		r := e.reporter(int64(7_300_000_001+i), "en")
		wg.Go(func() {
			r.e.emu.SendText(r.User, "/start")
			r.press("menu:tip")
			r.expect("back")
			// The first message answers "what happened"; the rest arrive while
			// the bot asks "is a child in danger" and must each be explained.
			for j := range burst {
				r.e.emu.SendText(r.User, fmt.Sprintf("message %d from %d", j, i))
			}
		})
	}
	wg.Wait()
	waitInboxDone(t, e)
	for i := range 2 {
		id := int64(7_300_000_001 + i)
		var sessionWhat string
		msgs := e.emu.BotMessages(id)
		explained := 0
		for _, m := range msgs {
			if strings.Contains(m.Text, "buttons below") {
				explained++
			}
		}
		if explained != burst-1 {
			t.Errorf("chat %d: %d messages explained, want %d:\n%s", i, explained, burst-1, (&reporter{Chat: &chattest.Chat{Emu: e.emu, User: userOf(id)}, e: e}).Transcript())
		}
		// Finish the report: the answer kept must be the first message.
		r := &reporter{Chat: &chattest.Chat{Emu: e.emu, User: userOf(id)}, e: e}
		r.pressAll(quickAnswers...)
		r.press("send:anon")
		m := r.waitText(referenceRE)
		c, err := e.db.Case(context.Background(), tipline.Reference(referenceRE.FindString(m.Text)))
		if err != nil {
			t.Fatal(err)
		}
		sessionWhat = c.Answers[tipline.AnswerWhat]
		if want := fmt.Sprintf("message 0 from %d", i); sessionWhat != want {
			t.Errorf("chat %d: what = %q, want %q (out of order)", i, sessionWhat, want)
		}
	}
	e.assertValid()
}

// TestWebhookSecret: a webhook request without the right secret is refused
// with 403 and nothing is stored (G10); the right one is stored and answered.
func TestWebhookSecret(t *testing.T) {
	e := newTestEnv(t)
	e.env["TIPLINE_WEBHOOK_URL"] = "https://127.0.0.1/telegram/hook"
	const secret = "s3cret-Token_42-0123456789abcdefghij"
	e.env["TIPLINE_WEBHOOK_SECRET"] = secret
	addr, _ := e.start()
	url := "http://" + addr + "/telegram/hook"
	r := e.reporter(7_400_000_001, "en")
	update := fmt.Sprintf(`{"update_id":90001,"message":{"message_id":1,"date":1763800000,"chat":{"id":%d,"type":"private"},"from":{"id":%d,"is_bot":false,"first_name":"A","language_code":"en"},"text":"/start","entities":[{"type":"bot_command","offset":0,"length":6}]}}`, r.User.ID, r.User.ID)
	post := func(secret, body string) int {
		req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		name, secret string
	}{{"missing", ""}, {"wrong", "s3cret-Token_43"}, {"prefix", "s3cret"}, {"longer", secret + "x"}} {
		if got := post(tc.secret, update); got != http.StatusForbidden {
			t.Errorf("%s secret: status %d, want 403", tc.name, got)
		}
	}
	if n := e.countRows("inbox"); n != 0 {
		t.Fatalf("inbox has %d rows after refused requests, want 0", n)
	}
	if got := post(secret, `{"update_id":`); got != http.StatusBadRequest {
		t.Errorf("malformed JSON: status %d, want 400", got)
	}
	if got := post(secret, update); got != http.StatusOK {
		t.Fatalf("right secret: status %d, want 200", got)
	}
	if got := post(secret, update); got != http.StatusOK {
		t.Fatalf("same update again: status %d, want 200", got)
	}
	r.waitText(regexp.MustCompile(`What do you want to do`))
	if n := e.countRows("inbox"); n != 1 {
		t.Errorf("inbox rows = %d, want 1", n)
	}
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: status %d, want 405", resp.StatusCode)
	}
	e.assertValid()
}

// TestWebhookJourney: a whole tip delivered by webhook (the emulator calls
// the program as Telegram would, with the secret header, retrying on
// failure), stored and answered like in polling mode.
func TestWebhookJourney(t *testing.T) {
	e := newTestEnv(t)
	port := freePort(t)
	e.env["TIPLINE_LISTEN_ADDR"] = fmt.Sprintf("127.0.0.1:%d", port)
	e.env["TIPLINE_WEBHOOK_URL"] = fmt.Sprintf("http://127.0.0.1:%d/telegram/hook", port)
	e.env["TIPLINE_WEBHOOK_SECRET"] = "webhook-secret-1-0123456789abcdefghij"
	e.start()
	r := e.reporter(7_400_000_002, "th")
	ref := r.fileTip(canaryAnswers("webhook"))
	if _, err := e.db.Case(context.Background(), ref); err != nil {
		t.Fatalf("case %s: %v", ref, err)
	}
	if n := e.countRows("cases"); n != 1 {
		t.Errorf("cases = %d, want 1", n)
	}
	e.assertValid()
}
