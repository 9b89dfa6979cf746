package redis_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/storage"
	redisstore "github.com/tipline/tipline/storage/redis"
	"github.com/tipline/tipline/storage/storagetest"
)

// Canaries: values that must never be readable in Redis.
const (
	canaryChatID = 987654321987
	canaryAnswer = "CANARY-ANSWER-blue-house-near-the-market"
)

func TestRedisSessionIsSealed(t *testing.T) {
	ctx := t.Context()
	client, prefix := storagetest.NewRedis(t)
	ring := keys.NewRandomRing()
	const ttl = time.Hour
	sessions := redisstore.NewSessions(client, prefix, ttl, ring)
	chat := ring.ChatKey(canaryChatID)
	state := `{"state":"ask_where","answers":{"where":"` + canaryAnswer + `"},"chat":987654321987}`
	if err := sessions.Save(ctx, chat, []byte(state)); err != nil {
		t.Fatalf("Save: %v", err)
	}

	key := prefix + "session:" + chat
	raw, err := client.Get(ctx, key).Result()
	if err != nil {
		t.Fatalf("read the raw session at %s: %v", key, err)
	}
	for _, canary := range []string{canaryAnswer, "987654321987", "ask_where"} {
		if strings.Contains(raw, canary) {
			t.Errorf("the raw session contains %q", canary)
		}
	}
	left, err := client.PTTL(ctx, key).Result()
	if err != nil {
		t.Fatalf("PTTL: %v", err)
	}
	if left <= ttl-time.Minute || left > ttl {
		t.Errorf("session expires in %v, want about %v", left, ttl)
	}

	// The same ciphertext under another chat's key does not open.
	other := ring.ChatKey(123)
	if err := client.Set(ctx, prefix+"session:"+other, raw, ttl).Err(); err != nil {
		t.Fatalf("copy the session: %v", err)
	}
	if _, err := sessions.Load(ctx, other); !errors.Is(err, keys.ErrUndecryptable) {
		t.Fatalf("Load of a session copied from another chat: %v, want ErrUndecryptable", err)
	}
	if _, errs, err := sessions.LoadMany(ctx, []string{other}); err != nil || !errors.Is(errs[0], keys.ErrUndecryptable) {
		t.Fatalf("LoadMany of a session copied from another chat: %v, %v; want ErrUndecryptable", errs, err)
	}
}

func TestRedisUnavailable(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialerRetries: 1, DialTimeout: 2 * time.Second})
	defer client.Close()
	sessions := redisstore.NewSessions(client, "t:", time.Hour, keys.NewRandomRing())
	if _, err := sessions.Load(ctx, "chat"); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Load from a Redis that is down: %v, want ErrUnavailable", err)
	}
	if err := sessions.Save(ctx, "chat", []byte("state")); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Save to a Redis that is down: %v, want ErrUnavailable", err)
	}
	if err := sessions.Delete(ctx, "chat"); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Delete from a Redis that is down: %v, want ErrUnavailable", err)
	}
	if err := sessions.Mark(ctx, "chat", time.Hour); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Mark in a Redis that is down: %v, want ErrUnavailable", err)
	}
	if _, err := sessions.Marked(ctx, "chat"); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Marked in a Redis that is down: %v, want ErrUnavailable", err)
	}
	if err := sessions.Unmark(ctx, "chat"); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Unmark in a Redis that is down: %v, want ErrUnavailable", err)
	}
	limiter := redisstore.NewLimiter(client, "t:")
	if ok, err := limiter.Allow(ctx, "reporter", 5, time.Minute); ok || !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Allow with a Redis that is down = %v, %v; want not allowed, ErrUnavailable", ok, err)
	}
	if err := limiter.Reset(ctx, "reporter"); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Reset with a Redis that is down: %v, want ErrUnavailable", err)
	}
}

// TestRedisMarkerHoldsNothing checks where a marker lives and that it
// holds "1" and nothing of the chat.
func TestRedisMarkerHoldsNothing(t *testing.T) {
	ctx := t.Context()
	client, prefix := storagetest.NewRedis(t)
	ring := keys.NewRandomRing()
	sessions := redisstore.NewSessions(client, prefix, time.Hour, ring)
	chat := ring.ChatKey(canaryChatID)
	if err := sessions.Mark(ctx, chat, 10*time.Minute); err != nil {
		t.Fatalf("Mark: %v", err)
	}
	key := prefix + "mark:" + chat
	raw, err := client.Get(ctx, key).Result()
	if err != nil {
		t.Fatalf("read the raw marker at %s: %v", key, err)
	}
	if raw != "1" {
		t.Errorf("the marker holds %q, want \"1\"", raw)
	}
	left, err := client.PTTL(ctx, key).Result()
	if err != nil {
		t.Fatalf("PTTL: %v", err)
	}
	if left <= 9*time.Minute || left > 10*time.Minute {
		t.Errorf("marker expires in %v, want about 10m", left)
	}
	if err := sessions.Unmark(ctx, chat); err != nil {
		t.Fatalf("Unmark: %v", err)
	}
	if n, err := client.Exists(ctx, key).Result(); err != nil || n != 0 {
		t.Fatalf("the marker is still there after Unmark: %d, %v", n, err)
	}
}

