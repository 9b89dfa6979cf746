package telegramemu

import (
	"context"
	"encoding/json"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"
)

// deleteWindow is how long a message can be deleted for everyone in a
// private chat.
const deleteWindow = 48 * time.Hour

const notModified = "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"

func (s *Server) getMe(context.Context, *request) (any, *apiError) {
	bot := s.bot
	return bot, nil
}

// inlineMarkup extracts the inline keyboard of a validated reply_markup;
// other markups (remove keyboard, reply keyboard, force reply) give nil, as
// a Message carries only inline keyboards.
func inlineMarkup(param string) *models.InlineKeyboardMarkup {
	if param == "" {
		return nil
	}
	var m struct {
		InlineKeyboard [][]models.InlineKeyboardButton `json:"inline_keyboard"`
	}
	if err := json.Unmarshal([]byte(param), &m); err != nil || m.InlineKeyboard == nil {
		return nil
	}
	for _, row := range m.InlineKeyboard {
		for i := range row {
			// Drop go-telegram/bot's empty copy_text; Telegram does.
			row[i].CopyText = models.CopyTextButton{}
		}
	}
	return &models.InlineKeyboardMarkup{InlineKeyboard: m.InlineKeyboard}
}

// textOf parses a message text and applies its limits.
func textOf(r *request, tooLong string) (formatted, *apiError) {
	f, aerr := parseFormatted(r.params["text"], r.params["parse_mode"], r.params["entities"])
	if aerr != nil {
		return f, aerr
	}
	if strings.TrimSpace(f.text) == "" {
		return f, badRequest("message text is empty")
	}
	if utf16Len(f.text) > maxTextLen {
		return f, badRequest("%s", tooLong)
	}
	return f, nil
}

// captionOf parses a caption and applies its limit.
func captionOf(r *request) (formatted, *apiError) {
	f, aerr := parseFormatted(r.params["caption"], r.params["parse_mode"], r.params["caption_entities"])
	if aerr != nil {
		return f, aerr
	}
	if utf16Len(f.text) > maxCaptionLen {
		return f, badRequest("message caption is too long")
	}
	return f, nil
}

// replyToLocked resolves reply_parameters or reply_to_message_id.
func (s *Server) replyToLocked(c *chat, r *request) (*models.Message, *apiError) {
	raw, ok := r.params["reply_parameters"]
	if !ok {
		return nil, nil
	}
	var rp struct {
		MessageID                int  `json:"message_id"`
		AllowSendingWithoutReply bool `json:"allow_sending_without_reply"`
	}
	if err := json.Unmarshal([]byte(raw), &rp); err != nil {
		return nil, badRequest("can't parse reply parameters JSON object")
	}
	m, ok := c.byID[rp.MessageID]
	if !ok || m.deleted {
		if rp.AllowSendingWithoutReply {
			return nil, nil
		}
		return nil, badRequest("message to be replied not found")
	}
	reply := m.msg
	reply.ReplyToMessage = nil
	return &reply, nil
}

func (s *Server) sendMessage(_ context.Context, r *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, aerr := s.sendTargetLocked(r.params["chat_id"])
	if aerr != nil {
		return nil, aerr
	}
	f, aerr := textOf(r, "message is too long")
	if aerr != nil {
		return nil, aerr
	}
	reply, aerr := s.replyToLocked(c, r)
	if aerr != nil {
		return nil, aerr
	}
	m := s.addMessageLocked(c, true, models.Message{
		Text:                f.text,
		Entities:            f.entities,
		ReplyMarkup:         inlineMarkup(r.params["reply_markup"]),
		HasProtectedContent: r.boolParam("protect_content"),
		ReplyToMessage:      reply,
	})
	return m.msg, nil
}

