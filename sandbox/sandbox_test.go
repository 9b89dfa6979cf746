package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/tipline/tipline/telegramemu"
)

// get serves one request through h and returns the status, Content-Type and
// body.
func get(t *testing.T, h http.Handler, method, target string) (int, string, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	res := rec.Result()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read %s: %v", target, err)
	}
	return res.StatusCode, res.Header.Get("Content-Type"), string(body)
}

func TestPageServesPanelSkeleton(t *testing.T) {
	status, ctype, body := get(t, Page(), http.MethodGet, "/")
	if status != http.StatusOK {
		t.Fatalf("GET /: got status %d, want 200", status)
	}
	if !strings.HasPrefix(ctype, "text/html") {
		t.Errorf("GET /: got Content-Type %q, want text/html", ctype)
	}
	for _, want := range []string{
		`<meta charset="utf-8">`,
		`src="app.js"`,
		`href="style.css"`,
		`id="phones"`,
		`<template id="panel-template">`,
		`class="messages"`,
		`class="composer"`,
		`class="quick-start"`,
		`class="attach-menu"`,
		`class="user-select"`,
		`class="lang-select"`,
		`<option value="km">`,
		`<option value="th">`,
		`<option value="en">`,
		`<option value="">none</option>`,
		`class="error"`,
		`class="control lang-control"`,
		`class="quick-commands"`,
		`id="cases"`,
		`class="case-list"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("GET /: page lacks %s", want)
		}
	}
}

func TestPageServesAssets(t *testing.T) {
	tests := []struct {
		name, path, ctype, contains string
	}{
		{"script", "/app.js", "text/javascript", "class PhonePanel"},
		{"style", "/style.css", "text/css", `"Noto Sans Khmer", "Khmer OS", "Noto Sans Thai", "Leelawadee UI", "Tahoma", system-ui, sans-serif`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, ctype, body := get(t, Page(), http.MethodGet, tt.path)
			if status != http.StatusOK {
				t.Fatalf("GET %s: got status %d, want 200", tt.path, status)
			}
			if !strings.HasPrefix(ctype, tt.ctype) {
				t.Errorf("GET %s: got Content-Type %q, want %s", tt.path, ctype, tt.ctype)
			}
			if !strings.Contains(body, tt.contains) {
				t.Errorf("GET %s: body lacks %q", tt.path, tt.contains)
			}
		})
	}
}

func TestPageRefusesOtherPathsAndMethods(t *testing.T) {
	tests := []struct {
		name, method, path string
		want               int
	}{
		{"unknown file", http.MethodGet, "/nope.js", http.StatusNotFound},
		{"post", http.MethodPost, "/", http.StatusMethodNotAllowed},
		{"head", http.MethodHead, "/", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, _ := get(t, Page(), tt.method, tt.path)
			if status != tt.want {
				t.Errorf("%s %s: got status %d, want %d", tt.method, tt.path, status, tt.want)
			}
		})
	}
}

func TestPageKeepsToItsOrigin(t *testing.T) {
	rec := httptest.NewRecorder()
	Page().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("got Content-Security-Policy %q, want default-src 'self'", csp)
	}
	// No CDN and no absolute URL of any kind: the sandbox runs offline.
	for _, name := range []string{"index.html", "app.js", "style.css"} {
		b, err := static.ReadFile("static/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "://") {
			t.Errorf("%s refers to another origin (contains \"://\")", name)
		}
	}
}

// TestScriptBuildsNoMarkupFromStrings guards against message text (written
// by anyone who talks to the bot) being parsed as HTML.
func TestScriptBuildsNoMarkupFromStrings(t *testing.T) {
	b, err := static.ReadFile("static/app.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "createContextualFragment", "eval("} {
		if strings.Contains(string(b), sink) {
			t.Errorf("app.js uses %s; build elements and set textContent instead", sink)
		}
	}
}

// TestScriptUsesTheControlAPI ties the page to the emulator's control API
// contract, so a renamed endpoint shows up here and not only in a browser.
func TestScriptUsesTheControlAPI(t *testing.T) {
	b, err := static.ReadFile("static/app.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		`"/_emulator/users"`,
		`"/_emulator/send"`,
		`"/_emulator/press"`,
		`"/_emulator/location"`,
		`"/_emulator/photo"`,
		`"/_emulator/voice"`,
		"`/_emulator/messages?chat_id=",
		"`/_emulator/files/",
	} {
		if !strings.Contains(string(b), path) {
			t.Errorf("app.js does not call %s", path)
		}
	}
	places := regexp.MustCompile(`name: "([^"]+)", lat: ([0-9.]+), lon: ([0-9.]+)`).FindAllStringSubmatch(string(b), -1)
	if len(places) != 4 {
		t.Errorf("got %d sample places, want 4", len(places))
	}
}

