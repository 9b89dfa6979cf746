package telegramemu

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline/internal/testclock"
)

func TestSendMessageWithInlineKeyboard(t *testing.T) {
	s := newServer(t)
	s.AddUser(alice)
	b := newBot(t, s)
	ctx := testContext(t)

	// go-telegram/bot sends every button with "copy_text":{"text":""}; the
	// emulator must accept that beside a real action.
	msg, err := b.SendMessage(ctx, &bot.SendMessageParams{
		ChatID: alice.ID,
		Text:   "Choose",
		ReplyMarkup: &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{
			{{Text: "Yes", CallbackData: "y"}, {Text: "No", CallbackData: "n"}},
			{{Text: "Help", URL: "https://example.org/help"}},
		}},
		ProtectContent: true,
	})
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	if msg.ID != 1 || msg.Chat.ID != alice.ID || msg.Text != "Choose" || msg.From == nil || !msg.From.IsBot {
		t.Errorf("got message %+v, want id 1 from the bot in Alice's chat", msg)
	}
	got := s.BotMessages(alice.ID)
	if len(got) != 1 {
		t.Fatalf("got %d bot messages, want 1", len(got))
	}
	want := [][]Button{{{Text: "Yes", Data: "y"}, {Text: "No", Data: "n"}}, {{Text: "Help", URL: "https://example.org/help"}}}
	if !equalButtons(got[0].Buttons, want) {
		t.Errorf("got buttons %+v, want %+v", got[0].Buttons, want)
	}
	if !got[0].ProtectContent || !got[0].FromBot || got[0].Text != "Choose" {
		t.Errorf("got %+v, want a protected bot text", got[0])
	}
	if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: alice.ID, Text: "Done", ReplyMarkup: &models.ReplyKeyboardRemove{RemoveKeyboard: true}}); err != nil {
		t.Errorf("SendMessage removing the keyboard: %v", err)
	}
	wantNoRejections(t, s)
}

func equalButtons(a, b [][]Button) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}

func TestMessageIDsAreSharedByBothSides(t *testing.T) {
	s := newServer(t)
	b := newBot(t, s)
	ctx := testContext(t)
	s.SendText(alice, "/start")
	msg, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: alice.ID, Text: "Welcome"})
	if err != nil {
		t.Fatal(err)
	}
	s.SendText(alice, "hi")
	all := s.Messages(alice.ID)
	if len(all) != 3 || msg.ID != 2 || all[0].ID != 1 || all[1].ID != 2 || all[2].ID != 3 || all[0].FromBot || !all[1].FromBot {
		t.Errorf("got %+v (bot id %d), want ids 1,2,3 with the bot's in the middle", all, msg.ID)
	}
}

func TestEditMessageText(t *testing.T) {
	s := newServer(t)
	s.AddUser(alice)
	b := newBot(t, s)
	ctx := testContext(t)
	kb := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "OK", CallbackData: "ok"}}}}
	msg, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: alice.ID, Text: "Draft", ReplyMarkup: kb})
	if err != nil {
		t.Fatal(err)
	}

	edited, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: alice.ID, MessageID: msg.ID, Text: "Final", ReplyMarkup: kb})
	if err != nil {
		t.Fatalf("EditMessageText: %v", err)
	}
	if edited.Text != "Final" || edited.EditDate == 0 {
		t.Errorf("got %+v, want the edited text with an edit date", edited)
	}
	got := s.BotMessages(alice.ID)[0]
	if got.Text != "Final" || !got.Edited || len(got.Buttons) != 1 {
		t.Errorf("got %+v, want Final, edited, keyboard kept", got)
	}

	_, err = b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: alice.ID, MessageID: msg.ID, Text: "Final", ReplyMarkup: kb})
	wantRejectedWith(t, err, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")

	// Without reply_markup the keyboard goes: that is a modification.
	if _, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: alice.ID, MessageID: msg.ID, Text: "Final"}); err != nil {
		t.Fatalf("removing the keyboard: %v", err)
	}
	if got := s.BotMessages(alice.ID)[0]; len(got.Buttons) != 0 {
		t.Errorf("got buttons %+v after an edit without reply_markup, want none", got.Buttons)
	}

	_, err = b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: alice.ID, MessageID: 99, Text: "x"})
	wantRejectedWith(t, err, "Bad Request: message to edit not found")

	_, err = b.EditMessageReplyMarkup(ctx, &bot.EditMessageReplyMarkupParams{ChatID: alice.ID, MessageID: msg.ID, ReplyMarkup: kb})
	if err != nil {
		t.Fatalf("EditMessageReplyMarkup: %v", err)
	}
	if got := s.BotMessages(alice.ID)[0]; len(got.Buttons) != 1 || got.Buttons[0][0].Data != "ok" {
		t.Errorf("got buttons %+v, want the keyboard back", got.Buttons)
	}
}

