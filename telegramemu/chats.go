package telegramemu

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/go-telegram/bot/models"
)

// User is a simulated Telegram user. Their private chat with the bot has
// the same id.
type User struct {
	ID           int64  `json:"id"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name,omitempty"`
	Username     string `json:"username,omitempty"`
	LanguageCode string `json:"language_code,omitempty"`
}

func (u User) model() *models.User {
	return &models.User{ID: u.ID, FirstName: u.FirstName, LastName: u.LastName, Username: u.Username, LanguageCode: u.LanguageCode}
}

func (u User) privateChat() models.Chat {
	return models.Chat{ID: u.ID, Type: models.ChatTypePrivate, FirstName: u.FirstName, LastName: u.LastName, Username: u.Username}
}

// Message is a message of a chat as a person would see it, from either side.
type Message struct {
	ID      int    `json:"id"`
	ChatID  int64  `json:"chat_id"`
	FromBot bool   `json:"from_bot"`
	Text    string `json:"text,omitempty"`
	Caption string `json:"caption,omitempty"`
	// Entities are the formatting of Text (or Caption), e.g. from HTML.
	Entities       []models.MessageEntity `json:"entities,omitempty"`
	Buttons        [][]Button             `json:"buttons,omitempty"`
	Photo          bool                   `json:"photo,omitempty"`
	Voice          bool                   `json:"voice,omitempty"`
	Video          bool                   `json:"video,omitempty"`
	Document       bool                   `json:"document,omitempty"`
	Sticker        bool                   `json:"sticker,omitempty"`
	Location       *models.Location       `json:"location,omitempty"`
	FileID         string                 `json:"file_id,omitempty"`
	FileName       string                 `json:"file_name,omitempty"`
	ProtectContent bool                   `json:"protect_content,omitempty"`
	Deleted        bool                   `json:"deleted,omitempty"`
	Edited         bool                   `json:"edited,omitempty"`
	// MediaGroup is the album the message is part of, if any.
	MediaGroup string    `json:"media_group,omitempty"`
	Date       time.Time `json:"date"`
}

// Button is an inline keyboard button of a bot message.
type Button struct {
	Text string `json:"text"`
	Data string `json:"data,omitempty"`
	URL  string `json:"url,omitempty"`
}

// CallbackAnswer is what the bot answered to a button press.
type CallbackAnswer struct {
	QueryID   string
	Text      string
	ShowAlert bool
	// Latency is the real time from the press to the answer.
	Latency time.Duration
}

// chat is the history of one private chat.
type chat struct {
	id      int64
	lastID  int
	msgs    []*storedMessage
	byID    map[int]*storedMessage
	version int64 // bumped on every change, for cheap polling
	botSent int   // messages the bot sent, deleted ones included
}

// storedMessage is a message with what the emulator knows beyond the model.
type storedMessage struct {
	msg     models.Message
	fromBot bool
	deleted bool
	edited  bool
	fileID  string
}

func (m *storedMessage) public() Message {
	pm := Message{
		ID:             m.msg.ID,
		ChatID:         m.msg.Chat.ID,
		FromBot:        m.fromBot,
		Text:           m.msg.Text,
		Caption:        m.msg.Caption,
		Entities:       m.msg.Entities,
		Photo:          len(m.msg.Photo) > 0,
		Voice:          m.msg.Voice != nil,
		Video:          m.msg.Video != nil,
		Document:       m.msg.Document != nil,
		Sticker:        m.msg.Sticker != nil,
		FileID:         m.fileID,
		ProtectContent: m.msg.HasProtectedContent,
		Deleted:        m.deleted,
		Edited:         m.edited,
		MediaGroup:     m.msg.MediaGroupID,
		Date:           time.Unix(int64(m.msg.Date), 0).UTC(),
	}
	if m.msg.Text == "" {
		pm.Entities = m.msg.CaptionEntities
	}
	if m.msg.Location != nil {
		loc := *m.msg.Location
		pm.Location = &loc
	}
	if m.msg.Document != nil {
		pm.FileName = m.msg.Document.FileName
	}
	if m.msg.ReplyMarkup != nil {
		for _, row := range m.msg.ReplyMarkup.InlineKeyboard {
			var r []Button
			for _, b := range row {
				r = append(r, Button{Text: b.Text, Data: b.CallbackData, URL: b.URL})
			}
			pm.Buttons = append(pm.Buttons, r)
		}
	}
	return pm
}

// chatLocked returns the chat with id, creating it.
func (s *Server) chatLocked(id int64) *chat {
	c, ok := s.chats[id]
	if !ok {
		c = &chat{id: id, byID: map[int]*storedMessage{}}
		s.chats[id] = c
	}
	return c
}

