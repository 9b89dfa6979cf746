package outbox

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/memory"
)

// countingThrottle counts a throttle's calls.
type countingThrottle struct {
	Throttle
	mu    sync.Mutex
	calls int
	sets  []int
}

func (c *countingThrottle) TakeEach(ctx context.Context, sets [][]storage.Bucket) ([]storage.Taken, error) {
	c.mu.Lock()
	c.calls++
	c.sets = append(c.sets, len(sets))
	c.mu.Unlock()
	return c.Throttle.TakeEach(ctx, sets)
}

// texting is a Telegram that takes every text message.
type texting struct {
	Telegram
	mu   sync.Mutex
	sent map[int64]int
	all  chan struct{}
	want int
}

func (t *texting) SendMessage(_ context.Context, p *tgbot.SendMessageParams) (*models.Message, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	id := p.ChatID.(int64)
	t.sent[id]++
	if n := len(t.sent); n == t.want {
		close(t.all)
	}
	return &models.Message{ID: len(t.sent)}, nil
}

// TestOneThrottleCallPerBatch: the dispatcher takes the tokens of the
// entries it claimed together in one throttle call, not one a message,
// also when the bot's bucket has fewer tokens than the batch (the rest
// are reserved, due later), and every entry goes out once.
func TestOneThrottleCallPerBatch(t *testing.T) {
	ctx := t.Context()
	mem := memory.New(nil)
	const chats = 6
	var entries []storage.OutboxEntry
	for i := range chats {
		b := NewBatch("u:"+strconv.Itoa(i), func(id int64) string { return "chat-" + strconv.FormatInt(id, 10) })
		b.Text(int64(100+i), tipline.LaneReply, "hello", nil, false)
		entries = append(entries, b.Entries...)
	}
	if err := mem.OutboxAdd(ctx, entries); err != nil {
		t.Fatal(err)
	}
	api := &texting{sent: map[int64]int{}, all: make(chan struct{}), want: chats}
	s := newTestSender(t, mem, api)
	// Telegram's pacing: the bot's burst is 3, so the other three entries
	// reserve their turns (Ahead) in the same call instead of asking again.
	s.cfg.Pacing = DefaultPacing
	s.cfg.Senders = chats // the claim takes them all
	counted := &countingThrottle{Throttle: s.throttle}
	s.throttle = counted
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { s.Run(runCtx); close(done) }()
	select {
	case <-api.all:
	case <-time.After(10 * time.Second):
		t.Fatalf("sent to %d chats of %d", len(api.sent), chats)
	}
	s.Drain()
	<-done
	stop()
	counted.mu.Lock()
	defer counted.mu.Unlock()
	if counted.calls != 1 || counted.sets[0] != chats {
		t.Errorf("%d throttle calls for %v sends, want one call for the %d claimed together", counted.calls, counted.sets, chats)
	}
	for id, n := range api.sent {
		if n != 1 {
			t.Errorf("chat %d got %d messages, want 1", id, n)
		}
	}
}

// TestReservedTurnWaitsOutA429: a turn reserved before a 429 came is not
// used while the 429's retry_after runs: the entry goes back, unsent,
// until it ends (Telegram counts a call in that time against the bot).
func TestReservedTurnWaitsOutA429(t *testing.T) {
	ctx := t.Context()
	mem := memory.New(nil)
	b := NewBatch("u:1", func(id int64) string { return "chat-" + strconv.FormatInt(id, 10) })
	b.Text(100, tipline.LaneReply, "hello", nil, false)
	if err := mem.OutboxAdd(ctx, b.Entries); err != nil {
		t.Fatal(err)
	}
	api := &texting{sent: map[int64]int{}, all: make(chan struct{}), want: 1}
	s := newTestSender(t, mem, api)
	claimed, err := mem.OutboxClaimLanes(ctx, s.cfg.Owner, time.Minute, 10, tipline.LaneUrgent, tipline.LaneBulk)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claimed %d (%v), want the entry", len(claimed), err)
	}
	s.reserve(ctx, claimed)                            // its turn is taken...
	s.hold(ctx, s.buckets(claimed[0])[1], time.Minute) // ...then another send hears 429
	s.dispatchOne(ctx, claimed[0])
	if len(api.sent) != 0 {
		t.Fatal("sent while the bot's bucket was held after a 429")
	}
	if again, _ := mem.OutboxClaimLanes(ctx, s.cfg.Owner, time.Minute, 10, tipline.LaneUrgent, tipline.LaneBulk); len(again) != 0 {
		t.Fatal("the entry came back at once, before the hold ends")
	}
	if pending, _ := mem.OutboxPending(ctx); pending[tipline.LaneReply] != 1 {
		t.Fatalf("pending %v, want the entry kept", pending)
	}
}

