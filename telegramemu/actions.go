package telegramemu

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/go-telegram/bot/models"
)

// callbackState is a callback query the bot may answer once.
type callbackState struct {
	answered bool
	pressed  time.Time // real time, for the answer's latency
}

// AddUser registers a user who has opened a chat with the bot (pressed
// Start), so the bot may write to them. Calling it again updates the user.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = u
	s.chatLocked(u.ID)
}

// userLocked registers u on first contact and returns the stored user.
func (s *Server) userLocked(u User) User {
	if known, ok := s.users[u.ID]; ok && u.FirstName == "" {
		return known
	}
	s.users[u.ID] = u
	return u
}

// commandAt matches a bot command at the start of a message.
var commandAt = regexp.MustCompile(`^/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{3,32})?`)

// userMessageLocked adds a message from u to their chat and queues the
// update carrying it.
func (s *Server) userMessageLocked(u User, msg models.Message) int64 {
	u = s.userLocked(u)
	c := s.chatLocked(u.ID)
	msg.From = u.model()
	m := s.addMessageLocked(c, false, msg)
	switch {
	case len(msg.Photo) > 0:
		m.fileID = msg.Photo[len(msg.Photo)-1].FileID
	case msg.Voice != nil:
		m.fileID = msg.Voice.FileID
	case msg.Video != nil:
		m.fileID = msg.Video.FileID
	case msg.Document != nil:
		m.fileID = msg.Document.FileID
	case msg.Sticker != nil:
		m.fileID = msg.Sticker.FileID
	}
	stored := m.msg
	return s.enqueueLocked(models.Update{Message: &stored})
}

// SendText makes u send text to the bot; a leading /command gets its
// bot_command entity. It returns the update id.
func (s *Server) SendText(u User, text string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	msg := models.Message{Text: text}
	if loc := commandAt.FindStringIndex(text); loc != nil {
		msg.Entities = []models.MessageEntity{{Type: models.MessageEntityTypeBotCommand, Offset: 0, Length: utf16Len(text[:loc[1]])}}
	}
	return s.userMessageLocked(u, msg)
}

// SendLocation makes u share a location.
func (s *Server) SendLocation(u User, lat, lon float64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.userMessageLocked(u, models.Message{Location: &models.Location{Latitude: lat, Longitude: lon}})
}

// SendPhoto makes u send a photo; data is stored as the file of both photo
// sizes (thumbnail and original).
func (s *Server) SendPhoto(u User, data []byte, caption string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, h := imageSize(data)
	f := s.newPhotoLocked(append([]byte(nil), data...), w, h)
	return s.userMessageLocked(u, models.Message{Photo: photoSizes(f), Caption: caption})
}

// SendVoice makes u send a voice note of the given length.
func (s *Server) SendVoice(u User, data []byte, seconds int) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.newFileLocked(kindVoice, "", append([]byte(nil), data...))
	var msg models.Message
	attachFile(&msg, f, seconds, 0, 0)
	return s.userMessageLocked(u, msg)
}

// SendVideo makes u send a video of the given length.
func (s *Server) SendVideo(u User, data []byte, seconds int) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.newFileLocked(kindVideo, "", append([]byte(nil), data...))
	var msg models.Message
	attachFile(&msg, f, seconds, 0, 0)
	return s.userMessageLocked(u, msg)
}

// SendDocument makes u send a file named name.
func (s *Server) SendDocument(u User, name string, data []byte) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.newFileLocked(kindDocument, name, append([]byte(nil), data...))
	var msg models.Message
	attachFile(&msg, f, 0, 0, 0)
	return s.userMessageLocked(u, msg)
}

// SendSticker makes u send a sticker, a message the bot has to cope with
// without text.
func (s *Server) SendSticker(u User) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.newFileLocked(kindSticker, "", []byte("RIFF\x00\x00\x00\x00WEBP"))
	var msg models.Message
	attachFile(&msg, f, 0, 0, 0)
	return s.userMessageLocked(u, msg)
}

// EditText makes u edit their earlier message; the bot gets an
// edited_message update. An unknown message id still sends the update, as a
// forged client could.
func (s *Server) EditText(u User, messageID int, text string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	u = s.userLocked(u)
	c := s.chatLocked(u.ID)
	now := int(s.now().Unix())
	msg := models.Message{ID: messageID, From: u.model(), Chat: u.privateChat(), Date: now, Text: text, EditDate: now}
	if m, ok := c.byID[messageID]; ok && !m.fromBot && !m.deleted {
		m.msg.Text = text
		m.msg.EditDate = now
		m.edited = true
		s.touchLocked(c)
		msg = m.msg
	}
	return s.enqueueLocked(models.Update{EditedMessage: &msg})
}

// ErrNoButton is returned by PressButton when the message or the button does
// not exist.
var ErrNoButton = errors.New("no such button")

// PressButton makes u press the inline button with callback data on a bot
// message of their chat. It fails when the message does not exist, is
// deleted, or has no such button.
func (s *Server) PressButton(u User, messageID int, data string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.chats[u.ID]
	if !ok {
		return 0, fmt.Errorf("press %q on message %d: no chat with user: %w", data, messageID, ErrNoButton)
	}
	m, ok := c.byID[messageID]
	if !ok || m.deleted || !m.fromBot {
		return 0, fmt.Errorf("press %q on message %d: no such bot message: %w", data, messageID, ErrNoButton)
	}
	if !hasButton(m.msg.ReplyMarkup, data) {
		return 0, fmt.Errorf("press %q on message %d: the message has no such button: %w", data, messageID, ErrNoButton)
	}
	return s.pressLocked(u, messageID, data), nil
}