// addMessageLocked appends a message to a chat with the next id and now as
// its date.
func (s *Server) addMessageLocked(c *chat, fromBot bool, msg models.Message) *storedMessage {
	c.lastID++
	msg.ID = c.lastID
	msg.Date = int(s.now().Unix())
	if fromBot {
		bot := s.bot
		msg.From = &bot
	}
	if g, ok := s.groups[c.id]; ok {
		msg.Chat = g.chat
	} else if u, ok := s.users[c.id]; ok {
		msg.Chat = u.privateChat()
	} else {
		msg.Chat = models.Chat{ID: c.id, Type: models.ChatTypePrivate}
	}
	m := &storedMessage{msg: msg, fromBot: fromBot}
	c.msgs = append(c.msgs, m)
	c.byID[msg.ID] = m
	if fromBot {
		c.botSent++
	}
	s.touchLocked(c)
	return m
}

// touchLocked records a change of a chat.
func (s *Server) touchLocked(c *chat) {
	c.version++
	s.broadcastLocked()
}

// sendTargetLocked resolves the chat_id of a send: a private chat with a
// user who has written to the bot (or was added).
func (s *Server) sendTargetLocked(chatID string) (*chat, *apiError) {
	id, err := strconv.ParseInt(chatID, 10, 64)
	if g, ok := s.groups[id]; ok && err == nil {
		if !g.botIn {
			return nil, forbidden("bot is not a member of the %s chat", g.chat.Type)
		}
		return s.chatLocked(id), nil
	}
	if err != nil || id <= 0 || id == s.bot.ID {
		return nil, badRequest("chat not found")
	}
	if _, ok := s.users[id]; !ok {
		return nil, forbidden("bot can't initiate conversation with a user")
	}
	if why, ok := s.refusing[id]; ok {
		return nil, forbidden("%s", why)
	}
	return s.chatLocked(id), nil
}

// existingChatLocked resolves the chat_id of an edit or delete.
func (s *Server) existingChatLocked(chatID string) (*chat, *apiError) {
	id, err := strconv.ParseInt(chatID, 10, 64)
	if err != nil {
		return nil, badRequest("chat not found")
	}
	c, ok := s.chats[id]
	if !ok {
		if _, known := s.users[id]; !known {
			return nil, badRequest("chat not found")
		}
		c = s.chatLocked(id)
	}
	if why, ok := s.refusing[id]; ok {
		return nil, forbidden("%s", why)
	}
	return c, nil
}

// Messages returns the chat's messages from both sides in order, deleted
// ones flagged.
func (s *Server) Messages(chatID int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	msgs, _ := s.messagesLocked(chatID, 0)
	return msgs
}

func (s *Server) messagesLocked(chatID int64, after int) ([]Message, int64) {
	c, ok := s.chats[chatID]
	if !ok {
		return []Message{}, 0
	}
	out := make([]Message, 0, len(c.msgs))
	for _, m := range c.msgs {
		if m.msg.ID > after {
			out = append(out, m.public())
		}
	}
	return out, c.version
}

// BotMessages returns the bot's messages in the chat that are not deleted.
func (s *Server) BotMessages(chatID int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.botMessagesLocked(chatID)
}

func (s *Server) botMessagesLocked(chatID int64) []Message {
	var out []Message
	if c, ok := s.chats[chatID]; ok {
		for _, m := range c.msgs {
			if m.fromBot && !m.deleted {
				out = append(out, m.public())
			}
		}
	}
	return out
}

// WaitBotMessages waits until the bot has sent at least n messages to the
// chat, deleted ones included, and returns BotMessages.
func (s *Server) WaitBotMessages(ctx context.Context, chatID int64, n int) ([]Message, error) {
	for {
		s.mu.Lock()
		sent := 0
		if c, ok := s.chats[chatID]; ok {
			sent = c.botSent
		}
		if sent >= n {
			out := s.botMessagesLocked(chatID)
			s.mu.Unlock()
			return out, nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return s.BotMessages(chatID), fmt.Errorf("wait for %d bot messages, got %d: %w", n, sent, ctx.Err())
		case <-s.ctx.Done():
			return s.BotMessages(chatID), fmt.Errorf("wait for %d bot messages, got %d: server closed", n, sent)
		}
	}
}

// CallbackAnswers returns the bot's answers to button presses, in order.
func (s *Server) CallbackAnswers() []CallbackAnswer {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]CallbackAnswer, len(s.answers))
	copy(out, s.answers)
	return out
}

// markupJSON renders a keyboard for comparison; nil renders as "".
func markupJSON(m *models.InlineKeyboardMarkup) string {
	if m == nil || len(m.InlineKeyboard) == 0 {
		return ""
	}
	data, err := json.Marshal(m)
	if err != nil {
		return fmt.Sprintf("%#v", m)
	}
	return string(data)
}
