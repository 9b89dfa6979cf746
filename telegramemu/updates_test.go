package telegramemu

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// poll calls getUpdates and decodes the updates.
func poll(t *testing.T, s *Server, offset int64, timeout int) []models.Update {
	t.Helper()
	form := url.Values{"timeout": {strconv.Itoa(timeout)}}
	if offset != 0 {
		form.Set("offset", strconv.FormatInt(offset, 10))
	}
	status, r := callForm(t, s, "getUpdates", form)
	if status != http.StatusOK || !r.OK {
		t.Fatalf("getUpdates: %d %s", status, r.Description)
	}
	var upds []models.Update
	if err := json.Unmarshal(r.Result, &upds); err != nil {
		t.Fatalf("decode updates %s: %v", r.Result, err)
	}
	return upds
}

func TestGetUpdatesLongPoll(t *testing.T) {
	s := newServer(t)
	start := time.Now()
	go func() {
		time.Sleep(100 * time.Millisecond)
		s.SendText(alice, "/start now")
	}()
	upds := poll(t, s, 0, 5)
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("the poll took %v, want it to return when the update arrives", elapsed)
	}
	if len(upds) != 1 || upds[0].Message == nil || upds[0].Message.Text != "/start now" {
		t.Fatalf("got %+v, want Alice's /start", upds)
	}
	m := upds[0].Message
	if m.Chat.ID != alice.ID || m.Chat.Type != models.ChatTypePrivate || m.From.ID != alice.ID || m.Date == 0 ||
		len(m.Entities) != 1 || m.Entities[0].Type != models.MessageEntityTypeBotCommand || m.Entities[0].Length != len("/start") {
		t.Errorf("got %+v, want a private message with a bot_command entity", m)
	}

	// Without an offset the update stays; the offset past it confirms it.
	if again := poll(t, s, 0, 0); len(again) != 1 || again[0].ID != upds[0].ID {
		t.Errorf("got %+v, want the unconfirmed update again", again)
	}
	if err := s.WaitIdle(shortContext(t)); err == nil {
		t.Error("WaitIdle returned with an unconfirmed update")
	}
	if rest := poll(t, s, upds[0].ID+1, 0); len(rest) != 0 {
		t.Errorf("got %+v after confirming, want none", rest)
	}
	if err := s.WaitIdle(testContext(t)); err != nil {
		t.Errorf("WaitIdle: %v", err)
	}

	// A poll with nothing to give waits for its timeout.
	start = time.Now()
	if none := poll(t, s, 0, 1); len(none) != 0 || time.Since(start) < 900*time.Millisecond {
		t.Errorf("got %+v after %v, want nothing after about 1s", none, time.Since(start))
	}
}

func shortContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	t.Cleanup(cancel)
	return ctx
}

func TestGetUpdatesLimit(t *testing.T) {
	s := newServer(t)
	for i := 0; i < 3; i++ {
		s.SendText(alice, "m"+strconv.Itoa(i))
	}
	for _, limit := range []string{"0", "101"} {
		status, r := callForm(t, s, "getUpdates", url.Values{"limit": {limit}})
		wantError(t, status, r, http.StatusBadRequest, "Bad Request: limit must be between 1 and 100")
	}
	status, r := callForm(t, s, "getUpdates", url.Values{"limit": {"2"}})
	var upds []models.Update
	if err := json.Unmarshal(r.Result, &upds); err != nil || status != http.StatusOK || len(upds) != 2 {
		t.Errorf("limit 2: got %d %s, want 2 updates", status, r.Result)
	}
	status, r = callForm(t, s, "getUpdates", url.Values{"limit": {"x"}})
	wantError(t, status, r, http.StatusBadRequest, `Bad Request: parameter "limit" must be of type Integer`)
}

func TestGetUpdatesAllowedUpdates(t *testing.T) {
	s := newServer(t)
	s.SendText(alice, "text")
	s.PressRaw(alice, 1, "data")
	status, r := callForm(t, s, "getUpdates", url.Values{"allowed_updates": {`["callback_query"]`}})
	var upds []models.Update
	if err := json.Unmarshal(r.Result, &upds); err != nil || status != http.StatusOK || len(upds) != 1 || upds[0].CallbackQuery == nil {
		t.Errorf("got %d %s, want only the callback query", status, r.Result)
	}
	status, r = callForm(t, s, "getUpdates", url.Values{"allowed_updates": {`"message"`}})
	wantError(t, status, r, http.StatusBadRequest, "Bad Request: can't parse allowed_updates: the value must be an Array")
}

