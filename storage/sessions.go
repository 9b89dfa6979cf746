package storage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/keys"
)

// RedisSessions keeps each chat's conversation state in Redis, sealed, under
// prefix+"session:"+chatKey, for ttl after its last save. Losing Redis
// loses only unfinished drafts.
type RedisSessions struct {
	client *redis.Client
	prefix string
	ttl    time.Duration
	ring   *keys.Ring
}

// NewRedisSessions returns sessions stored through client. prefix
// separates deployments (and tests) sharing one Redis; ttl, which must be
// positive, is how long an untouched session lives.
func NewRedisSessions(client *redis.Client, prefix string, ttl time.Duration, ring *keys.Ring) *RedisSessions {
	return &RedisSessions{client: client, prefix: prefix, ttl: ttl, ring: ring}
}

// key is the Redis key of a chat's session; it is also the additional data
// of the sealed value, so a value copied to another key does not open.
func (s *RedisSessions) key(chatKey string) string {
	return s.prefix + "session:" + chatKey
}

// Load returns a chat's session, or tipline.ErrNotFound when there is none
// or it expired. A session sealed with a retired key gives an error that
// wraps keys.ErrUndecryptable.
func (s *RedisSessions) Load(ctx context.Context, chatKey string) ([]byte, error) {
	key := s.key(chatKey)
	sealed, err := s.client.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("load session: %w", tipline.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load session: %w", redisErr(err))
	}
	data, err := s.ring.Open(sealed, key)
	if err != nil {
		return nil, fmt.Errorf("load session: %w", err)
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

// Save stores a chat's session, sealed, and starts its time to live again.
func (s *RedisSessions) Save(ctx context.Context, chatKey string, data []byte) error {
	key := s.key(chatKey)
	if err := s.client.Set(ctx, key, s.ring.Seal(data, key), s.ttl).Err(); err != nil {
		return fmt.Errorf("save session: %w", redisErr(err))
	}
	return nil
}

// Delete removes a chat's session; deleting a missing one is not an error.
func (s *RedisSessions) Delete(ctx context.Context, chatKey string) error {
	if err := s.client.Del(ctx, s.key(chatKey)).Err(); err != nil {
		return fmt.Errorf("delete session: %w", redisErr(err))
	}
	return nil
}

// A marker is a flag with a time to live and no content, kept next to the
// sessions: the bot marks a chat whose draft it holds, so that when the
// session has expired it can tell the reporter so instead of dropping their
// message silently. Names are opaque (such as a chat key).

// markKey is the Redis key of a marker.
func (s *RedisSessions) markKey(name string) string {
	return s.prefix + "mark:" + name
}

// checkMarkTTL refuses a marker that would never expire or is already gone.
func checkMarkTTL(ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("%w: marker time to live not positive", ErrInvalid)
	}
	return nil
}

// Mark sets the marker name, holding "1", for ttl (which must be
// positive), starting its time to live again if it was set.
func (s *RedisSessions) Mark(ctx context.Context, name string, ttl time.Duration) error {
	if err := checkMarkTTL(ttl); err != nil {
		return fmt.Errorf("set marker: %w", err)
	}
	if err := s.client.Set(ctx, s.markKey(name), "1", ttl).Err(); err != nil {
		return fmt.Errorf("set marker: %w", redisErr(err))
	}
	return nil
}

// Marked tells whether the marker name is set and has not expired.
func (s *RedisSessions) Marked(ctx context.Context, name string) (bool, error) {
	n, err := s.client.Exists(ctx, s.markKey(name)).Result()
	if err != nil {
		return false, fmt.Errorf("read marker: %w", redisErr(err))
	}
	return n > 0, nil
}

// Unmark removes the marker name; removing a missing one is not an error.
func (s *RedisSessions) Unmark(ctx context.Context, name string) error {
	if err := s.client.Del(ctx, s.markKey(name)).Err(); err != nil {
		return fmt.Errorf("remove marker: %w", redisErr(err))
	}
	return nil
}

// MemorySessions keeps sessions in memory for the sandbox, with the same
// behaviour as RedisSessions. It is safe for concurrent use.
type MemorySessions struct {
	ttl time.Duration
	now func() time.Time

	mu        sync.Mutex
	sessions  map[string]memSession
	marks     map[string]time.Time // marker → when it expires
	nextSweep time.Time
}

type memSession struct {
	data    []byte
	expires time.Time
}

// NewMemorySessions returns empty sessions that expire ttl after their last
// save, reading the time from now (time.Now when nil).
func NewMemorySessions(ttl time.Duration, now func() time.Time) *MemorySessions {
	if now == nil {
		now = time.Now
	}
	return &MemorySessions{ttl: ttl, now: now, sessions: map[string]memSession{}, marks: map[string]time.Time{}}
}

// Load returns a copy of a chat's session, or tipline.ErrNotFound when
// there is none or it expired.
func (s *MemorySessions) Load(ctx context.Context, chatKey string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("load session: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[chatKey]
	if ok && !s.now().Before(sess.expires) {
		delete(s.sessions, chatKey)
		ok = false
	}
	if !ok {
		return nil, fmt.Errorf("load session: %w", tipline.ErrNotFound)
	}
	return slices.Clone(sess.data), nil
}

// Save stores a copy of a chat's session and starts its time to live again.
func (s *MemorySessions) Save(ctx context.Context, chatKey string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweep(now)
	stored := slices.Clone(data)
	if stored == nil {
		stored = []byte{}
	}
	s.sessions[chatKey] = memSession{data: stored, expires: now.Add(s.ttl)}
	return nil
}

// Delete removes a chat's session; deleting a missing one is not an error.
func (s *MemorySessions) Delete(ctx context.Context, chatKey string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, chatKey)
	return nil
}

// sweep drops expired sessions and markers once per ttl, so abandoned chats
// do not pile up; s.mu must be held.
func (s *MemorySessions) sweep(now time.Time) {
	if now.Before(s.nextSweep) {
		return
	}
	for k, sess := range s.sessions {
		if !now.Before(sess.expires) {
			delete(s.sessions, k)
		}
	}
	for name, expires := range s.marks {
		if !now.Before(expires) {
			delete(s.marks, name)
		}
	}
	s.nextSweep = now.Add(s.ttl)
}

// Mark sets the marker name for ttl, as RedisSessions.Mark does.
func (s *MemorySessions) Mark(ctx context.Context, name string, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("set marker: %w", err)
	}
	if err := checkMarkTTL(ttl); err != nil {
		return fmt.Errorf("set marker: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweep(now)
	s.marks[name] = now.Add(ttl)
	return nil
}

// Marked tells whether the marker name is set and has not expired.
func (s *MemorySessions) Marked(ctx context.Context, name string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("read marker: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	expires, ok := s.marks[name]
	if ok && !s.now().Before(expires) {
		delete(s.marks, name)
		ok = false
	}
	return ok, nil
}

// Unmark removes the marker name; removing a missing one is not an error.
func (s *MemorySessions) Unmark(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("remove marker: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.marks, name)
	return nil
}
