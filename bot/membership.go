package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/outbox"
	"github.com/tipline/tipline/storage"
)

// Telegram tells the bot when its place in a chat changes (my_chat_member):
// a person blocks or unblocks it in their private chat, or adds it to a
// group or channel. Knowing about a block before it costs anything, an
// unreachable reviewer is passed over before a case arrives (G17), and a
// reporter who blocked the bot has nothing more queued to them. In a group
// or channel the bot says once, in three languages, that reports are taken
// only in a private chat, and leaves: it never runs a conversation there,
// reads nothing and keeps nothing of it.

// memberUpdate handles a my_chat_member update and completes it.
func (b *Bot) memberUpdate(ctx context.Context, item storage.InboxItem, m *models.ChatMemberUpdated) error {
	out := b.newBatch(updateBatchPrefix(item.UpdateID))
	if m.Chat.Type == models.ChatTypePrivate {
		if err := b.privateMember(ctx, item, m, out); err != nil {
			return err
		}
	} else if joined(m) {
		b.leaveGroup(m.Chat.ID, out)
		b.log.Info("added to a group or channel: said where reports go, and leaving", "type", m.Chat.Type)
	}
	return b.complete(ctx, item, out.Entries)
}

// privateMember handles a person blocking or unblocking the bot.
func (b *Bot) privateMember(ctx context.Context, item storage.InboxItem, m *models.ChatMemberUpdated, out *outbox.Batch) error {
	blocked := m.NewChatMember.Type == models.ChatMemberTypeBanned
	unblocked := m.OldChatMember.Type == models.ChatMemberTypeBanned && !blocked
	if !blocked && !unblocked {
		return nil
	}
	rv, err := b.store.ReviewerByTelegram(ctx, m.Chat.ID)
	switch {
	case err == nil && rv.Active && blocked:
		return b.reviewerGone(ctx, rv)
	case err == nil && rv.Active:
		return b.reviewerBack(ctx, rv, out)
	case err != nil && !errors.Is(err, tipline.ErrNotFound):
		return fmt.Errorf("find reviewer: %w", err)
	case blocked:
		n, err := b.store.OutboxDropChat(ctx, item.ChatKey, "the person blocked the bot")
		if err != nil {
			return err
		}
		b.log.Info("a reporter blocked the bot; nothing more is sent to them", "set_aside", n)
	}
	return nil
}

// joined tells whether the update says the bot was added to the chat.
func joined(m *models.ChatMemberUpdated) bool {
	in := func(t models.ChatMemberType) bool {
		return t == models.ChatMemberTypeMember || t == models.ChatMemberTypeAdministrator || t == models.ChatMemberTypeRestricted
	}
	return in(m.NewChatMember.Type) && !in(m.OldChatMember.Type)
}

// leaveGroup queues the one message a group or channel gets, in every
// language, then the bot's leaving.
func (b *Bot) leaveGroup(chatID int64, out *outbox.Batch) {
	link := "https://t.me/" + b.username()
	var parts []string
	for _, lang := range locales.Languages {
		parts = append(parts, b.render.cat.Text(lang, "group_private_only", map[string]any{"URL": link}))
	}
	out.Text(chatID, tipline.LaneReply, strings.Join(parts, "\n\n"), nil, false)
	out.Leave(chatID)
}

// username is the bot's Telegram username, learnt at Setup.
func (b *Bot) username() string {
	if u, ok := b.botName.Load().(string); ok && u != "" {
		return u
	}
	return "" // not learnt yet: the link opens Telegram's search
}

// learnUsername asks Telegram the bot's username, for links to it.
func (b *Bot) learnUsername(ctx context.Context) error {
	return b.call(ctx, "getMe", func(ctx context.Context) error {
		me, err := b.api.GetMe(ctx)
		if err == nil {
			b.botName.Store(me.Username)
		}
		return err
	})
}