func TestDeleteMessage(t *testing.T) {
	clock := testclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	s := newServer(t, WithClock(clock.Now))
	s.AddUser(alice)
	b := newBot(t, s)
	ctx := testContext(t)
	msg, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: alice.ID, Text: "Secret"})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := b.DeleteMessage(ctx, &bot.DeleteMessageParams{ChatID: alice.ID, MessageID: msg.ID}); err != nil || !ok {
		t.Fatalf("DeleteMessage: %v, %v", ok, err)
	}
	if got := s.BotMessages(alice.ID); len(got) != 0 {
		t.Errorf("got %d bot messages after delete, want 0", len(got))
	}
	if all := s.Messages(alice.ID); len(all) != 1 || !all[0].Deleted {
		t.Errorf("got %+v, want the message kept and flagged deleted", all)
	}
	_, err = b.DeleteMessage(ctx, &bot.DeleteMessageParams{ChatID: alice.ID, MessageID: msg.ID})
	wantRejectedWith(t, err, "Bad Request: message to delete not found")

	old, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: alice.ID, Text: "Old"})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(48*time.Hour + time.Minute)
	_, err = b.DeleteMessage(ctx, &bot.DeleteMessageParams{ChatID: alice.ID, MessageID: old.ID})
	wantRejectedWith(t, err, "Bad Request: message can't be deleted for everyone")

	fresh, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: alice.ID, Text: "Fresh"})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := b.DeleteMessages(ctx, &bot.DeleteMessagesParams{ChatID: alice.ID, MessageIDs: []int{fresh.ID, old.ID, 77}}); err != nil || !ok {
		t.Fatalf("DeleteMessages: %v, %v", ok, err)
	}
	if got := s.BotMessages(alice.ID); len(got) != 1 || got[0].ID != old.ID {
		t.Errorf("got %+v, want only the old message left", got)
	}
	_, err = b.DeleteMessages(ctx, &bot.DeleteMessagesParams{ChatID: alice.ID, MessageIDs: make([]int, 101)})
	wantRejectedWith(t, err, "Bad Request: too many messages to delete")
}

