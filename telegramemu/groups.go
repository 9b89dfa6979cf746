package telegramemu

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/go-telegram/bot/models"
)

// group is a group, supergroup or channel chat the bot was added to.
type group struct {
	chat  models.Chat
	botIn bool
}

// AddBotToGroup makes by add the bot to a group, supergroup or channel
// chat (chat.ID negative, chat.Type one of those), as Telegram tells it: a
// my_chat_member update (left → member; administrator in a channel). The
// bot may then send to the chat until it calls leaveChat. It returns the
// update id.
func (s *Server) AddBotToGroup(by User, chat models.Chat) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	by = s.userLocked(by)
	s.groups[chat.ID] = &group{chat: chat, botIn: true}
	s.chatLocked(chat.ID)
	bot := s.bot
	newStatus := models.ChatMember{Type: models.ChatMemberTypeMember, Member: &models.ChatMemberMember{User: &bot}}
	if chat.Type == models.ChatTypeChannel {
		newStatus = models.ChatMember{Type: models.ChatMemberTypeAdministrator, Administrator: &models.ChatMemberAdministrator{User: bot}}
	}
	upd := &models.ChatMemberUpdated{
		Chat: chat, From: *by.model(), Date: int(s.now().Unix()),
		OldChatMember: models.ChatMember{Type: models.ChatMemberTypeLeft, Left: &models.ChatMemberLeft{User: &bot}},
		NewChatMember: newStatus,
	}
	return s.enqueueLocked(models.Update{MyChatMember: upd})
}

// SendGroupText makes u write text in a group the bot is in.
func (s *Server) SendGroupText(u User, chatID int64, text string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	u = s.userLocked(u)
	g, ok := s.groups[chatID]
	if !ok {
		return 0
	}
	m := s.addMessageLocked(s.chatLocked(chatID), false, models.Message{Text: text, From: u.model()})
	m.msg.Chat = g.chat
	stored := m.msg
	return s.enqueueLocked(models.Update{Message: &stored})
}

// InGroup tells whether the bot is (still) a member of a group chat.
func (s *Server) InGroup(chatID int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[chatID]
	return ok && g.botIn
}

// leaveChat is the bot leaving a group, supergroup or channel.
func (s *Server) leaveChat(_ context.Context, r *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, err := strconv.ParseInt(r.params["chat_id"], 10, 64)
	g, ok := s.groups[id]
	if err != nil || !ok {
		return nil, badRequest("chat not found")
	}
	if !g.botIn {
		return nil, forbidden("bot is not a member of the %s chat", g.chat.Type)
	}
	g.botIn = false
	return true, nil
}

// sendMediaGroup sends 2 to 10 photos or videos, known by their file ids,
// as one album: one message each, sharing a media_group_id.
func (s *Server) sendMediaGroup(_ context.Context, r *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, aerr := s.sendTargetLocked(r.params["chat_id"])
	if aerr != nil {
		return nil, aerr
	}
	var media []struct {
		Type  string `json:"type"`
		Media string `json:"media"`
	}
	if err := json.Unmarshal([]byte(r.params["media"]), &media); err != nil {
		return nil, badRequest("can't parse media JSON object")
	}
	if len(media) < 2 || len(media) > 10 {
		return nil, badRequest("media must include 2-10 items")
	}
	files := make([]*storedFile, len(media))
	for i, m := range media {
		f, ok := s.files[m.Media]
		if !ok || (m.Type != "photo" && m.Type != "video") || string(f.kind) != m.Type {
			return nil, badRequest("wrong file identifier/HTTP URL specified")
		}
		files[i] = f
	}
	s.albumSeq++
	group := strconv.FormatInt(1_300_000_000_000_000_000+s.albumSeq, 10)
	out := make([]models.Message, 0, len(files))
	for _, f := range files {
		msg := models.Message{MediaGroupID: group, HasProtectedContent: r.boolParam("protect_content")}
		attachFile(&msg, f, 0, 0, 0)
		m := s.addMessageLocked(c, true, msg)
		m.fileID = f.id
		out = append(out, m.msg)
	}
	return out, nil
}
