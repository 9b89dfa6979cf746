package bot

import (
	"context"
	"sync"

	"github.com/tipline/tipline/storage"
)

// sessionsLoader loads several chats' sessions in one round trip
// (redis.Sessions and memory.Sessions do).
type sessionsLoader interface {
	LoadMany(ctx context.Context, chatKeys []string) ([][]byte, []error, error)
}

// prefetch holds the sessions of a claimed batch, loaded in one round trip
// instead of one per update. Each is used once, by its chat's update in
// hand: the chat's next update cannot be claimed before this one is
// completed, so what was loaded at the claim is what the update would
// have read; it is dropped when the update is finished, used or not.
//
// It holds too what the store knew of each update's sender at the claim
// (screenSenders): whether they are a reviewer and whether they are
// blocked, read for the whole batch in one statement. A sender becomes a
// reviewer only by an update of their own chat, completed before this one
// was claimed; a block made since the claim counts from the chat's next
// update, as one made while the update was processed always did.
type prefetch struct {
	mu       sync.Mutex
	m        map[string]prefetched // by chat key
	screened map[int64]screened    // by update id
}

// screened is what the store knew of an update's sender at the claim.
type screened struct {
	telegramID int64
	storage.Screening
}

type prefetched struct {
	data []byte
	err  error
}

// prefetchSessions loads the sessions of claimed updates at once. When it
// cannot, each update loads its own, as before.
func (b *Bot) prefetchSessions(ctx context.Context, items []storage.InboxItem) {
	loader, ok := b.sessions.(sessionsLoader)
	if !ok || len(items) < 2 {
		return
	}
	var chats []string
	for _, it := range items {
		if !it.Sealed {
			chats = append(chats, it.ChatKey)
		}
	}
	data, errs, err := loader.LoadMany(ctx, chats)
	if err != nil || len(data) != len(chats) || len(errs) != len(chats) {
		return
	}
	b.prefetched.mu.Lock()
	defer b.prefetched.mu.Unlock()
	if b.prefetched.m == nil {
		b.prefetched.m = map[string]prefetched{}
	}
	for i, c := range chats {
		b.prefetched.m[c] = prefetched{data: data[i], err: errs[i]}
	}
}

// sessionData is the chat's stored session: the one loaded with its batch
// if there is one (taken, so it is used once), else loaded now.
func (b *Bot) sessionData(ctx context.Context, chatKey string) ([]byte, error) {
	b.prefetched.mu.Lock()
	p, ok := b.prefetched.m[chatKey]
	delete(b.prefetched.m, chatKey)
	b.prefetched.mu.Unlock()
	if ok {
		return p.data, p.err
	}
	return b.sessions.Load(ctx, chatKey)
}

// dropPrefetched forgets what was loaded for an update once it is
// finished, whether or not it was used.
func (b *Bot) dropPrefetched(item storage.InboxItem) {
	b.prefetched.mu.Lock()
	delete(b.prefetched.m, item.ChatKey)
	delete(b.prefetched.screened, item.UpdateID)
	b.prefetched.mu.Unlock()
}

// screenSenders asks the store, for the private chats of a claimed batch
// at once, who is a reviewer and who is blocked. When it cannot, each
// update asks for itself, as before.
func (b *Bot) screenSenders(ctx context.Context, items []storage.InboxItem) {
	var (
		senders []storage.Sender
		ids     []int64
	)
	for _, it := range items {
		if it.Sealed {
			continue
		}
		u, ok := readUpdate(it.Payload)
		if !ok {
			continue
		}
		// In a private chat the chat is the user.
		if user, _ := u.privateChat(); user > 0 {
			senders = append(senders, storage.Sender{TelegramID: user, Pseudonyms: b.ring.Pseudonyms(user)})
			ids = append(ids, it.UpdateID)
		}
	}
	if len(senders) == 0 {
		return // even one is worth it: one statement instead of two
	}
	found, err := b.store.ScreenSenders(ctx, senders)
	if err != nil || len(found) != len(senders) {
		return
	}
	b.prefetched.mu.Lock()
	defer b.prefetched.mu.Unlock()
	if b.prefetched.screened == nil {
		b.prefetched.screened = map[int64]screened{}
	}
	for i, id := range ids {
		b.prefetched.screened[id] = screened{telegramID: senders[i].TelegramID, Screening: found[i]}
	}
}

// screening is what the store knew of the update's sender at its claim,
// if it was screened with its batch and the sender is userID (taken, so
// it is used once).
func (b *Bot) screening(updateID, userID int64) (storage.Screening, bool) {
	b.prefetched.mu.Lock()
	defer b.prefetched.mu.Unlock()
	s, ok := b.prefetched.screened[updateID]
	delete(b.prefetched.screened, updateID)
	return s.Screening, ok && s.telegramID == userID
}