func TestSendPhotoUploadGetFileAndDownload(t *testing.T) {
	s := newServer(t)
	s.AddUser(alice)
	b := newBot(t, s)
	ctx := testContext(t)
	img := pngBytes(t, 40, 30)

	msg, err := b.SendPhoto(ctx, &bot.SendPhotoParams{
		ChatID:  alice.ID,
		Photo:   &models.InputFileUpload{Filename: "map.png", Data: bytes.NewReader(img)},
		Caption: "Where it happened",
	})
	if err != nil {
		t.Fatalf("SendPhoto: %v", err)
	}
	if len(msg.Photo) == 0 || msg.Caption != "Where it happened" {
		t.Fatalf("got %+v, want a photo with its caption", msg)
	}
	largest := msg.Photo[len(msg.Photo)-1]
	if largest.Width != 40 || largest.Height != 30 {
		t.Errorf("got %dx%d, want the image's 40x30", largest.Width, largest.Height)
	}
	if got := s.BotMessages(alice.ID)[0]; !got.Photo || got.FileID != largest.FileID {
		t.Errorf("got %+v, want a photo message with file %s", got, largest.FileID)
	}

	f, err := b.GetFile(ctx, &bot.GetFileParams{FileID: largest.FileID})
	if err != nil {
		t.Fatalf("GetFile: %v", err)
	}
	resp, err := http.Get(b.FileDownloadLink(f))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, img) {
		t.Errorf("download got %d and %d bytes, want 200 and the %d uploaded bytes", resp.StatusCode, len(got), len(img))
	}
	if stored, ok := s.FileBytes(largest.FileID); !ok || !bytes.Equal(stored, img) {
		t.Errorf("FileBytes got %d bytes, %v; want the upload", len(stored), ok)
	}

	// Re-sending by file_id works; bytes that are no image do not.
	if _, err := b.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: alice.ID, Photo: &models.InputFileString{Data: largest.FileID}}); err != nil {
		t.Errorf("SendPhoto by file_id: %v", err)
	}
	_, err = b.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: alice.ID, Photo: &models.InputFileUpload{Filename: "x.jpg", Data: strings.NewReader("not an image")}})
	wantRejectedWith(t, err, "Bad Request: IMAGE_PROCESS_FAILED")
	_, err = b.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: alice.ID, Photo: &models.InputFileString{Data: "no-such-file"}})
	wantRejectedWith(t, err, "Bad Request: wrong file identifier/HTTP URL specified")
	_, err = b.GetFile(ctx, &bot.GetFileParams{FileID: "no-such-file"})
	wantRejectedWith(t, err, "Bad Request: invalid file_id")
}

func TestUserMediaReachesTheBotAsFiles(t *testing.T) {
	s := newServer(t)
	b := newBot(t, s)
	ctx := testContext(t)
	s.SendPhoto(alice, []byte("jpeg bytes"), "look")
	s.SendVoice(alice, []byte("ogg bytes"), 7)
	s.SendDocument(alice, "report.pdf", []byte("%PDF"))
	s.SendLocation(alice, 11.55, 104.92)
	s.SendSticker(alice)
	all := s.Messages(alice.ID)
	if len(all) != 5 || !all[0].Photo || all[0].Caption != "look" || !all[1].Voice || !all[2].Document || all[2].FileName != "report.pdf" || all[3].Location == nil || !all[4].Sticker {
		t.Fatalf("got %+v, want photo, voice, document, location, sticker", all)
	}
	data, ok := s.FileBytes(all[1].FileID)
	if !ok || string(data) != "ogg bytes" {
		t.Errorf("got %q, %v; want the voice bytes", data, ok)
	}
	// The bot can fetch what the user sent, and forward the voice by id.
	f, err := b.GetFile(ctx, &bot.GetFileParams{FileID: all[1].FileID})
	if err != nil || f.FileSize != int64(len("ogg bytes")) {
		t.Fatalf("GetFile: %+v, %v", f, err)
	}
	if _, err := b.SendVoice(ctx, &bot.SendVoiceParams{ChatID: alice.ID, Voice: &models.InputFileString{Data: all[1].FileID}}); err != nil {
		t.Errorf("SendVoice by file_id: %v", err)
	}
	_, err = b.SendDocument(ctx, &bot.SendDocumentParams{ChatID: alice.ID, Document: &models.InputFileString{Data: all[1].FileID}})
	wantRejectedWith(t, err, "Bad Request: can't use file of type Voice as Document")
}

