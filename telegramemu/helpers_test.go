package telegramemu

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot"
)

var alice = User{ID: 1001, FirstName: "Alice", Username: "alice", LanguageCode: "en"}

// newServer starts an emulator that closes with the test.
func newServer(t *testing.T, opts ...Option) *Server {
	t.Helper()
	s := NewServer(opts...)
	t.Cleanup(s.Close)
	return s
}

// newBot is the real go-telegram/bot client pointed at s.
func newBot(t *testing.T, s *Server, opts ...bot.Option) *bot.Bot {
	t.Helper()
	opts = append([]bot.Option{bot.WithServerURL(s.URL()), bot.WithSkipGetMe()}, opts...)
	b, err := bot.New(s.Token(), opts...)
	if err != nil {
		t.Fatalf("bot.New: %v", err)
	}
	return b
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// rawResponse is a Bot API answer as a test reads it.
type rawResponse struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// callForm calls a method with a url-encoded form and returns the HTTP
// status and the decoded answer.
func callForm(t *testing.T, s *Server, method string, form url.Values) (int, rawResponse) {
	t.Helper()
	return do(t, http.MethodPost, s.URL()+"/bot"+s.Token()+"/"+method, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
}

// callJSON calls a method with a JSON body.
func callJSON(t *testing.T, s *Server, method string, body any) (int, rawResponse) {
	t.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, http.MethodPost, s.URL()+"/bot"+s.Token()+"/"+method, "application/json", bytes.NewReader(data))
}

func do(t *testing.T, method, u, contentType string, body io.Reader) (int, rawResponse) {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var r rawResponse
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("answer is not JSON: %s", data)
	}
	return resp.StatusCode, r
}

// wantError checks a failed answer's status and description.
func wantError(t *testing.T, status int, r rawResponse, wantStatus int, wantDesc string) {
	t.Helper()
	if r.OK || status != wantStatus || r.ErrorCode != wantStatus || r.Description != wantDesc {
		t.Errorf("got %d ok=%v error_code=%d %q, want %d %q", status, r.OK, r.ErrorCode, r.Description, wantStatus, wantDesc)
	}
}

// wantRejectedWith checks that err came from the emulator with desc.
func wantRejectedWith(t *testing.T, err error, desc string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %q", desc)
	}
	if !strings.Contains(err.Error(), desc) {
		t.Fatalf("got error %q, want it to contain %q", err, desc)
	}
}

// wantNoRejections fails the test if the emulator refused any call.
func wantNoRejections(t *testing.T, s *Server) {
	t.Helper()
	for _, c := range s.Rejected() {
		t.Errorf("rejected %s %v: %s", c.Method, c.Params, c.Err)
	}
}

func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
