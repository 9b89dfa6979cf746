package outbox

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage/memory"
)

// TestDirectIsTheLibrary: the three calls Direct posts as JSON ask
// Telegram the same (every field the client library's form sends) and
// fail the same: for every answer Telegram or the way to it may give, the
// sender's verdict is the one it gives through the library, and a message
// sent has the same id.
func TestDirectIsTheLibrary(t *testing.T) {
	cut := func(w http.ResponseWriter) {
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	}
	answers := map[string]func(w http.ResponseWriter){
		"sent": func(w http.ResponseWriter) {
			io.WriteString(w, `{"ok":true,"result":{"message_id":77,"date":1,"chat":{"id":5,"type":"private"},"text":"x"}}`)
		},
		// Read from the answer's first bytes (messageIDOf), or decoded
		// whole when it does not begin as Telegram's do.
		"sent, other order": func(w http.ResponseWriter) {
			io.WriteString(w, `{"result":{"chat":{"id":5,"type":"private"},"message_id":78,"date":1,"text":"x"},"ok":true}`)
		},
		"sent, spaced": func(w http.ResponseWriter) {
			io.WriteString(w, `{ "ok": true, "result": { "message_id": 79, "date": 1, "chat": {"id": 5, "type": "private"}, "text": "x" } }`)
		},
		"answered":        func(w http.ResponseWriter) { io.WriteString(w, `{"ok":true,"result":true}`) },
		"blocked":         failWith(403, `Forbidden: bot was blocked by the user`, ""),
		"chat not found":  failWith(400, `Bad Request: chat not found`, ""),
		"bad request":     failWith(400, `Bad Request: message text is empty`, ""),
		"not modified":    failWith(400, `Bad Request: message is not modified`, ""),
		"migrated":        failWith(400, `Bad Request: group chat was upgraded to a supergroup chat`, `{"migrate_to_chat_id":-1001}`),
		"unauthorized":    failWith(401, `Unauthorized`, ""),
		"not found":       failWith(404, `Not Found`, ""),
		"conflict":        failWith(409, `Conflict`, ""),
		"too many":        failWith(429, `Too Many Requests: retry after 7`, `{"retry_after":7}`),
		"telegram failed": failWith(500, `Internal Server Error`, ""),
		"a proxy's page":  func(w http.ResponseWriter) { w.WriteHeader(502); io.WriteString(w, `<html>Bad Gateway</html>`) },
		"cut":             cut,
		"cut in an answer": func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", "1000")
			io.WriteString(w, `{"ok":true,`)
			w.(http.Flusher).Flush()
			cut(w)
		},
	}
	markup := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "ជម្រើស", CallbackData: "menu:tip~abc"}}}}
	calls := map[string]func(api Telegram) (int, error){
		"sendMessage": func(api Telegram) (int, error) {
			m, err := api.SendMessage(t.Context(), &tgbot.SendMessageParams{ChatID: int64(5), Text: "សួស្តី\n\"hi\"", ProtectContent: true, ReplyMarkup: markup})
			if m != nil {
				return m.ID, err
			}
			return 0, err
		},
		"editMessageText": func(api Telegram) (int, error) {
			m, err := api.EditMessageText(t.Context(), &tgbot.EditMessageTextParams{ChatID: int64(5), MessageID: 9, Text: "x", ReplyMarkup: markup})
			if m != nil {
				return m.ID, err
			}
			return 0, err
		},
		"answerCallbackQuery": func(api Telegram) (int, error) {
			_, err := api.AnswerCallbackQuery(t.Context(), &tgbot.AnswerCallbackQueryParams{CallbackQueryID: "cb1"})
			return 0, err
		},
	}
	for what, answer := range answers {
		for method, call := range calls {
			var asked []map[string]any
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				asked = append(asked, requestFields(t, r))
				if !strings.HasSuffix(r.URL.Path, "/"+method) {
					t.Errorf("%s went to %s", method, r.URL.Path)
				}
				answer(w)
			}))
			client := WithLostAnswers(&http.Client{Timeout: 5 * time.Second})
			lib, err := tgbot.New("123456:test-token", tgbot.WithServerURL(srv.URL), tgbot.WithSkipGetMe(),
				tgbot.WithHTTPClient(5*time.Second, client))
			if err != nil {
				t.Fatal(err)
			}
			direct := NewDirect(lib, client, srv.URL, "123456:test-token")
			libID, libErr := call(lib)
			directID, directErr := call(direct)
			srv.Close()
			if libID != directID || classify(libErr) != classify(directErr) {
				t.Errorf("%s, %s: the library gives id %d, %+v (%v); Direct %d, %+v (%v)", method, what,
					libID, classify(libErr), libErr, directID, classify(directErr), directErr)
			}
			if directErr != nil && strings.Contains(directErr.Error(), "test-token") {
				t.Errorf("%s, %s: the token is in the error: %v", method, what, directErr)
			}
			if len(asked) != 2 || !reflect.DeepEqual(asked[0], asked[1]) {
				t.Errorf("%s, %s: Telegram was asked %v by the library and %v by Direct", method, what, asked[0], asked[1:])
			}
		}
	}
}