func TestTextLimits(t *testing.T) {
	s := newServer(t)
	s.AddUser(alice)
	b := newBot(t, s)
	ctx := testContext(t)
	send := func(text string, mode models.ParseMode) error {
		_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: alice.ID, Text: text, ParseMode: mode})
		return err
	}
	if err := send(strings.Repeat("a", 4096), ""); err != nil {
		t.Errorf("4096 characters: %v", err)
	}
	wantRejectedWith(t, send(strings.Repeat("a", 4097), ""), "Bad Request: message is too long")
	// An emoji outside the BMP is two UTF-16 code units, as Telegram counts.
	if err := send(strings.Repeat("😀", 2048), ""); err != nil {
		t.Errorf("2048 emoji: %v", err)
	}
	wantRejectedWith(t, send(strings.Repeat("😀", 2049), ""), "Bad Request: message is too long")
	// Thai is one unit per character whatever its bytes.
	if err := send(strings.Repeat("ก", 4096), ""); err != nil {
		t.Errorf("4096 Thai characters: %v", err)
	}
	wantRejectedWith(t, send("  \n ", ""), "Bad Request: message text is empty")
	// HTML counts after tags are stripped and entities unescaped.
	if err := send("<b>"+strings.Repeat("&lt;", 4096)+"</b>", models.ParseModeHTML); err != nil {
		t.Errorf("4096 characters in HTML: %v", err)
	}
	wantRejectedWith(t, send("<b>"+strings.Repeat("&amp;", 4097)+"</b>", models.ParseModeHTML), "Bad Request: message is too long")

	_, err := b.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: alice.ID, Photo: &models.InputFileUpload{Filename: "p.png", Data: bytes.NewReader(pngBytes(t, 2, 2))}, Caption: strings.Repeat("c", 1025)})
	wantRejectedWith(t, err, "Bad Request: message caption is too long")
}

func TestHTMLParseMode(t *testing.T) {
	s := newServer(t)
	s.AddUser(alice)
	b := newBot(t, s)
	ctx := testContext(t)
	msg, err := b.SendMessage(ctx, &bot.SendMessageParams{
		ChatID: alice.ID, ParseMode: models.ParseModeHTML,
		Text: `Case <b>TL-7</b> &amp; <a href="https://example.org/?a=1&amp;b=2">link</a> 😀 <i>x</i>`,
	})
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	if msg.Text != "Case TL-7 & link 😀 x" {
		t.Errorf("got text %q, want the tags stripped and &amp; unescaped", msg.Text)
	}
	want := []models.MessageEntity{
		{Type: models.MessageEntityTypeBold, Offset: 5, Length: 4},
		{Type: models.MessageEntityTypeTextLink, Offset: 12, Length: 4, URL: "https://example.org/?a=1&b=2"},
		{Type: models.MessageEntityTypeItalic, Offset: 20, Length: 1},
	}
	if len(msg.Entities) != len(want) {
		t.Fatalf("got entities %+v, want %+v", msg.Entities, want)
	}
	for i := range want {
		if msg.Entities[i] != want[i] {
			t.Errorf("entity %d: got %+v, want %+v", i, msg.Entities[i], want[i])
		}
	}
	for _, tc := range []struct{ name, text, want string }{
		{"unclosed", "<b>bold", `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "b"`},
		{"misnested", "<b><i>x</b></i>", `Bad Request: can't parse entities: Unmatched end tag at byte offset 7, expected "</i>", found "</b>"`},
		{"unknown tag", "line<br>next", `Bad Request: can't parse entities: Unsupported start tag "br" at byte offset 4`},
		{"bare less-than", "1 < 2", `Bad Request: can't parse entities: Unsupported start tag "" at byte offset 2`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: alice.ID, Text: tc.text, ParseMode: models.ParseModeHTML})
			wantRejectedWith(t, err, tc.want)
		})
	}
}

func TestCallbackDataLimits(t *testing.T) {
	s := newServer(t)
	s.AddUser(alice)
	b := newBot(t, s)
	ctx := testContext(t)
	send := func(data string) error {
		_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: alice.ID, Text: "x", ReplyMarkup: &models.InlineKeyboardMarkup{
			InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "b", CallbackData: data}}},
		}})
		return err
	}
	if err := send(strings.Repeat("d", 64)); err != nil {
		t.Errorf("64 bytes: %v", err)
	}
	wantRejectedWith(t, send(strings.Repeat("d", 65)), "Bad Request: BUTTON_DATA_INVALID")
	// 22 Thai characters are 66 bytes: the limit is in bytes.
	wantRejectedWith(t, send(strings.Repeat("ก", 22)), "Bad Request: BUTTON_DATA_INVALID")
	wantRejectedWith(t, send(""), "Bad Request: BUTTON_DATA_INVALID")
}