// TestRedisLimiterKeyExpires checks that a key's log lives under the
// prefix and goes away by itself a window after the last allowed call.
func TestRedisLimiterKeyExpires(t *testing.T) {
	ctx := t.Context()
	client, prefix := storagetest.NewRedis(t)
	limiter := redisstore.NewLimiter(client, prefix)
	if ok, err := limiter.Allow(ctx, "reporter-a", 3, time.Minute); err != nil || !ok {
		t.Fatalf("Allow = %v, %v; want allowed", ok, err)
	}
	left, err := client.PTTL(ctx, prefix+"rate:reporter-a").Result()
	if err != nil {
		t.Fatalf("PTTL: %v", err)
	}
	if left <= 59*time.Second || left > time.Minute {
		t.Errorf("the log expires in %v, want about a minute", left)
	}
}

// TestRedisSessionOfAnotherType: a session key overwritten with another
// Redis type (a hash) is unreadable, not unavailable, so the bot drops it
// instead of retrying forever; Delete and Save heal it.
func TestRedisSessionOfAnotherType(t *testing.T) {
	ctx := t.Context()
	client, prefix := storagetest.NewRedis(t)
	ring := keys.NewRandomRing()
	sessions := redisstore.NewSessions(client, prefix, time.Hour, ring)
	chat := ring.ChatKey(42)
	if err := client.HSet(ctx, prefix+"session:"+chat, "field", "value").Err(); err != nil {
		t.Fatal(err)
	}
	_, err := sessions.Load(ctx, chat)
	if !errors.Is(err, storage.ErrUnreadable) || errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("Load of a hash: %v, want ErrUnreadable (not unavailable)", err)
	}
	// Loaded with a batch, it is told apart from a missing session too.
	other := ring.ChatKey(43)
	if _, errs, err := sessions.LoadMany(ctx, []string{chat, other}); err != nil || !errors.Is(errs[0], storage.ErrUnreadable) || !errors.Is(errs[1], tipline.ErrNotFound) {
		t.Fatalf("LoadMany of a hash and a missing session: %v, %v; want ErrUnreadable, then ErrNotFound", errs, err)
	}
	if err := client.Set(ctx, prefix+"session:"+chat, "not sealed", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := sessions.Load(ctx, chat); !errors.Is(err, storage.ErrUnreadable) {
		t.Fatalf("Load of a value not sealed by us: %v, want ErrUnreadable", err)
	}
	if _, errs, err := sessions.LoadMany(ctx, []string{chat}); err != nil || !errors.Is(errs[0], storage.ErrUnreadable) {
		t.Fatalf("LoadMany of a value not sealed by us: %v, %v; want ErrUnreadable", errs, err)
	}
	if err := sessions.Delete(ctx, chat); err != nil {
		t.Fatal(err)
	}
	if err := sessions.Save(ctx, chat, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if got, err := sessions.Load(ctx, chat); err != nil || string(got) != `{}` {
		t.Fatalf("Load after a new Save = %q, %v", got, err)
	}
}

// TestReadBatchWithoutScript: a batch's check whose script the server no
// longer holds (a restart, SCRIPT FLUSH) is not known and not counted;
// the caller's own Allow then loads the script and counts it once.
func TestReadBatchWithoutScript(t *testing.T) {
	client, prefix := storagetest.NewRedis(t)
	ctx := t.Context()
	s := redisstore.NewShared(client, prefix, time.Minute, keys.NewRandomRing())
	if err := client.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	check := storage.Check{Key: "reporter-a", Limit: 1, Window: time.Minute}
	got, err := s.ReadBatch(ctx, storage.BatchRead{Chats: []string{"chat-a"}, Checks: []storage.Check{check}})
	if err != nil {
		t.Fatalf("ReadBatch with the script flushed: %v", err)
	}
	if got.Known[0] || !errors.Is(got.SessionErrs[0], tipline.ErrNotFound) {
		t.Fatalf("ReadBatch with the script flushed: known %v, session %v; want not known, not found", got.Known, got.SessionErrs)
	}
	if ok, err := s.Allow(ctx, check.Key, check.Limit, check.Window); err != nil || !ok {
		t.Fatalf("Allow after an unknown check: %v, %v; want allowed (the check was not counted)", ok, err)
	}
	if ok, err := s.Allow(ctx, check.Key, check.Limit, check.Window); err != nil || ok {
		t.Fatalf("Allow over the limit: %v, %v; want refused", ok, err)
	}
}