// TestScriptShowsTheReviewerPhone ties the page to the reviewer that
// `tipline sandbox` seeds (cmd/tipline/sandbox.go): Telegram user 2001,
// "Sandbox reviewer", language en, on a fixed phone beside the reporter's.
func TestScriptShowsTheReviewerPhone(t *testing.T) {
	b, err := static.ReadFile("static/app.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`const SANDBOX_REVIEWER = { id: 2001, firstName: "Sandbox reviewer", languageCode: "en" };`,
		`title: "Reviewer (on call)"`,
		`role: "reviewer"`,
		`fixed: true`,
		`quickCommands: ["/queue", "/oncall"]`,
		// Tests find buttons by their action; the bot signs it as ACTION~MAC.
		`button.dataset.action = actionOf(String(data));`,
		`const i = data.lastIndexOf("~");`,
		`lock.dataset.testid = "protected";`,
		"class CaseTrail",
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("app.js lacks %s", want)
		}
	}
}

// TestStyleHidesHiddenAndStacks: the hidden attribute must win over the
// display of the page's classes (the attachment sheet, the reviewer's
// missing controls), and the phones stack on narrow screens.
func TestStyleHidesHiddenAndStacks(t *testing.T) {
	b, err := static.ReadFile("static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	css := string(b)
	for _, want := range []string{
		"[hidden] { display: none !important; }",
		"@media (max-width: 720px)",
		"flex-direction: column;",
		`.panel[data-role="reviewer"] .chat-head`,
		".msg.in-focus",
	} {
		if !strings.Contains(css, want) {
			t.Errorf("style.css lacks %s", want)
		}
	}
}

func TestMountRoutes(t *testing.T) {
	emulator := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		if _, err := io.WriteString(w, "emulator "+r.URL.Path); err != nil {
			t.Errorf("fake emulator: %v", err)
		}
	})
	mux := http.NewServeMux()
	Mount(mux, emulator)

	tests := []struct {
		name, path string
		emulator   bool
	}{
		{"messages", "/_emulator/messages?chat_id=1001", true},
		{"file from control API", "/_emulator/files/AgAD1", true},
		{"bot API", "/bot123456:TEST-TOKEN/getUpdates", true},
		{"file download", "/file/bot123456:TEST-TOKEN/photos/file_1.jpg", true},
		{"page", "/", false},
		{"script", "/app.js", false},
		{"style", "/style.css", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := get(t, mux, http.MethodGet, tt.path)
			if status != http.StatusOK {
				t.Fatalf("GET %s: got status %d, want 200", tt.path, status)
			}
			gotEmulator := strings.HasPrefix(body, "emulator ")
			if gotEmulator != tt.emulator {
				t.Errorf("GET %s: served by emulator %v, want %v (body %.40q)", tt.path, gotEmulator, tt.emulator, body)
			}
		})
	}

	// A POST to the control API reaches the emulator too (the page handler
	// would refuse it).
	status, _, body := get(t, mux, http.MethodPost, "/_emulator/send")
	if status != http.StatusOK || body != "emulator /_emulator/send" {
		t.Errorf("POST /_emulator/send: got %d %q, want 200 from the emulator", status, body)
	}
}