func TestSendToUserWhoNeverWrote(t *testing.T) {
	s := newServer(t)
	b := newBot(t, s)
	ctx := testContext(t)
	_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: 4242, Text: "hello"})
	if !errors.Is(err, bot.ErrorForbidden) {
		t.Fatalf("got %v, want bot.ErrorForbidden", err)
	}
	wantRejectedWith(t, err, "Forbidden: bot can't initiate conversation with a user")
	if len(s.Rejected()) != 1 {
		t.Errorf("got %d rejected calls, want 1", len(s.Rejected()))
	}
	// Once the user writes, the bot may answer.
	s.SendText(User{ID: 4242, FirstName: "Dara"}, "/start")
	if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: 4242, Text: "hello"}); err != nil {
		t.Errorf("after the user wrote: %v", err)
	}
}

func TestInjectFaultTooManyRequests(t *testing.T) {
	s := newServer(t)
	s.AddUser(alice)
	b := newBot(t, s)
	ctx := testContext(t)
	s.InjectFault("sendMessage", 1, Fault{Code: http.StatusTooManyRequests, RetryAfter: 7})

	_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: alice.ID, Text: "one"})
	var tooMany *bot.TooManyRequestsError
	if !errors.As(err, &tooMany) || tooMany.RetryAfter != 7 {
		t.Fatalf("got %v, want *bot.TooManyRequestsError with RetryAfter 7", err)
	}
	if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: alice.ID, Text: "two"}); err != nil {
		t.Fatalf("after the fault: %v", err)
	}
	if got := s.BotMessages(alice.ID); len(got) != 1 || got[0].Text != "two" {
		t.Errorf("got %+v, want only the second message delivered", got)
	}
	calls := s.Calls()
	if len(calls) != 2 || !calls[0].Injected || calls[0].Err != "Too Many Requests: retry after 7" {
		t.Errorf("got calls %+v, want the first injected", calls)
	}
	wantNoRejections(t, s)

	s.InjectFault("", 1, Fault{Code: http.StatusInternalServerError})
	_, err = b.SendMessage(ctx, &bot.SendMessageParams{ChatID: alice.ID, Text: "three"})
	wantRejectedWith(t, err, "500 Internal Server Error")

	// A delay without a code slows the call down and then answers it.
	s.InjectFault("sendMessage", 1, Fault{Delay: 100 * time.Millisecond})
	start := time.Now()
	if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: alice.ID, Text: "slow"}); err != nil {
		t.Fatalf("delayed call: %v", err)
	}
	if elapsed := time.Since(start); elapsed < 100*time.Millisecond {
		t.Errorf("delayed call took %v, want at least 100ms", elapsed)
	}
	if got := s.BotMessages(alice.ID); len(got) != 2 || got[1].Text != "slow" {
		t.Errorf("got %+v, want the delayed message delivered", got)
	}
}

