package telegramemu

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestUnknownMethodAndToken(t *testing.T) {
	s := newServer(t)
	status, r := callForm(t, s, "sendMessagez", url.Values{"chat_id": {"1"}})
	wantError(t, status, r, http.StatusNotFound, "Not Found")
	status, r = do(t, http.MethodPost, s.URL()+"/bot999:WRONG/getMe", "", nil)
	wantError(t, status, r, http.StatusUnauthorized, "Unauthorized")
	if got := s.Rejected(); len(got) != 2 || got[0].Method != "sendMessagez" {
		t.Errorf("got rejected %+v, want both calls", got)
	}
	// Method names are case-insensitive, as on Telegram.
	status, r = callForm(t, s, "GETME", nil)
	if status != http.StatusOK || !r.OK {
		t.Errorf("GETME: got %d %s, want the bot", status, r.Description)
	}
}

func TestParameterValidation(t *testing.T) {
	s := newServer(t)
	s.AddUser(alice)
	for _, tc := range []struct {
		name   string
		method string
		form   url.Values
		want   string
	}{
		{"missing chat_id", "sendMessage", url.Values{"text": {"hi"}}, `Bad Request: parameter "chat_id" is required`},
		{"unknown parameter", "sendMessage", url.Values{"chat_id": {"1001"}, "text": {"hi"}, "chatid": {"1"}}, `Bad Request: unknown parameter "chatid"`},
		{"integer", "deleteMessage", url.Values{"chat_id": {"1001"}, "message_id": {"one"}}, `Bad Request: parameter "message_id" must be of type Integer`},
		{"boolean", "sendMessage", url.Values{"chat_id": {"1001"}, "text": {"hi"}, "protect_content": {"yes"}}, `Bad Request: parameter "protect_content" must be of type Boolean`},
		{"float", "sendLocation", url.Values{"chat_id": {"1001"}, "latitude": {"north"}, "longitude": {"1"}}, `Bad Request: parameter "latitude" must be of type Float`},
		{"markup not JSON", "sendMessage", url.Values{"chat_id": {"1001"}, "text": {"hi"}, "reply_markup": {"{inline"}}, `Bad Request: can't parse reply_markup JSON object`},
		{"markup wrong field type", "sendMessage", url.Values{"chat_id": {"1001"}, "text": {"hi"}, "reply_markup": {`{"inline_keyboard":[[{"text":"a","callback_data":5}]]}`}},
			`Bad Request: can't parse reply_markup: field "inline_keyboard[0][0].callback_data" must be of type String`},
		{"markup not nested arrays", "sendMessage", url.Values{"chat_id": {"1001"}, "text": {"hi"}, "reply_markup": {`{"inline_keyboard":[{"text":"a","callback_data":"x"}]}`}},
			`Bad Request: can't parse reply_markup: field "inline_keyboard[0]" must be an Array`},
		{"markup unknown field", "sendMessage", url.Values{"chat_id": {"1001"}, "text": {"hi"}, "reply_markup": {`{"inline_keyboard":[[{"text":"a","callback_data":"x","colour":"red"}]]}`}},
			`Bad Request: can't parse reply_markup: unknown field "inline_keyboard[0][0].colour" in InlineKeyboardButton`},
		{"markup missing required", "sendMessage", url.Values{"chat_id": {"1001"}, "text": {"hi"}, "reply_markup": {`{"inline_keyboard":[[{"callback_data":"x"}]]}`}},
			`Bad Request: can't parse reply_markup: field "inline_keyboard[0][0].text" is required in InlineKeyboardButton`},
		{"remove keyboard must be boolean", "sendMessage", url.Values{"chat_id": {"1001"}, "text": {"hi"}, "reply_markup": {`{"remove_keyboard":"yes"}`}},
			`Bad Request: can't parse reply_markup: field "remove_keyboard" must be of type Boolean`},
		{"button without action", "sendMessage", url.Values{"chat_id": {"1001"}, "text": {"hi"}, "reply_markup": {`{"inline_keyboard":[[{"text":"a"}]]}`}},
			`Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard`},
		{"bad button URL", "sendMessage", url.Values{"chat_id": {"1001"}, "text": {"hi"}, "reply_markup": {`{"inline_keyboard":[[{"text":"a","url":"javascript:alert(1)"}]]}`}},
			`Bad Request: BUTTON_URL_INVALID`},
		{"scope tag", "setMyCommands", url.Values{"commands": {`[{"command":"start","description":"Start"}]`}, "scope": {`{"type":"everyone"}`}},
			`Bad Request: can't parse scope: field "type" has an unsupported value everyone for BotCommandScope`},
		{"scope member fields", "setMyCommands", url.Values{"commands": {`[{"command":"start","description":"Start"}]`}, "scope": {`{"type":"chat"}`}},
			`Bad Request: can't parse scope: field "chat_id" is required in BotCommandScopeChat`},
		{"message_ids array of integers", "deleteMessages", url.Values{"chat_id": {"1001"}, "message_ids": {`[1,"2"]`}},
			`Bad Request: can't parse message_ids: field "[1]" must be of type Integer`},
		{"unknown parse_mode", "sendMessage", url.Values{"chat_id": {"1001"}, "text": {"hi"}, "parse_mode": {"BBCode"}}, `Bad Request: unsupported parse_mode`},
		{"markdownv2 reserved", "sendMessage", url.Values{"chat_id": {"1001"}, "text": {"Case TL-7."}, "parse_mode": {"MarkdownV2"}},
			`Bad Request: can't parse entities: Character '-' is reserved and must be escaped with the preceding '\'`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, r := callForm(t, s, tc.method, tc.form)
			wantError(t, status, r, http.StatusBadRequest, tc.want)
		})
	}
	if got := s.BotMessages(alice.ID); len(got) != 0 {
		t.Errorf("got %d messages from rejected calls, want none", len(got))
	}
}

