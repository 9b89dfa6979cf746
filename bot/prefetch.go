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
type prefetch struct {
	mu sync.Mutex
	m  map[string]prefetched // by chat key
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

// dropPrefetched forgets a chat's prefetched session once its update is
// finished, whether or not the update read it.
func (b *Bot) dropPrefetched(chatKey string) {
	b.prefetched.mu.Lock()
	delete(b.prefetched.m, chatKey)
	b.prefetched.mu.Unlock()
}
