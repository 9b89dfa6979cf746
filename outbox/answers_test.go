package outbox

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
)

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