// TestClassifyTellsLostAnswersByType holds classify to the three fates a
// failed send can have, told by the errors' types, not the client
// library's wording: never sent (nobody listens), sent with its answer
// lost (the connection dies before or while the answer comes), and
// refused by Telegram's own failure.
func TestClassifyTellsLostAnswersByType(t *testing.T) {
	cut := func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}
	halfAnswer := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", "1000")
		_, _ = io.WriteString(w, `{"ok":true,"res`)
		w.(http.Flusher).Flush()
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}
	failure := func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"ok":false,"error_code":500,"description":"Internal Server Error"}`)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc // nil: nobody listens
		want    outcome
	}{
		{"nobody listens", nil, notSent},
		{"connection cut before the answer", cut, unknown},
		{"connection cut in the answer", halfAnswer, unknown},
		{"telegram's own failure", failure, failed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := closed.URL
			if tc.handler != nil {
				srv := httptest.NewServer(tc.handler)
				defer srv.Close()
				url = srv.URL
			}
			api, err := tgbot.New("123456:test-token", tgbot.WithServerURL(url), tgbot.WithSkipGetMe(),
				tgbot.WithHTTPClient(5*time.Second, WithLostAnswers(&http.Client{Timeout: 5 * time.Second})))
			if err != nil {
				t.Fatal(err)
			}
			_, err = api.SendMessage(t.Context(), &tgbot.SendMessageParams{ChatID: 1, Text: "x"})
			if err == nil {
				t.Fatal("the send succeeded")
			}
			v := classify(err)
			if v.res != tc.want {
				t.Errorf("classify(%v) = %d, want %d", err, v.res, tc.want)
			}
			if !v.down {
				t.Error("Telegram not said to be down")
			}
		})
	}
}

// A message's form goes to Telegram whole, with its length (one write, not
// a chunk per field); a file larger than smallBody still streams, intact.
func TestSmallRequestsGoWhole(t *testing.T) {
	type seen struct {
		length  int64
		chunked bool
		text    string
		file    []byte
	}
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := seen{length: r.ContentLength, chunked: slices.Contains(r.TransferEncoding, "chunked")}
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			t.Errorf("form: %v", err)
		}
		s.text = r.FormValue("text")
		if f, _, err := r.FormFile("document"); err == nil {
			s.file, _ = io.ReadAll(f)
		}
		got <- s
		_, _ = io.WriteString(w, `{"ok":true,"result":{"message_id":1,"date":0,"chat":{"id":1,"type":"private"}}}`)
	}))
	defer srv.Close()
	api, err := tgbot.New("123456:test-token", tgbot.WithServerURL(srv.URL), tgbot.WithSkipGetMe(),
		tgbot.WithHTTPClient(5*time.Second, WithLostAnswers(&http.Client{Timeout: 5 * time.Second})))
	if err != nil {
		t.Fatal(err)
	}
	text := "សួស្តី " + strings.Repeat("x", 3000)
	if _, err := api.SendMessage(t.Context(), &tgbot.SendMessageParams{ChatID: 1, Text: text}); err != nil {
		t.Fatal(err)
	}
	s := <-got
	if s.chunked || s.length <= 0 || s.text != text {
		t.Errorf("a message went chunked=%v with length %d, text intact %v; want one body with its length", s.chunked, s.length, s.text == text)
	}
	file := make([]byte, 3*smallBody)
	for i := range file {
		file[i] = byte(i * 7)
	}
	if _, err := api.SendDocument(t.Context(), &tgbot.SendDocumentParams{ChatID: 1,
		Document: &models.InputFileUpload{Filename: "f.bin", Data: bytes.NewReader(file)}}); err != nil {
		t.Fatal(err)
	}
	s = <-got
	if !s.chunked || !bytes.Equal(s.file, file) {
		t.Errorf("a large file went chunked=%v, intact %v; want it streamed whole", s.chunked, bytes.Equal(s.file, file))
	}
}