func hasButton(mk *models.InlineKeyboardMarkup, data string) bool {
	if mk == nil {
		return false
	}
	for _, row := range mk.InlineKeyboard {
		for _, b := range row {
			if b.CallbackData == data {
				return true
			}
		}
	}
	return false
}

// PressRaw sends a callback query with any data on any message id, without
// checks: forged or stale button data.
func (s *Server) PressRaw(u User, messageID int, data string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pressLocked(u, messageID, data)
}

func (s *Server) pressLocked(u User, messageID int, data string) int64 {
	u = s.userLocked(u)
	c := s.chatLocked(u.ID)
	s.cbSeq++
	id := strconv.FormatInt(4000000000000000000+u.ID%1000000*1000000+s.cbSeq, 10)
	s.callbacks[id] = &callbackState{pressed: time.Now()}
	cq := &models.CallbackQuery{
		ID:           id,
		From:         *u.model(),
		ChatInstance: strconv.FormatInt(-(u.ID*7919)%9000000000000000000, 10),
		Data:         data,
	}
	if m, ok := c.byID[messageID]; ok && !m.deleted {
		msg := m.msg
		cq.Message = models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage, Message: &msg}
	} else {
		cq.Message = models.MaybeInaccessibleMessage{
			Type:                models.MaybeInaccessibleMessageTypeInaccessibleMessage,
			InaccessibleMessage: &models.InaccessibleMessage{Chat: u.privateChat(), MessageID: messageID},
		}
	}
	return s.enqueueLocked(models.Update{CallbackQuery: cq})
}

// Deliver queues a raw update. It keeps upd.ID when it is not zero (to test
// duplicates), else assigns the next id. The sender of a message becomes a
// user the bot may write to, and a callback query may be answered.
func (s *Server) Deliver(upd models.Update) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range []*models.Message{upd.Message, upd.EditedMessage} {
		if m != nil && m.From != nil && m.Chat.Type == models.ChatTypePrivate {
			if _, ok := s.users[m.From.ID]; !ok {
				s.users[m.From.ID] = User{ID: m.From.ID, FirstName: m.From.FirstName, LastName: m.From.LastName, Username: m.From.Username, LanguageCode: m.From.LanguageCode}
			}
		}
	}
	if cq := upd.CallbackQuery; cq != nil {
		if _, ok := s.callbacks[cq.ID]; !ok {
			s.callbacks[cq.ID] = &callbackState{pressed: time.Now()}
		}
	}
	return s.enqueueLocked(upd)
}

// Redeliver queues an update delivered before once more, with the same
// update_id, as Telegram does when it did not see the bot confirm it. A
// long poll gets it even if its offset is already past it.
func (s *Server) Redeliver(updateID int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.delivered[updateID]
	if !ok {
		return fmt.Errorf("redeliver update %d: never delivered", updateID)
	}
	s.queue = append(s.queue, &queuedUpdate{id: q.id, kind: q.kind, data: q.data, redelivery: true})
	s.broadcastLocked()
	return nil
}

// BlockBot makes u block the bot, as Telegram's "Stop and block bot"
// does: every later send, edit or delete in their chat is refused with
// 403 "Forbidden: bot was blocked by the user", and the bot gets a
// my_chat_member update (member → kicked). It returns the update id.
func (s *Server) BlockBot(u User) int64 {
	return s.setBlocked(u, true)
}

// UnblockBot lifts BlockBot (the user pressed Restart): sends work again
// and the bot gets a my_chat_member update (kicked → member).
func (s *Server) UnblockBot(u User) int64 {
	return s.setBlocked(u, false)
}

// DeactivateUser deletes u's Telegram account: every later send, edit or
// delete in their chat is refused with 403 "Forbidden: user is
// deactivated", and the bot is told nothing else.
func (s *Server) DeactivateUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refusing[s.userLocked(u).ID] = "user is deactivated"
}

func (s *Server) setBlocked(u User, blocked bool) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	u = s.userLocked(u)
	if blocked {
		s.refusing[u.ID] = "bot was blocked by the user"
	} else {
		delete(s.refusing, u.ID)
	}
	bot := s.bot
	member := models.ChatMember{Type: models.ChatMemberTypeMember, Member: &models.ChatMemberMember{User: &bot}}
	kicked := models.ChatMember{Type: models.ChatMemberTypeBanned, Banned: &models.ChatMemberBanned{User: &bot}}
	upd := &models.ChatMemberUpdated{Chat: u.privateChat(), From: *u.model(), Date: int(s.now().Unix()), OldChatMember: member, NewChatMember: kicked}
	if !blocked {
		upd.OldChatMember, upd.NewChatMember = kicked, member
	}
	return s.enqueueLocked(models.Update{MyChatMember: upd})
}

// SendAlbum makes u send photos as one album, as Telegram delivers it:
// one message (and one update) per photo, in order, all with the same
// media_group_id, the caption on the first. It returns the update ids.
func (s *Server) SendAlbum(u User, photos [][]byte, caption string) []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.albumSeq++
	group := strconv.FormatInt(1_300_000_000_000_000_000+s.albumSeq, 10)
	ids := make([]int64, 0, len(photos))
	for i, data := range photos {
		w, h := imageSize(data)
		f := s.newPhotoLocked(append([]byte(nil), data...), w, h)
		msg := models.Message{Photo: photoSizes(f), MediaGroupID: group}
		if i == 0 {
			msg.Caption = caption
		}
		ids = append(ids, s.userMessageLocked(u, msg))
	}
	return ids
}