func TestAnswerCallbackQuery(t *testing.T) {
	s := newServer(t)
	b := newBot(t, s)
	ctx := testContext(t)
	s.SendText(alice, "/start")
	msg, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: alice.ID, Text: "Sure?", ReplyMarkup: &models.InlineKeyboardMarkup{
		InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "Yes", CallbackData: "yes"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PressButton(alice, msg.ID, "no"); !errors.Is(err, ErrNoButton) {
		t.Errorf("pressing a missing button: got %v, want ErrNoButton", err)
	}
	if _, err := s.PressButton(alice, 99, "yes"); !errors.Is(err, ErrNoButton) {
		t.Errorf("pressing on a missing message: got %v, want ErrNoButton", err)
	}
	id, err := s.PressButton(alice, msg.ID, "yes")
	if err != nil {
		t.Fatal(err)
	}
	upds := poll(t, s, 0, 0)
	last := upds[len(upds)-1]
	if last.ID != id || last.CallbackQuery == nil || last.CallbackQuery.Data != "yes" || last.CallbackQuery.Message.Message == nil || last.CallbackQuery.Message.Message.ID != msg.ID {
		t.Fatalf("got %+v, want the callback query on message %d", last, msg.ID)
	}
	qid := last.CallbackQuery.ID
	if ok, err := b.AnswerCallbackQuery(ctx, &bot.AnswerCallbackQueryParams{CallbackQueryID: qid, Text: "Noted"}); err != nil || !ok {
		t.Fatalf("AnswerCallbackQuery: %v, %v", ok, err)
	}
	if got := s.CallbackAnswers(); len(got) != 1 || got[0].QueryID != qid || got[0].Text != "Noted" || got[0].ShowAlert || got[0].Latency <= 0 {
		t.Errorf("got answers %+v, want one for %s", got, qid)
	}
	const tooOld = "Bad Request: query is too old and response timeout expired or query ID is invalid"
	_, err = b.AnswerCallbackQuery(ctx, &bot.AnswerCallbackQueryParams{CallbackQueryID: qid})
	wantRejectedWith(t, err, tooOld)
	_, err = b.AnswerCallbackQuery(ctx, &bot.AnswerCallbackQueryParams{CallbackQueryID: "123"})
	wantRejectedWith(t, err, tooOld)

	// A forged press on a message that does not exist still arrives.
	s.PressRaw(alice, 500, "forged")
	upds = poll(t, s, 0, 0)
	cq := upds[len(upds)-1].CallbackQuery
	if cq == nil || cq.Data != "forged" || cq.Message.InaccessibleMessage == nil || cq.Message.InaccessibleMessage.MessageID != 500 {
		t.Errorf("got %+v, want a forged press on an inaccessible message", cq)
	}
}

func TestGetMeAndCommands(t *testing.T) {
	s := newServer(t, WithBotUsername("tipline_bot"), WithToken("777:ABC"))
	b, err := bot.New(s.Token(), bot.WithServerURL(s.URL()))
	if err != nil {
		t.Fatalf("bot.New with getMe: %v", err)
	}
	ctx := testContext(t)
	me, err := b.GetMe(ctx)
	if err != nil || me.Username != "tipline_bot" || me.ID != 777 || !me.IsBot {
		t.Fatalf("got %+v, %v; want the configured bot", me, err)
	}
	cmds := []models.BotCommand{{Command: "start", Description: "Start"}, {Command: "forget", Description: "Forget me"}}
	if _, err := b.SetMyCommands(ctx, &bot.SetMyCommandsParams{Commands: cmds, Scope: &models.BotCommandScopeAllPrivateChats{}, LanguageCode: "km"}); err != nil {
		t.Fatalf("SetMyCommands: %v", err)
	}
	got, err := b.GetMyCommands(ctx, &bot.GetMyCommandsParams{Scope: &models.BotCommandScopeAllPrivateChats{}, LanguageCode: "km"})
	if err != nil || len(got) != 2 || got[1].Command != "forget" {
		t.Errorf("got %+v, %v; want the commands back", got, err)
	}
	_, err = b.SetMyCommands(ctx, &bot.SetMyCommandsParams{Commands: []models.BotCommand{{Command: "Start!", Description: "x"}}})
	wantRejectedWith(t, err, "Bad Request: BOT_COMMAND_INVALID")
	if _, err := b.SetChatMenuButton(ctx, &bot.SetChatMenuButtonParams{MenuButton: models.MenuButtonCommands{Type: models.MenuButtonTypeCommands}}); err != nil {
		t.Errorf("SetChatMenuButton: %v", err)
	}
	if _, err := b.SetChatMenuButton(ctx, &bot.SetChatMenuButtonParams{}); err != nil {
		t.Errorf("SetChatMenuButton without a button (sent as null): %v", err)
	}
	if _, err := b.SendChatAction(ctx, &bot.SendChatActionParams{ChatID: 4242, Action: models.ChatActionTyping}); !errors.Is(err, bot.ErrorForbidden) {
		t.Errorf("chat action to a stranger: got %v, want forbidden", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	s := newServer(t)
	b := newBot(t, s)
	ctx := testContext(t)
	users := []User{alice, {ID: 2002, FirstName: "Bopha"}, {ID: 3003, FirstName: "Somchai"}}
	for _, u := range users {
		s.AddUser(u)
	}
	var wg sync.WaitGroup
	for _, u := range users {
		for i := 0; i < 10; i++ {
			wg.Add(2)
			go func() {
				defer wg.Done()
				if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: u.ID, Text: "reply"}); err != nil {
					t.Errorf("SendMessage: %v", err)
				}
			}()
			go func() {
				defer wg.Done()
				s.SendText(u, "tip")
				s.Messages(u.ID)
				s.Calls()
			}()
		}
	}
	wg.Wait()
	for _, u := range users {
		all := s.Messages(u.ID)
		if len(all) != 20 {
			t.Errorf("chat %d: got %d messages, want 20", u.ID, len(all))
		}
		for i, m := range all {
			if m.ID != i+1 {
				t.Errorf("chat %d: message %d has id %d, want %d", u.ID, i, m.ID, i+1)
			}
		}
	}
	if upds := poll(t, s, 0, 0); len(upds) != 30 {
		t.Errorf("got %d updates, want 30", len(upds))
	}
	wantNoRejections(t, s)
}

// TestBlockedAndDeactivated: a user who blocks the bot is refused with 403
// and the bot hears of it in a my_chat_member update (member → kicked);
// unblocking lets sends through again with the reverse update; a deleted
// account is refused with 403 and nothing else.
func TestBlockedAndDeactivated(t *testing.T) {
	s := newServer(t)
	s.AddUser(alice)
	b := newBot(t, s)
	ctx := testContext(t)
	send := func() error {
		_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: alice.ID, Text: "hello"})
		return err
	}
	s.BlockBot(alice)
	err := send()
	if !errors.Is(err, bot.ErrorForbidden) {
		t.Fatalf("send to a user who blocked the bot: got %v, want bot.ErrorForbidden", err)
	}
	wantRejectedWith(t, err, "Forbidden: bot was blocked by the user")
	upds := poll(t, s, 0, 0)
	if len(upds) != 1 || upds[0].MyChatMember == nil {
		t.Fatalf("got %+v, want one my_chat_member update", upds)
	}
	mcm := upds[0].MyChatMember
	if mcm.Chat.ID != alice.ID || mcm.Chat.Type != models.ChatTypePrivate || mcm.From.ID != alice.ID ||
		mcm.OldChatMember.Type != models.ChatMemberTypeMember || mcm.NewChatMember.Type != models.ChatMemberTypeBanned {
		t.Fatalf("got %+v, want alice's private chat, member → kicked", mcm)
	}

	s.UnblockBot(alice)
	if err := send(); err != nil {
		t.Fatalf("send after unblocking: %v", err)
	}
	upds = poll(t, s, upds[0].ID+1, 0)
	if len(upds) != 1 || upds[0].MyChatMember == nil || upds[0].MyChatMember.NewChatMember.Type != models.ChatMemberTypeMember {
		t.Fatalf("got %+v, want a my_chat_member update back to member", upds)
	}

	s.DeactivateUser(alice)
	err = send()
	if !errors.Is(err, bot.ErrorForbidden) {
		t.Fatalf("send to a deleted account: got %v, want bot.ErrorForbidden", err)
	}
	wantRejectedWith(t, err, "Forbidden: user is deactivated")
	if upds := poll(t, s, upds[0].ID+1, 0); len(upds) != 0 {
		t.Fatalf("got %+v after a deleted account, want no update", upds)
	}
}