func TestBodyEncodings(t *testing.T) {
	s := newServer(t)
	s.AddUser(alice)
	status, r := callJSON(t, s, "sendMessage", map[string]any{
		"chat_id": alice.ID, "text": "json", "protect_content": true,
		"reply_markup": map[string]any{"inline_keyboard": [][]map[string]any{{{"text": "A", "callback_data": "a"}}}},
	})
	if status != http.StatusOK || !r.OK {
		t.Fatalf("JSON body: %d %s", status, r.Description)
	}
	status, r = do(t, http.MethodGet, s.URL()+"/bot"+s.Token()+"/sendMessage?chat_id=1001&text=query", "", nil)
	if status != http.StatusOK || !r.OK {
		t.Fatalf("query string: %d %s", status, r.Description)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if err := mw.WriteField("chat_id", "1001"); err != nil {
		t.Fatal(err)
	}
	fw, err := mw.CreateFormFile("document", "notes.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(fw, "notes"); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	status, r = do(t, http.MethodPost, s.URL()+"/bot"+s.Token()+"/sendDocument", mw.FormDataContentType(), &body)
	if status != http.StatusOK || !r.OK {
		t.Fatalf("multipart body: %d %s", status, r.Description)
	}
	got := s.BotMessages(alice.ID)
	if len(got) != 3 || got[0].Text != "json" || !got[0].ProtectContent || len(got[0].Buttons) != 1 || got[1].Text != "query" || !got[2].Document || got[2].FileName != "notes.txt" {
		t.Errorf("got %+v, want the three messages", got)
	}
	calls := s.Calls()
	if p := calls[2].Params["document"]; !strings.Contains(p, "notes.txt") {
		t.Errorf("got recorded document %q, want the upload described", p)
	}
	wantNoRejections(t, s)
}

func TestGeneratedFacts(t *testing.T) {
	params := apiMethods["sendMessage"]
	chatID, ok := fieldOf(params, "chat_id")
	if !ok || !chatID.Required || len(chatID.Types) != 2 || chatID.Types[0] != "Integer" || chatID.Types[1] != "String" {
		t.Errorf("got sendMessage.chat_id %+v, want a required Integer or String", chatID)
	}
	kb, ok := fieldOf(apiTypes["InlineKeyboardMarkup"].Fields, "inline_keyboard")
	if !ok || kb.Types[0] != "Array of Array of InlineKeyboardButton" {
		t.Errorf("got inline_keyboard %+v, want an Array of Array of InlineKeyboardButton", kb)
	}
	if apiVersion == "" || len(apiMethods) < 100 || len(apiTypes) < 200 {
		t.Errorf("got %q with %d methods and %d types, want the whole Bot API", apiVersion, len(apiMethods), len(apiTypes))
	}
}
