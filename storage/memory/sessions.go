package memory

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

// Sessions keeps sessions in memory for the sandbox, with the same
// behaviour as redis.Sessions. It is safe for concurrent use.
type Sessions struct {
	ttl time.Duration
	now func() time.Time

	mu        sync.Mutex
	sessions  map[string]memSession
	marks     map[string]memMark
	nextSweep time.Time
}

// memMark is a marker's value and when it expires.
type memMark struct {
	value   string
	expires time.Time
}

type memSession struct {
	data    []byte
	expires time.Time
}

// NewSessions returns empty sessions that expire ttl after their last
// save, reading the time from now (time.Now when nil).
func NewSessions(ttl time.Duration, now func() time.Time) *Sessions {
	if now == nil {
		now = time.Now
	}
	return &Sessions{ttl: ttl, now: now, sessions: map[string]memSession{}, marks: map[string]memMark{}}
}

// Load returns a copy of a chat's session, or tipline.ErrNotFound when
// there is none or it expired.
func (s *Sessions) Load(ctx context.Context, chatKey string) ([]byte, error) {
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
func (s *Sessions) Save(ctx context.Context, chatKey string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	if err := rules.CheckSession(data); err != nil {
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
func (s *Sessions) Delete(ctx context.Context, chatKey string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, chatKey)
	return nil
}

// SaveMarked saves a session and writes markers, as
// redis.Sessions.SaveMarked does: nothing when one is refused.
func (s *Sessions) SaveMarked(ctx context.Context, chatKey string, data []byte, marks ...storage.Mark) error {
	if err := rules.CheckMarks(marks); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	if err := s.Save(ctx, chatKey, data); err != nil {
		return err
	}
	for _, m := range marks {
		var err error
		if m.TTL == 0 {
			err = s.Unmark(ctx, m.Name)
		} else {
			err = s.MarkWith(ctx, m.Name, rules.MarkValue(m), m.TTL)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// SaveAll is SaveMarked for several chats, each with its own outcome, as
// redis.Sessions.SaveAll.
func (s *Sessions) SaveAll(ctx context.Context, saves []storage.SessionSave) []error {
	errs := make([]error, len(saves))
	for i, sv := range saves {
		errs[i] = s.SaveMarked(ctx, sv.ChatKey, sv.Data, sv.Marks...)
	}
	return errs
}

// sweep drops expired sessions and markers once per ttl, so abandoned chats
// do not pile up; s.mu must be held.
func (s *Sessions) sweep(now time.Time) {
	if now.Before(s.nextSweep) {
		return
	}
	for k, sess := range s.sessions {
		if !now.Before(sess.expires) {
			delete(s.sessions, k)
		}
	}
	for name, m := range s.marks {
		if !now.Before(m.expires) {
			delete(s.marks, name)
		}
	}
	s.nextSweep = now.Add(s.ttl)
}

// Mark sets the marker name for ttl, as redis.Sessions.Mark does.
func (s *Sessions) Mark(ctx context.Context, name string, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("set marker: %w", err)
	}
	if err := rules.CheckMarkTTL(ttl); err != nil {
		return fmt.Errorf("set marker: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweep(now)
	s.marks[name] = memMark{value: "1", expires: now.Add(ttl)}
	return nil
}

// MarkWith sets the marker name holding value for ttl, as
// redis.Sessions.MarkWith does.
func (s *Sessions) MarkWith(ctx context.Context, name, value string, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("set marker: %w", err)
	}
	if err := rules.CheckMarkTTL(ttl); err != nil {
		return fmt.Errorf("set marker: %w", err)
	}
	if err := rules.CheckMarkValue(value); err != nil {
		return fmt.Errorf("set marker: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweep(now)
	s.marks[name] = memMark{value: value, expires: now.Add(ttl)}
	return nil
}

// Marked tells whether the marker name is set and has not expired.
func (s *Sessions) Marked(ctx context.Context, name string) (bool, error) {
	v, err := s.MarkValue(ctx, name)
	return v != "", err
}

// MarkValue returns the value the marker name holds, or "" when it is not
// set or expired.
func (s *Sessions) MarkValue(ctx context.Context, name string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("read marker: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.marks[name]
	if ok && !s.now().Before(m.expires) {
		delete(s.marks, name)
		ok = false
	}
	if !ok {
		return "", nil
	}
	return m.value, nil
}

// MarkValues is MarkValue for several markers at once, as
// redis.Sessions.MarkValues does.
func (s *Sessions) MarkValues(ctx context.Context, names ...string) ([]string, error) {
	out := make([]string, len(names))
	for i, name := range names {
		v, err := s.MarkValue(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("read markers: %w", err)
		}
		out[i] = v
	}
	return out, nil
}

// Unmark removes the marker name; removing a missing one is not an error.
func (s *Sessions) Unmark(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("remove marker: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.marks, name)
	return nil
}

// LoadMany loads several chats' sessions at once, as
// redis.Sessions.LoadMany does: each as Load would.
func (s *Sessions) LoadMany(ctx context.Context, chatKeys []string) ([][]byte, []error, error) {
	got, err := s.ReadBatch(ctx, storage.BatchRead{Chats: chatKeys})
	return got.Sessions, got.SessionErrs, err
}

// ReadBatch reads a claimed batch's sessions and markers at once, as
// redis.Sessions.ReadBatch does: checks are refused (Shared counts them).
func (s *Sessions) ReadBatch(ctx context.Context, r storage.BatchRead) (storage.BatchReads, error) {
	if len(r.Checks) > 0 {
		return storage.BatchReads{}, fmt.Errorf("read batch: %w: no rate limiter", tipline.ErrInvalid)
	}
	return s.readBatch(ctx, r, nil)
}

// readBatch is ReadBatch, counting r.Checks with l.
func (s *Sessions) readBatch(ctx context.Context, r storage.BatchRead, l *Limiter) (storage.BatchReads, error) {
	if err := ctx.Err(); err != nil {
		return storage.BatchReads{}, err
	}
	out := storage.BatchReads{Sessions: make([][]byte, len(r.Chats)), SessionErrs: make([]error, len(r.Chats))}
	for i, c := range r.Chats {
		out.Sessions[i], out.SessionErrs[i] = s.Load(ctx, c)
	}
	if len(r.Marks) > 0 {
		vs, err := s.MarkValues(ctx, r.Marks...)
		if err != nil {
			return storage.BatchReads{}, err
		}
		out.Marks = vs
	}
	out.Allowed, out.Known = make([]bool, len(r.Checks)), make([]bool, len(r.Checks))
	for i, c := range r.Checks {
		ok, err := l.Allow(ctx, c.Key, c.Limit, c.Window)
		if err != nil {
			return storage.BatchReads{}, fmt.Errorf("read batch: %w", err)
		}
		out.Allowed[i], out.Known[i] = ok, true
	}
	return out, nil
}

// Shared is the sessions and the rate limiter as one, as redis.Shared is:
// ReadBatch counts a batch's checks with its reads.
type Shared struct {
	*Sessions
	*Limiter
}

// NewShared returns sessions (as NewSessions) and a limiter (as
// NewLimiter) reading the time from now.
func NewShared(ttl time.Duration, now func() time.Time) *Shared {
	return &Shared{Sessions: NewSessions(ttl, now), Limiter: NewLimiter(now)}
}

// ReadBatch is Sessions.ReadBatch, with r.Checks counted as Allow counts
// them, in order.
func (s *Shared) ReadBatch(ctx context.Context, r storage.BatchRead) (storage.BatchReads, error) {
	return s.readBatch(ctx, r, s.Limiter)
}