// TestGroupsAndLeaveChat: the bot added to a group hears of it in a
// my_chat_member update, may write there, and after leaveChat may not.
func TestGroupsAndLeaveChat(t *testing.T) {
	s := newServer(t)
	b := newBot(t, s)
	ctx := testContext(t)
	grp := models.Chat{ID: -1001234, Type: models.ChatTypeSupergroup, Title: "Village"}
	s.AddBotToGroup(alice, grp)
	upds := poll(t, s, 0, 0)
	if len(upds) != 1 || upds[0].MyChatMember == nil || upds[0].MyChatMember.Chat.ID != grp.ID ||
		upds[0].MyChatMember.Chat.Type != models.ChatTypeSupergroup || upds[0].MyChatMember.NewChatMember.Type != models.ChatMemberTypeMember {
		t.Fatalf("got %+v, want a my_chat_member update for the supergroup", upds)
	}
	if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: grp.ID, Text: "hello"}); err != nil {
		t.Fatalf("send to a group the bot is in: %v", err)
	}
	if ok, err := b.LeaveChat(ctx, &bot.LeaveChatParams{ChatID: grp.ID}); err != nil || !ok {
		t.Fatalf("leaveChat = %v, %v", ok, err)
	}
	if s.InGroup(grp.ID) {
		t.Fatal("the bot is still in the group after leaveChat")
	}
	_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: grp.ID, Text: "again"})
	wantRejectedWith(t, err, "Forbidden: bot is not a member of the supergroup chat")
	if _, err := b.LeaveChat(ctx, &bot.LeaveChatParams{ChatID: -42}); !errors.Is(err, bot.ErrorBadRequest) {
		t.Errorf("leaveChat of an unknown chat: %v, want 400", err)
	}
	if msgs := s.BotMessages(grp.ID); len(msgs) != 1 || msgs[0].Text != "hello" {
		t.Errorf("group messages %+v, want the one hello", msgs)
	}
}

