package telegramemu

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// control calls the control API and decodes the answer into out.
func control(t *testing.T, base, method, path, contentType string, body io.Reader, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, base+"/_emulator/"+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: answer %q is not JSON: %v", method, path, data, err)
		}
	}
	return resp.StatusCode
}

func TestControlAPIRoundTrip(t *testing.T) {
	// The sandbox serves Handler itself.
	s := NewHandlerServer()
	t.Cleanup(s.Close)
	if s.URL() != "" {
		t.Errorf("got URL %q before SetURL, want empty", s.URL())
	}
	web := httptest.NewServer(s.Handler())
	t.Cleanup(web.Close)
	s.SetURL(web.URL)
	base := web.URL
	b := newBot(t, s)
	ctx := testContext(t)

	var errBody struct{ Error string }
	if code := control(t, base, http.MethodPost, "send", "application/json", strings.NewReader(`{"user_id":7,"text":"hi"}`), &errBody); code != http.StatusBadRequest || errBody.Error == "" {
		t.Errorf("send from an unknown user: got %d %q, want 400 with an error", code, errBody.Error)
	}
	if code := control(t, base, http.MethodPost, "users", "application/json", strings.NewReader(`{"id":7,`), &errBody); code != http.StatusBadRequest {
		t.Errorf("bad JSON: got %d, want 400", code)
	}
	if code := control(t, base, http.MethodPost, "users", "application/json", strings.NewReader(`{"id":7,"first_name":"Kanha","username":"kanha","language_code":"km"}`), nil); code != http.StatusOK {
		t.Fatalf("add user: got %d", code)
	}
	var upd struct {
		UpdateID int64 `json:"update_id"`
	}
	if code := control(t, base, http.MethodPost, "send", "application/json", strings.NewReader(`{"user_id":7,"text":"/start"}`), &upd); code != http.StatusOK || upd.UpdateID == 0 {
		t.Fatalf("send: got %d %+v", code, upd)
	}

	var page struct {
		Version  int64 `json:"version"`
		Messages []struct {
			ID       int    `json:"id"`
			FromBot  bool   `json:"from_bot"`
			Text     string `json:"text"`
			Photo    bool   `json:"photo"`
			FileID   string `json:"file_id"`
			Deleted  bool   `json:"deleted"`
			Edited   bool   `json:"edited"`
			Buttons  [][]Button
			Location *models.Location `json:"location"`
		} `json:"messages"`
	}
	if code := control(t, base, http.MethodGet, "messages?chat_id=7", "", nil, &page); code != http.StatusOK || len(page.Messages) != 1 || page.Messages[0].Text != "/start" || page.Messages[0].FromBot {
		t.Fatalf("messages: got %d %+v, want the user's /start", code, page)
	}
	v1 := page.Version

	msg, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: 7, Text: "Choose", ReplyMarkup: &models.InlineKeyboardMarkup{
		InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "Tip", CallbackData: "kind:tip"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if code := control(t, base, http.MethodGet, "messages?chat_id=7&after=1", "", nil, &page); code != http.StatusOK || len(page.Messages) != 1 || !page.Messages[0].FromBot ||
		len(page.Messages[0].Buttons) != 1 || page.Messages[0].Buttons[0][0].Data != "kind:tip" || page.Version <= v1 {
		t.Fatalf("messages after 1: got %+v (version %d, was %d), want the bot's keyboard and a newer version", page.Messages, page.Version, v1)
	}
	if code := control(t, base, http.MethodPost, "press", "application/json", strings.NewReader(`{"user_id":7,"message_id":`+itoa(int64(msg.ID))+`,"data":"kind:tip"}`), &upd); code != http.StatusOK {
		t.Fatalf("press: got %d", code)
	}
	if code := control(t, base, http.MethodPost, "press", "application/json", strings.NewReader(`{"user_id":7,"message_id":`+itoa(int64(msg.ID))+`,"data":"forged"}`), &errBody); code != http.StatusBadRequest {
		t.Errorf("press of a missing button: got %d, want 400", code)
	}
	if code := control(t, base, http.MethodPost, "location", "application/json", strings.NewReader(`{"user_id":7,"lat":13.75,"lon":100.5}`), &upd); code != http.StatusOK {
		t.Fatalf("location: got %d", code)
	}

	img := pngBytes(t, 8, 8)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range map[string]string{"user_id": "7", "caption": "the place"} {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", "place.png")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(img); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	if code := control(t, base, http.MethodPost, "photo", mw.FormDataContentType(), &body, &upd); code != http.StatusOK {
		t.Fatalf("photo: got %d", code)
	}

	if code := control(t, base, http.MethodGet, "messages?chat_id=7", "", nil, &page); code != http.StatusOK || len(page.Messages) != 4 {
		t.Fatalf("messages: got %d %+v, want 4", code, page.Messages)
	}
	photo := page.Messages[3]
	if !photo.Photo || photo.FileID == "" || page.Messages[2].Location == nil || page.Messages[2].Location.Latitude != 13.75 {
		t.Fatalf("got %+v, want the location and the photo", page.Messages)
	}
	resp, err := http.Get(base + "/_emulator/files/" + photo.FileID)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, img) {
		t.Errorf("file: got %d, %d bytes; want the photo", resp.StatusCode, len(got))
	}

	// A page polls cheaply: with version and wait it returns at once when
	// something changed.
	if code := control(t, base, http.MethodGet, "messages?chat_id=7&version=0&wait=5", "", nil, &page); code != http.StatusOK || len(page.Messages) != 4 {
		t.Errorf("waiting poll: got %d with %d messages", code, len(page.Messages))
	}
	wantNoRejections(t, s)
}