func failWith(code int, description, parameters string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.WriteHeader(code)
		p := ""
		if parameters != "" {
			p = `,"parameters":` + parameters
		}
		io.WriteString(w, `{"ok":false,"error_code":`+itoa(code)+`,"description":"`+description+`"`+p+`}`)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// requestFields reads a request's fields, form or JSON, as values: a
// field the form sends as JSON text is read as the JSON it holds.
func requestFields(t *testing.T, r *http.Request) map[string]any {
	t.Helper()
	out := map[string]any{}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if err := json.NewDecoder(r.Body).Decode(&out); err != nil {
			t.Errorf("a JSON request that is not JSON: %v", err)
		}
		return out
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		t.Errorf("a form that is not a form: %v", err)
		return out
	}
	for k, vs := range r.MultipartForm.Value {
		var v any
		if json.Unmarshal([]byte(vs[0]), &v) != nil {
			v = vs[0]
		}
		out[k] = v
	}
	return out
}

// TestMessageIDOf: the id of a message sent is read from the first bytes
// of Telegram's answer; any other answer is left to the whole decode.
func TestMessageIDOf(t *testing.T) {
	for answer, want := range map[string]int{
		`{"ok":true,"result":{"message_id":77,"from":{"id":1},"text":"x"}}`: 77,
		`{"ok":true,"result":{"message_id":12}}`:                            12,
		`{"ok":true,"result":{"message_id":0,"date":1}}`:                    0,
		`{"ok":true,"result":{"message_id":-3,"date":1}}`:                   0,
		`{"ok":true,"result":{"message_id":"77"}}`:                          0,
		`{"ok":true,"result":{"message_id":`:                                0,
		`{"ok":true,"result":true}`:                                         0,
		`{"ok":false,"error_code":400,"description":"Bad Request"}`:         0,
		`{"result":{"message_id":77},"ok":true}`:                            0,
	} {
		id, ok := messageIDOf([]byte(answer))
		if id != want || ok != (want > 0) {
			t.Errorf("messageIDOf(%s) = %d, %v; want %d", answer, id, ok, want)
		}
	}
}

// TestStoredMessagesAskAsTheLibrary: a text message or its edit is posted
// with its text and buttons as the outbox stored them (Direct), and
// Telegram is asked exactly what the client library asks for the same
// entry, field for field, for every form a step queues: buttons or none,
// protected, an edit of a message known when it was queued or later, and
// text that JSON escapes (quotes, new lines, <, & and Khmer).
func TestStoredMessagesAskAsTheLibrary(t *testing.T) {
	rows := [][]models.InlineKeyboardButton{
		{{Text: "ជម្រើស \"១\"", CallbackData: "menu:tip~abc"}, {Text: "<Back> & more", CallbackData: "back~x"}},
		{{Text: "Open", URL: "https://t.me/example"}},
	}
	b := NewBatch("u:1", func(id int64) string { return fmt.Sprint("chat", id) })
	b.Text(11, tipline.LaneReply, "សួស្តី\n\"hi\" <b>&amp;</b>", rows, false)
	b.Text(12, tipline.LaneUrgent, "for the reviewer", nil, true)
	b.Text(13, tipline.LaneReply, "ok", rows[:1], false)
	b.Edit(14, tipline.LaneReply, "", 41, "edited\ttext", rows)
	b.Edit(15, tipline.LaneReply, "u:0:0", 0, "edited later", nil)
	entries := b.Entries
	entries[4].EditOfMessageID = 42 // its message's id, known once it was sent

	var asked []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fields := requestFields(t, r)
		fields["method"] = r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
		asked = append(asked, fields)
		io.WriteString(w, `{"ok":true,"result":{"message_id":77,"date":1,"chat":{"id":5,"type":"private"},"text":"x"}}`)
	}))
	defer srv.Close()
	client := &http.Client{Timeout: 5 * time.Second}
	lib, err := tgbot.New("123456:test-token", tgbot.WithServerURL(srv.URL), tgbot.WithSkipGetMe(), tgbot.WithHTTPClient(5*time.Second, client))
	if err != nil {
		t.Fatal(err)
	}
	direct := newTestSender(t, memory.New(nil), NewDirect(lib, client, srv.URL, "123456:test-token"))
	library := newTestSender(t, memory.New(nil), lib)
	for i, e := range entries {
		for _, s := range []*Sender{direct, library} {
			p, stored, err := s.readPayload(e)
			if err != nil {
				t.Fatalf("entry %d: %v", i, err)
			}
			if (stored != nil) != (s == direct) {
				t.Fatalf("entry %d: stored form read %v, want it for Direct alone", i, stored != nil)
			}
			if id, res, _, reason := s.callTelegram(t.Context(), e, p, stored); res != sentOK || (e.Method == MethodSend && id != 77) {
				t.Fatalf("entry %d: %v %q, message %d", i, res, reason, id)
			}
		}
		if len(asked) != 2*(i+1) {
			t.Fatalf("entry %d: %d calls made, want 2", i, len(asked)-2*i)
		}
		if got, want := asked[2*i], asked[2*i+1]; !reflect.DeepEqual(got, want) {
			t.Errorf("entry %d (%s): Direct asked %v, the library %v", i, e.Method, got, want)
		}
	}
	// Field for field, as the library sends them (the forms differ).
	if asked[0]["reply_markup"] == nil || asked[2]["protect_content"] != true || asked[6]["message_id"] != float64(41) || asked[8]["message_id"] != float64(42) {
		t.Fatalf("what was asked lacks what the entries hold: %v", asked)
	}
}