// TestPageContractWithEmulator makes, against the real emulator mounted with
// Mount, the calls app.js makes with the bodies it sends, and reads back the
// fields it renders.
func TestPageContractWithEmulator(t *testing.T) {
	emu := telegramemu.NewHandlerServer()
	t.Cleanup(emu.Close)
	mux := http.NewServeMux()
	Mount(mux, emu.Handler())
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	emu.SetURL(ts.URL)

	post := func(path, contentType string, body io.Reader) {
		t.Helper()
		res, err := http.Post(ts.URL+path, contentType, body)
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b, err := io.ReadAll(res.Body)
			t.Fatalf("POST %s: got %d %s (%v), want 200", path, res.StatusCode, b, err)
		}
	}
	postJSON := func(path string, v any) {
		t.Helper()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		post(path, "application/json", bytes.NewReader(b))
	}

	postJSON("/_emulator/users", map[string]any{"id": 1001, "first_name": "Sandbox reporter", "username": "sandbox_1001", "language_code": "km"})
	postJSON("/_emulator/send", map[string]any{"user_id": 1001, "text": "/start"})
	postJSON("/bot"+emu.Token()+"/sendMessage", map[string]any{
		"chat_id":    1001,
		"text":       "<b>ជំរាបសួរ</b> & welcome",
		"parse_mode": "HTML",
		"reply_markup": map[string]any{"inline_keyboard": [][]map[string]string{
			{{"text": "Report", "callback_data": "r1"}},
			{{"text": "Help", "url": "https://example.org/help"}},
		}},
	})
	postJSON("/_emulator/location", map[string]any{"user_id": 1001, "lat": 11.5696, "lon": 104.921})

	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	for name, value := range map[string]string{"user_id": "1001", "seconds": "3"} {
		if err := mw.WriteField(name, value); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", "fake-voice.ogg")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write([]byte("OggS\x00\x02fake")); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	post("/_emulator/voice", mw.FormDataContentType(), &form)

	res, err := http.Get(ts.URL + "/_emulator/messages?chat_id=1001")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var got struct {
		Version  *int64 `json:"version"`
		Messages []struct {
			ID       int    `json:"id"`
			FromBot  bool   `json:"from_bot"`
			Text     string `json:"text"`
			Voice    bool   `json:"voice"`
			FileID   string `json:"file_id"`
			Entities []struct {
				Type   string `json:"type"`
				Offset int    `json:"offset"`
				Length int    `json:"length"`
			} `json:"entities"`
			Buttons [][]struct {
				Text string `json:"text"`
				Data string `json:"data"`
				URL  string `json:"url"`
			} `json:"buttons"`
			Location *struct {
				Latitude  float64 `json:"latitude"`
				Longitude float64 `json:"longitude"`
			} `json:"location"`
			Date string `json:"date"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(res.Body).Decode(&got); err != nil {
		t.Fatalf("decode messages: %v", err)
	}
	if got.Version == nil {
		t.Error("messages answer has no version")
	}
	if len(got.Messages) != 4 {
		t.Fatalf("got %d messages, want 4 (start, bot reply, location, voice)", len(got.Messages))
	}
	start, reply, place, voice := got.Messages[0], got.Messages[1], got.Messages[2], got.Messages[3]
	if start.FromBot || start.Text != "/start" {
		t.Errorf("got first message from_bot=%v %q, want the reporter's /start", start.FromBot, start.Text)
	}
	if !reply.FromBot || reply.Text != "ជំរាបសួរ & welcome" {
		t.Errorf("got reply from_bot=%v %q, want the bot's text without markup", reply.FromBot, reply.Text)
	}
	if len(reply.Entities) != 1 || reply.Entities[0].Type != "bold" || reply.Entities[0].Length != len([]rune("ជំរាបសួរ")) {
		t.Errorf("got entities %+v, want one bold over the Khmer word", reply.Entities)
	}
	if len(reply.Buttons) != 2 || reply.Buttons[0][0].Data != "r1" || reply.Buttons[1][0].URL != "https://example.org/help" {
		t.Errorf("got buttons %+v, want a callback row and a URL row", reply.Buttons)
	}
	if place.Location == nil || place.Location.Latitude != 11.5696 || place.Location.Longitude != 104.921 {
		t.Errorf("got location %+v, want 11.5696, 104.921", place.Location)
	}
	if !voice.Voice || voice.FileID == "" {
		t.Errorf("got voice=%v file_id=%q, want a voice note with a file id", voice.Voice, voice.FileID)
	}
	if reply.Date == "" {
		t.Error("bot reply has no date")
	}

	postJSON("/_emulator/press", map[string]any{"user_id": 1001, "message_id": reply.ID, "data": "r1"})

	status, _, body := get(t, mux, http.MethodGet, "/_emulator/files/"+voice.FileID)
	if status != http.StatusOK || body != "OggS\x00\x02fake" {
		t.Errorf("GET voice file: got %d %q, want the uploaded bytes", status, body)
	}
}