func TestBotPollingEndToEnd(t *testing.T) {
	s := newServer(t)
	handled := make(chan struct{}, 10)
	b := newBot(t, s, bot.WithDefaultHandler(func(ctx context.Context, b *bot.Bot, upd *models.Update) {
		defer func() { handled <- struct{}{} }()
		if upd.Message == nil {
			return
		}
		if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: upd.Message.Chat.ID, Text: "echo: " + upd.Message.Text}); err != nil {
			t.Errorf("SendMessage: %v", err)
		}
	}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.Start(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	s.SendText(alice, "hello")
	s.SendText(alice, "again")
	got, err := s.WaitBotMessages(testContext(t), alice.ID, 2)
	if err != nil {
		t.Fatalf("WaitBotMessages: %v", err)
	}
	texts := []string{got[0].Text, got[1].Text}
	if !(texts[0] == "echo: hello" || texts[1] == "echo: hello") || !(texts[0] == "echo: again" || texts[1] == "echo: again") {
		t.Errorf("got %q, want both echoes", texts)
	}
	if err := s.WaitIdle(testContext(t)); err != nil {
		t.Errorf("WaitIdle: %v", err)
	}
	// The bot records a message before its answer reaches the handler: let
	// both handlers finish before the bot stops.
	for i := 0; i < 2; i++ {
		<-handled
	}
	wantNoRejections(t, s)
}

func TestRedeliverAndDuplicates(t *testing.T) {
	s := newServer(t)
	id := s.SendText(alice, "tip")
	if got := poll(t, s, 0, 0); len(got) != 1 || got[0].ID != id {
		t.Fatalf("got %+v, want update %d", got, id)
	}
	poll(t, s, id+1, 0)
	if err := s.Redeliver(id); err != nil {
		t.Fatal(err)
	}
	// Telegram resends it although the offset is past it.
	got := poll(t, s, id+1, 0)
	if len(got) != 1 || got[0].ID != id || got[0].Message.Text != "tip" {
		t.Fatalf("got %+v, want update %d again", got, id)
	}
	if rest := poll(t, s, id+1, 0); len(rest) != 0 {
		t.Errorf("got %+v, want the redelivery confirmed", rest)
	}
	if err := s.Redeliver(9999); err == nil {
		t.Error("Redeliver of an unknown update: got no error")
	}
	dup := s.Deliver(models.Update{ID: id, Message: &models.Message{ID: 1, Date: 1, Chat: models.Chat{ID: alice.ID, Type: models.ChatTypePrivate}, From: &models.User{ID: alice.ID}, Text: "tip"}})
	next := s.SendText(alice, "after")
	if dup != id || next <= id {
		t.Errorf("got ids %d, %d; want the duplicate to keep %d and the next to be larger", dup, next, id)
	}
}

func TestConcurrentGetUpdatesConflict(t *testing.T) {
	s := newServer(t)
	var wg sync.WaitGroup
	wg.Add(1)
	var status int
	var first rawResponse
	go func() {
		defer wg.Done()
		status, first = callForm(t, s, "getUpdates", url.Values{"timeout": {"5"}})
	}()
	time.Sleep(50 * time.Millisecond)
	poll(t, s, 0, 0)
	wg.Wait()
	wantError(t, status, first, http.StatusConflict, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")
}

// webhookRecorder is a bot's webhook endpoint that fails its first answers.
type webhookRecorder struct {
	mu       sync.Mutex
	failures int
	secrets  []string
	bodies   []string
	got      chan struct{}
}

func (w *webhookRecorder) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	w.mu.Lock()
	w.secrets = append(w.secrets, r.Header.Get("X-Telegram-Bot-Api-Secret-Token"))
	w.bodies = append(w.bodies, string(body))
	fail := w.failures > 0
	if fail {
		w.failures--
	}
	w.mu.Unlock()
	w.got <- struct{}{}
	if fail {
		http.Error(rw, "not yet", http.StatusInternalServerError)
	}
}

func TestWebhookDeliveryWithRetry(t *testing.T) {
	s := newServer(t, WithWebhookBackoff(10*time.Millisecond, 40*time.Millisecond))
	rec := &webhookRecorder{failures: 1, got: make(chan struct{}, 10)}
	hook := httptest.NewServer(rec)
	t.Cleanup(hook.Close)
	b := newBot(t, s)
	ctx := testContext(t)
	if _, err := b.SetWebhook(ctx, &bot.SetWebhookParams{URL: hook.URL + "/hook", SecretToken: "s3cret_token-1"}); err != nil {
		t.Fatalf("SetWebhook: %v", err)
	}

	status, r := callForm(t, s, "getUpdates", nil)
	wantError(t, status, r, http.StatusConflict, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")

	id := s.SendText(alice, "via webhook")
	for i := 0; i < 2; i++ {
		select {
		case <-rec.got:
		case <-ctx.Done():
			t.Fatalf("got %d webhook posts, want 2 (a failure and its retry)", i)
		}
	}
	if err := s.WaitIdle(ctx); err != nil {
		t.Fatalf("WaitIdle: %v", err)
	}
	rec.mu.Lock()
	secrets, bodies := rec.secrets, rec.bodies
	rec.mu.Unlock()
	for i, body := range bodies {
		var upd models.Update
		if err := json.Unmarshal([]byte(body), &upd); err != nil || upd.ID != id || upd.Message == nil || upd.Message.Text != "via webhook" {
			t.Errorf("post %d: got %s, want update %d", i, body, id)
		}
		if secrets[i] != "s3cret_token-1" {
			t.Errorf("post %d: got secret %q, want the one set", i, secrets[i])
		}
	}
	info, err := b.GetWebhookInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.URL != hook.URL+"/hook" || info.PendingUpdateCount != 0 || info.LastErrorDate == 0 || info.LastErrorMessage != "Wrong response from the webhook: 500 Internal Server Error" {
		t.Errorf("got %+v, want the URL, nothing pending and the 500 as last error", info)
	}

	// Updates queued while the webhook is gone stay for the next poll.
	if _, err := b.DeleteWebhook(ctx, &bot.DeleteWebhookParams{}); err != nil {
		t.Fatal(err)
	}
	later := s.SendText(alice, "queued")
	if got := poll(t, s, 0, 0); len(got) != 1 || got[0].ID != later {
		t.Errorf("got %+v, want the queued update %d", got, later)
	}
	_, err = b.SetWebhook(ctx, &bot.SetWebhookParams{URL: hook.URL, SecretToken: "no spaces"})
	wantRejectedWith(t, err, "Bad Request: secret token contains unallowed characters")
	_, err = b.SetWebhook(ctx, &bot.SetWebhookParams{URL: "http://bot.example.org/hook"})
	wantRejectedWith(t, err, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
	if _, err := b.SetWebhook(ctx, &bot.SetWebhookParams{URL: hook.URL, DropPendingUpdates: true}); err != nil {
		t.Fatal(err)
	}
	if info, err := b.GetWebhookInfo(ctx); err != nil || info.PendingUpdateCount != 0 {
		t.Errorf("got %+v, %v; want the pending update dropped", info, err)
	}
}

func TestWebhookKeepsOrderAcrossFailures(t *testing.T) {
	s := newServer(t, WithWebhookBackoff(5*time.Millisecond, 10*time.Millisecond))
	rec := &webhookRecorder{failures: 3, got: make(chan struct{}, 20)}
	hook := httptest.NewServer(rec)
	t.Cleanup(hook.Close)
	first := s.SendText(alice, "one")
	second := s.SendText(alice, "two")
	status, r := callForm(t, s, "setWebhook", url.Values{"url": {hook.URL}})
	if status != http.StatusOK || !r.OK {
		t.Fatalf("setWebhook: %d %s", status, r.Description)
	}
	if err := s.WaitIdle(testContext(t)); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var ids []int64
	for _, body := range rec.bodies {
		var upd models.Update
		if err := json.Unmarshal([]byte(body), &upd); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, upd.ID)
	}
	want := []int64{first, first, first, first, second}
	if len(ids) != len(want) {
		t.Fatalf("got posts %v, want %v", ids, want)
	}
	for i := range want {
		if ids[i] != want[i] {
			t.Fatalf("got posts %v, want %v", ids, want)
		}
	}
	if strings.Contains(rec.secrets[0], " ") || rec.secrets[0] != "" {
		t.Errorf("got secret header %q without a secret set, want none", rec.secrets[0])
	}
}

// TestSendAlbum: an album arrives as one update per photo, in order, all
// with one media_group_id (a new one per album), the caption on the first.
func TestSendAlbum(t *testing.T) {
	s := newServer(t)
	ids := s.SendAlbum(alice, [][]byte{pngBytes(t, 8, 8), pngBytes(t, 9, 9), pngBytes(t, 10, 10)}, "the house")
	other := s.SendAlbum(alice, [][]byte{pngBytes(t, 8, 8)}, "")
	upds := poll(t, s, 0, 0)
	if len(ids) != 3 || len(upds) != 4 {
		t.Fatalf("got ids %v and %d updates, want 3 ids and 4 updates", ids, len(upds))
	}
	group := upds[0].Message.MediaGroupID
	files := map[string]bool{}
	for i, u := range upds[:3] {
		m := u.Message
		if u.ID != ids[i] || m == nil || len(m.Photo) == 0 || m.MediaGroupID != group || group == "" {
			t.Fatalf("update %d = %+v, want photo %d of album %q", i, u, i, group)
		}
		files[m.Photo[len(m.Photo)-1].FileUniqueID] = true
	}
	if len(files) != 3 {
		t.Errorf("the album's photos share files: %v", files)
	}
	if upds[0].Message.Caption != "the house" || upds[1].Message.Caption != "" {
		t.Errorf("captions %q, %q; want the caption on the first photo only", upds[0].Message.Caption, upds[1].Message.Caption)
	}
	if upds[3].ID != other[0] || upds[3].Message.MediaGroupID == group {
		t.Errorf("a second album has media_group_id %q, want a new one", upds[3].Message.MediaGroupID)
	}
}