// editTargetLocked finds the bot message an edit method names.
func (s *Server) editTargetLocked(r *request) (*chat, *storedMessage, *apiError) {
	if r.has("inline_message_id") {
		return nil, nil, badRequest("MESSAGE_ID_INVALID")
	}
	if !r.has("chat_id") {
		return nil, nil, badRequest("parameter %q is required", "chat_id")
	}
	if !r.has("message_id") {
		return nil, nil, badRequest("message identifier is not specified")
	}
	c, aerr := s.existingChatLocked(r.params["chat_id"])
	if aerr != nil {
		return nil, nil, aerr
	}
	m, ok := c.byID[r.intParam("message_id", 0)]
	if !ok || m.deleted {
		return nil, nil, badRequest("message to edit not found")
	}
	if !m.fromBot {
		return nil, nil, badRequest("message can't be edited")
	}
	return c, m, nil
}

func (s *Server) editMessageText(_ context.Context, r *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m, aerr := s.editTargetLocked(r)
	if aerr != nil {
		return nil, aerr
	}
	f, aerr := textOf(r, "MESSAGE_TOO_LONG")
	if aerr != nil {
		return nil, aerr
	}
	if m.msg.Text == "" {
		return nil, badRequest("there is no text in the message to edit")
	}
	markup := inlineMarkup(r.params["reply_markup"])
	if f.text == m.msg.Text && sameEntities(f.entities, m.msg.Entities) && markupJSON(markup) == markupJSON(m.msg.ReplyMarkup) {
		return nil, badRequest(notModified)
	}
	m.msg.Text, m.msg.Entities, m.msg.ReplyMarkup = f.text, f.entities, markup
	s.markEditedLocked(c, m)
	return m.msg, nil
}

func (s *Server) editMessageCaption(_ context.Context, r *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m, aerr := s.editTargetLocked(r)
	if aerr != nil {
		return nil, aerr
	}
	f, aerr := captionOf(r)
	if aerr != nil {
		return nil, aerr
	}
	if m.msg.Text != "" || m.msg.Location != nil {
		return nil, badRequest("there is no caption in the message to edit")
	}
	markup := inlineMarkup(r.params["reply_markup"])
	if f.text == m.msg.Caption && sameEntities(f.entities, m.msg.CaptionEntities) && markupJSON(markup) == markupJSON(m.msg.ReplyMarkup) {
		return nil, badRequest(notModified)
	}
	m.msg.Caption, m.msg.CaptionEntities, m.msg.ReplyMarkup = f.text, f.entities, markup
	s.markEditedLocked(c, m)
	return m.msg, nil
}

func (s *Server) editMessageReplyMarkup(_ context.Context, r *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m, aerr := s.editTargetLocked(r)
	if aerr != nil {
		return nil, aerr
	}
	markup := inlineMarkup(r.params["reply_markup"])
	if markupJSON(markup) == markupJSON(m.msg.ReplyMarkup) {
		return nil, badRequest(notModified)
	}
	m.msg.ReplyMarkup = markup
	s.markEditedLocked(c, m)
	return m.msg, nil
}

func (s *Server) markEditedLocked(c *chat, m *storedMessage) {
	m.edited = true
	m.msg.EditDate = int(s.now().Unix())
	s.touchLocked(c)
}

func sameEntities(a, b []models.MessageEntity) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

// deletableLocked checks one message of a deleteMessage call.
func (s *Server) deletableLocked(c *chat, id int) (*storedMessage, *apiError) {
	m, ok := c.byID[id]
	if !ok || m.deleted {
		return nil, badRequest("message to delete not found")
	}
	if s.now().Sub(time.Unix(int64(m.msg.Date), 0)) > deleteWindow {
		return nil, badRequest("message can't be deleted for everyone")
	}
	return m, nil
}

func (s *Server) deleteMessage(_ context.Context, r *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, aerr := s.existingChatLocked(r.params["chat_id"])
	if aerr != nil {
		return nil, aerr
	}
	m, aerr := s.deletableLocked(c, r.intParam("message_id", 0))
	if aerr != nil {
		return nil, aerr
	}
	m.deleted = true
	s.touchLocked(c)
	return true, nil
}

