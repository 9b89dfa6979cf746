package redis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

// Sessions keeps each chat's conversation state in Redis, sealed, under
// prefix+"session:"+chatKey, for ttl after its last save. Losing Redis
// loses only unfinished drafts.
type Sessions struct {
	client *redis.Client
	prefix string
	ttl    time.Duration
	ring   *keys.Ring
}

// NewSessions returns sessions stored through client. prefix
// separates deployments (and tests) sharing one Redis; ttl, which must be
// positive, is how long an untouched session lives.
func NewSessions(client *redis.Client, prefix string, ttl time.Duration, ring *keys.Ring) *Sessions {
	return &Sessions{client: client, prefix: prefix, ttl: ttl, ring: ring}
}

// key is the Redis key of a chat's session; it is also the additional data
// of the sealed value, so a value copied to another key does not open.
func (s *Sessions) key(chatKey string) string {
	return s.prefix + "session:" + chatKey
}

// Load returns a chat's session, or tipline.ErrNotFound when there is none
// or it expired. A session sealed with a retired key gives an error that
// wraps keys.ErrUndecryptable.
func (s *Sessions) Load(ctx context.Context, chatKey string) ([]byte, error) {
	key := s.key(chatKey)
	sealed, err := s.client.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("load session: %w", tipline.ErrNotFound)
	}
	if wrongType(err) {
		return nil, fmt.Errorf("load session: %w: not a session", storage.ErrUnreadable)
	}
	if err != nil {
		return nil, fmt.Errorf("load session: %w", redisErr(err))
	}
	data, err := s.ring.Open(sealed, key)
	if err != nil {
		return nil, fmt.Errorf("load session: %w: %w", storage.ErrUnreadable, err)
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

// Save stores a chat's session, sealed, and starts its time to live again.
// A session over storage.MaxSessionBytes is refused before it reaches Redis.
func (s *Sessions) Save(ctx context.Context, chatKey string, data []byte) error {
	if err := rules.CheckSession(data); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	key := s.key(chatKey)
	if err := s.client.Set(ctx, key, s.ring.Seal(data, key), s.ttl).Err(); err != nil {
		return fmt.Errorf("save session: %w", redisErr(err))
	}
	return nil
}

// SaveMarked saves a chat's session as Save does and, in the same round
// trip, writes each marker (set for its TTL, or removed when TTL is 0):
// what a step of a conversation writes (the session, whether it holds a
// draft, the reporter's language and listening), one trip instead of
// several. Nothing is written when the session or a marker is refused.
func (s *Sessions) SaveMarked(ctx context.Context, chatKey string, data []byte, marks ...storage.Mark) error {
	return s.SaveAll(ctx, []storage.SessionSave{{ChatKey: chatKey, Data: data, Marks: marks}})[0]
}

// SaveAll is SaveMarked for several chats in one round trip: the steps
// of a group of updates committed together. Each save has its own
// outcome, in order; nothing of a refused one is written.
func (s *Sessions) SaveAll(ctx context.Context, saves []storage.SessionSave) []error {
	errs := make([]error, len(saves))
	cmds := make([][]redis.Cmder, len(saves))
	p := s.client.Pipeline()
	for i, sv := range saves {
		if err := rules.CheckSession(sv.Data); err != nil {
			errs[i] = fmt.Errorf("save session: %w", err)
			continue
		}
		if err := rules.CheckMarks(sv.Marks); err != nil {
			errs[i] = fmt.Errorf("save session: %w", err)
			continue
		}
		key := s.key(sv.ChatKey)
		cmds[i] = append(cmds[i], p.Set(ctx, key, s.ring.Seal(sv.Data, key), s.ttl))
		for _, m := range sv.Marks {
			if m.TTL == 0 {
				cmds[i] = append(cmds[i], p.Del(ctx, s.markKey(m.Name)))
				continue
			}
			cmds[i] = append(cmds[i], p.Set(ctx, s.markKey(m.Name), rules.MarkValue(m), m.TTL))
		}
	}
	if p.Len() == 0 {
		return errs
	}
	_, _ = p.Exec(ctx) // each command holds its own error
	for i, cs := range cmds {
		for _, c := range cs {
			if err := c.Err(); err != nil {
				errs[i] = fmt.Errorf("save session: %w", redisErr(err))
				break
			}
		}
	}
	return errs
}

// Delete removes a chat's session; deleting a missing one is not an error.
func (s *Sessions) Delete(ctx context.Context, chatKey string) error {
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
func (s *Sessions) markKey(name string) string {
	return s.prefix + "mark:" + name
}

// Mark sets the marker name, holding "1", for ttl (which must be
// positive), starting its time to live again if it was set.
func (s *Sessions) Mark(ctx context.Context, name string, ttl time.Duration) error {
	if err := rules.CheckMarkTTL(ttl); err != nil {
		return fmt.Errorf("set marker: %w", err)
	}
	if err := s.client.Set(ctx, s.markKey(name), "1", ttl).Err(); err != nil {
		return fmt.Errorf("set marker: %w", redisErr(err))
	}
	return nil
}

// MarkWith sets the marker name holding a short value (a reporter's
// chosen language) for ttl, starting its time to live again. Marked tells
// it is set; Unmark removes it.
func (s *Sessions) MarkWith(ctx context.Context, name, value string, ttl time.Duration) error {
	if err := rules.CheckMarkTTL(ttl); err != nil {
		return fmt.Errorf("set marker: %w", err)
	}
	if err := rules.CheckMarkValue(value); err != nil {
		return fmt.Errorf("set marker: %w", err)
	}
	if err := s.client.Set(ctx, s.markKey(name), value, ttl).Err(); err != nil {
		return fmt.Errorf("set marker: %w", redisErr(err))
	}
	return nil
}

// MarkValue returns the value the marker name holds ("1" for one set with
// Mark), or "" when it is not set or expired.
func (s *Sessions) MarkValue(ctx context.Context, name string) (string, error) {
	v, err := s.client.Get(ctx, s.markKey(name)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read marker: %w", redisErr(err))
	}
	return v, nil
}

// MarkValues returns what each marker holds, "" for one not set, in one
// round trip (MGET): what a step needs of a reporter's markers (their
// language, listening, cases awaiting an answer) read at once. A key of
// another type reads as not set.
func (s *Sessions) MarkValues(ctx context.Context, names ...string) ([]string, error) {
	if len(names) == 0 {
		return nil, nil
	}
	keys := make([]string, len(names))
	for i, name := range names {
		keys[i] = s.markKey(name)
	}
	vs, err := s.client.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("read markers: %w", redisErr(err))
	}
	out := make([]string, len(names))
	for i, v := range vs {
		if v, ok := v.(string); ok {
			out[i] = v
		}
	}
	return out, nil
}

// Marked tells whether the marker name is set and has not expired.
func (s *Sessions) Marked(ctx context.Context, name string) (bool, error) {
	n, err := s.client.Exists(ctx, s.markKey(name)).Result()
	if err != nil {
		return false, fmt.Errorf("read marker: %w", redisErr(err))
	}
	return n > 0, nil
}

// Unmark removes the marker name; removing a missing one is not an error.
func (s *Sessions) Unmark(ctx context.Context, name string) error {
	if err := s.client.Del(ctx, s.markKey(name)).Err(); err != nil {
		return fmt.Errorf("remove marker: %w", redisErr(err))
	}
	return nil
}

// LoadMany loads several chats' sessions in one round trip, for a batch
// of updates claimed together: out[i] and errs[i] are what Load would
// give for chatKeys[i]. err is for the whole call (Redis failed).
func (s *Sessions) LoadMany(ctx context.Context, chatKeys []string) (out [][]byte, errs []error, err error) {
	if len(chatKeys) == 0 {
		return nil, nil, nil
	}
	got, err := s.ReadBatch(ctx, storage.BatchRead{Chats: chatKeys})
	if err != nil {
		return nil, nil, err
	}
	return got.Sessions, got.SessionErrs, nil
}

// ReadBatch reads what a claimed batch of updates needs in one round trip
// (a pipeline): the sessions of r.Chats, each as Load gives it
// (ErrNotFound; ErrUnreadable for a key of another type or a value we did
// not seal, a retired key), and the markers r.Marks in one MGET, as
// MarkValues. A pipeline of GETs rather than one MGET for the sessions,
// because MGET answers nil alike for a missing key and one of another
// type, and the second must be told apart to be healed (G5). Sessions
// alone count no calls: r.Checks is refused with ErrInvalid (Shared
// counts them).
func (s *Sessions) ReadBatch(ctx context.Context, r storage.BatchRead) (storage.BatchReads, error) {
	if len(r.Checks) > 0 {
		return storage.BatchReads{}, fmt.Errorf("read batch: %w: no rate limiter", tipline.ErrInvalid)
	}
	return s.readBatch(ctx, r, nil)
}

// readBatch is ReadBatch, counting r.Checks with l in the same pipeline.
func (s *Sessions) readBatch(ctx context.Context, r storage.BatchRead, l *Limiter) (storage.BatchReads, error) {
	var out storage.BatchReads
	pipe := s.client.Pipeline()
	keys := make([]string, len(r.Chats))
	gets := make([]*redis.StringCmd, len(r.Chats))
	for i, c := range r.Chats {
		keys[i] = s.key(c)
		gets[i] = pipe.Get(ctx, keys[i])
	}
	var marks *redis.SliceCmd
	if len(r.Marks) > 0 {
		mkeys := make([]string, len(r.Marks))
		for i, name := range r.Marks {
			mkeys[i] = s.markKey(name)
		}
		marks = pipe.MGet(ctx, mkeys...)
	}
	checks := make([]*redis.Cmd, len(r.Checks))
	for i, c := range r.Checks {
		cmd, err := l.allowIn(ctx, pipe, c)
		if err != nil {
			return out, fmt.Errorf("read batch: %w", err)
		}
		checks[i] = cmd
	}
	if pipe.Len() == 0 {
		return out, nil
	}
	// Each command's own error is read below: a missing session or a
	// script the server does not hold yet is not the batch's failure.
	_, _ = pipe.Exec(ctx)
	out.Sessions, out.SessionErrs = make([][]byte, len(gets)), make([]error, len(gets))
	for i, cmd := range gets {
		sealed, err := cmd.Bytes()
		switch {
		case errors.Is(err, redis.Nil):
			out.SessionErrs[i] = fmt.Errorf("load session: %w", tipline.ErrNotFound)
			continue
		case wrongType(err):
			out.SessionErrs[i] = fmt.Errorf("load session: %w: not a session", storage.ErrUnreadable)
			continue
		case err != nil:
			return storage.BatchReads{}, fmt.Errorf("load sessions: %w", redisErr(err))
		}
		data, err := s.ring.Open(sealed, keys[i])
		if err != nil {
			out.SessionErrs[i] = fmt.Errorf("load session: %w: %w", storage.ErrUnreadable, err)
			continue
		}
		if data == nil {
			data = []byte{}
		}
		out.Sessions[i] = data
	}
	if marks != nil {
		vs, err := marks.Result()
		if err != nil {
			return storage.BatchReads{}, fmt.Errorf("read markers: %w", redisErr(err))
		}
		out.Marks = make([]string, len(r.Marks))
		for i, v := range vs {
			if v, ok := v.(string); ok {
				out.Marks[i] = v
			}
		}
	}
	out.Allowed, out.Known = make([]bool, len(checks)), make([]bool, len(checks))
	for i, cmd := range checks {
		// Not known (the script not loaded yet, Redis failed): not
		// counted either, and the caller's own Allow says.
		if n, err := cmd.Int(); err == nil {
			out.Allowed[i], out.Known[i] = n == 1, true
		}
	}
	return out, nil
}