// TestSendMediaGroup: photos known by file id go out as one album; fewer
// than two items, or an unknown file, are refused.
func TestSendMediaGroup(t *testing.T) {
	s := newServer(t)
	s.AddUser(alice)
	b := newBot(t, s)
	ctx := testContext(t)
	s.SendAlbum(alice, [][]byte{pngBytes(t, 8, 8), pngBytes(t, 9, 9)}, "")
	var ids []string
	for _, m := range s.Messages(alice.ID) {
		if m.Photo {
			ids = append(ids, m.FileID)
		}
	}
	media := []models.InputMedia{&models.InputMediaPhoto{Media: ids[0]}, &models.InputMediaPhoto{Media: ids[1]}}
	msgs, err := b.SendMediaGroup(ctx, &bot.SendMediaGroupParams{ChatID: alice.ID, Media: media, ProtectContent: true})
	if err != nil || len(msgs) != 2 || msgs[0].MediaGroupID == "" || msgs[0].MediaGroupID != msgs[1].MediaGroupID || !msgs[1].HasProtectedContent {
		t.Fatalf("sendMediaGroup = %+v, %v; want two protected messages of one album", msgs, err)
	}
	if bm := s.BotMessages(alice.ID); len(bm) != 2 || !bm[0].Photo || bm[0].FileID != ids[0] {
		t.Errorf("the chat shows %+v, want the two photos", bm)
	}
	_, err = b.SendMediaGroup(ctx, &bot.SendMediaGroupParams{ChatID: alice.ID, Media: media[:1]})
	wantRejectedWith(t, err, "Bad Request: media must include 2-10 items")
	_, err = b.SendMediaGroup(ctx, &bot.SendMediaGroupParams{ChatID: alice.ID, Media: []models.InputMedia{media[0], &models.InputMediaPhoto{Media: "nope"}}})
	wantRejectedWith(t, err, "Bad Request: wrong file identifier/HTTP URL specified")
}