func (s *Server) deleteMessages(_ context.Context, r *request) (any, *apiError) {
	var ids []int
	if err := json.Unmarshal([]byte(r.params["message_ids"]), &ids); err != nil {
		return nil, badRequest("can't parse message_ids JSON array")
	}
	if len(ids) == 0 {
		return nil, badRequest("message identifiers are not specified")
	}
	if len(ids) > 100 {
		return nil, badRequest("too many messages to delete")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, aerr := s.existingChatLocked(r.params["chat_id"])
	if aerr != nil {
		return nil, aerr
	}
	deleted := 0
	for _, id := range ids {
		// Messages that can't be found or deleted are skipped.
		if m, aerr := s.deletableLocked(c, id); aerr == nil {
			m.deleted = true
			deleted++
		}
	}
	if deleted > 0 {
		s.touchLocked(c)
	}
	return true, nil
}

func (s *Server) answerCallbackQuery(_ context.Context, r *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.params["callback_query_id"]
	cb, ok := s.callbacks[id]
	if !ok || cb.answered {
		return nil, badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	if utf16Len(r.params["text"]) > maxCallbackLen {
		return nil, badRequest("MESSAGE_TOO_LONG")
	}
	cb.answered = true
	s.answers = append(s.answers, CallbackAnswer{QueryID: id, Text: r.params["text"], ShowAlert: r.boolParam("show_alert"), Latency: time.Since(cb.pressed)})
	s.broadcastLocked()
	return true, nil
}

// sendMediaOf emulates sendPhoto, sendVoice, sendVideo and sendDocument;
// the file parameter is named like the kind.
func (s *Server) sendMediaOf(kind fileKind) methodHandler {
	return func(_ context.Context, r *request) (any, *apiError) {
		s.mu.Lock()
		defer s.mu.Unlock()
		c, aerr := s.sendTargetLocked(r.params["chat_id"])
		if aerr != nil {
			return nil, aerr
		}
		capt, aerr := captionOf(r)
		if aerr != nil {
			return nil, aerr
		}
		reply, aerr := s.replyToLocked(c, r)
		if aerr != nil {
			return nil, aerr
		}
		f, aerr := s.inputFileLocked(r, string(kind), kind)
		if aerr != nil {
			return nil, aerr
		}
		msg := models.Message{
			Caption:             capt.text,
			CaptionEntities:     capt.entities,
			ReplyMarkup:         inlineMarkup(r.params["reply_markup"]),
			HasProtectedContent: r.boolParam("protect_content"),
			HasMediaSpoiler:     r.boolParam("has_spoiler"),
			ReplyToMessage:      reply,
		}
		attachFile(&msg, f, r.intParam("duration", 0), r.intParam("width", 0), r.intParam("height", 0))
		m := s.addMessageLocked(c, true, msg)
		m.fileID = f.id
		return m.msg, nil
	}
}

// attachFile puts a stored file into a message as its media.
func attachFile(msg *models.Message, f *storedFile, duration, width, height int) {
	size := int64(len(f.data))
	switch f.kind {
	case kindPhoto:
		msg.Photo = photoSizes(f)
	case kindVoice:
		msg.Voice = &models.Voice{FileID: f.id, FileUniqueID: f.uniqueID, Duration: duration, MimeType: f.mimeType, FileSize: size}
	case kindVideo:
		if width == 0 || height == 0 {
			width, height = 1280, 720
		}
		msg.Video = &models.Video{FileID: f.id, FileUniqueID: f.uniqueID, Width: width, Height: height, Duration: duration, FileName: f.name, MimeType: f.mimeType, FileSize: size}
	case kindDocument:
		msg.Document = &models.Document{FileID: f.id, FileUniqueID: f.uniqueID, FileName: f.name, MimeType: f.mimeType, FileSize: size}
	case kindSticker:
		msg.Sticker = &models.Sticker{FileID: f.id, FileUniqueID: f.uniqueID, Type: "regular", Width: 512, Height: 512, Emoji: "👍", FileSize: int(size)}
	}
}

func (s *Server) sendLocation(_ context.Context, r *request) (any, *apiError) {
	lat, lon := r.floatParam("latitude"), r.floatParam("longitude")
	if lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		return nil, badRequest("wrong location")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, aerr := s.sendTargetLocked(r.params["chat_id"])
	if aerr != nil {
		return nil, aerr
	}
	reply, aerr := s.replyToLocked(c, r)
	if aerr != nil {
		return nil, aerr
	}
	m := s.addMessageLocked(c, true, models.Message{
		Location:            &models.Location{Latitude: lat, Longitude: lon, HorizontalAccuracy: r.floatParam("horizontal_accuracy")},
		ReplyMarkup:         inlineMarkup(r.params["reply_markup"]),
		HasProtectedContent: r.boolParam("protect_content"),
		ReplyToMessage:      reply,
	})
	return m.msg, nil
}

// chatActions are the values sendChatAction takes.
var chatActions = map[string]bool{
	"typing": true, "upload_photo": true, "record_video": true, "upload_video": true,
	"record_voice": true, "upload_voice": true, "upload_document": true, "choose_sticker": true,
	"find_location": true, "record_video_note": true, "upload_video_note": true,
}

func (s *Server) sendChatAction(_ context.Context, r *request) (any, *apiError) {
	if !chatActions[r.params["action"]] {
		return nil, badRequest("wrong parameter action in request")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, aerr := s.sendTargetLocked(r.params["chat_id"]); aerr != nil {
		return nil, aerr
	}
	return true, nil
}

// commandName is what Telegram accepts as a bot command.
var commandName = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// languageCode is a two-letter ISO 639-1 code, as setMyCommands takes.
var languageCode = regexp.MustCompile(`^[a-z]{2}$`)

// commandsKey names the list a scope and language select.
func commandsKey(r *request) (string, *apiError) {
	scope := `{"type":"default"}`
	if raw, ok := r.params["scope"]; ok {
		var x map[string]any
		if err := json.Unmarshal([]byte(raw), &x); err != nil {
			return "", badRequest("can't parse scope JSON object")
		}
		norm, err := json.Marshal(x)
		if err != nil {
			return "", badRequest("can't parse scope JSON object")
		}
		scope = string(norm)
	}
	lang := r.params["language_code"]
	if lang != "" && !languageCode.MatchString(lang) {
		return "", badRequest("invalid language code specified")
	}
	return scope + "|" + lang, nil
}

func (s *Server) setMyCommands(_ context.Context, r *request) (any, *apiError) {
	var cmds []models.BotCommand
	if err := json.Unmarshal([]byte(r.params["commands"]), &cmds); err != nil {
		return nil, badRequest("can't parse commands JSON array")
	}
	if len(cmds) > 100 {
		return nil, badRequest("too many commands")
	}
	for _, c := range cmds {
		if !commandName.MatchString(c.Command) {
			return nil, badRequest("BOT_COMMAND_INVALID")
		}
		if n := utf16Len(strings.TrimSpace(c.Description)); n < 1 || n > 256 {
			return nil, badRequest("BOT_COMMAND_DESCRIPTION_INVALID")
		}
	}
	key, aerr := commandsKey(r)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(cmds) == 0 {
		delete(s.commands, key)
	} else {
		s.commands[key] = cmds
	}
	return true, nil
}

func (s *Server) getMyCommands(_ context.Context, r *request) (any, *apiError) {
	key, aerr := commandsKey(r)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cmds := s.commands[key]
	if cmds == nil {
		cmds = []models.BotCommand{}
	}
	return cmds, nil
}

func (s *Server) deleteMyCommands(_ context.Context, r *request) (any, *apiError) {
	key, aerr := commandsKey(r)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.commands, key)
	return true, nil
}

func (s *Server) setChatMenuButton(_ context.Context, r *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var chatID int64
	if v, ok := r.params["chat_id"]; ok {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, badRequest("chat not found")
		}
		if _, known := s.users[id]; !known {
			return nil, badRequest("chat not found")
		}
		chatID = id
	}
	raw := r.params["menu_button"]
	if raw == "" || raw == "null" {
		delete(s.menu, chatID)
		return true, nil
	}
	s.menu[chatID] = json.RawMessage(raw)
	return true, nil
}

func (s *Server) getChatMenuButton(_ context.Context, r *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var chatID int64
	if v, ok := r.params["chat_id"]; ok && v != "null" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, badRequest("chat not found")
		}
		chatID = id
	}
	if raw, ok := s.menu[chatID]; ok {
		return raw, nil
	}
	if raw, ok := s.menu[0]; ok {
		return raw, nil
	}
	return json.RawMessage(`{"type":"default"}`), nil
}
