package redis

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// LoadMany loads several chats' sessions in one round trip (a pipeline of
// GETs), for a batch of updates claimed together: out[i] and errs[i] are
// what Load would give for chatKeys[i] (ErrNotFound; ErrUnreadable for a
// key of another type or a value we did not seal, a retired key). err is
// for the whole call (Redis failed). A pipeline rather than MGET, because
// MGET answers nil alike for a missing key and one of another type, and
// the second must be told apart to be healed (G5).
func (s *Sessions) LoadMany(ctx context.Context, chatKeys []string) (out [][]byte, errs []error, err error) {
	if len(chatKeys) == 0 {
		return nil, nil, nil
	}
	keys := make([]string, len(chatKeys))
	cmds := make([]*redis.StringCmd, len(chatKeys))
	pipe := s.client.Pipeline()
	for i, c := range chatKeys {
		keys[i] = s.key(c)
		cmds[i] = pipe.Get(ctx, keys[i])
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) && !wrongType(err) {
		return nil, nil, fmt.Errorf("load sessions: %w", redisErr(err))
	}
	out, errs = make([][]byte, len(keys)), make([]error, len(keys))
	for i, cmd := range cmds {
		sealed, err := cmd.Bytes()
		switch {
		case errors.Is(err, redis.Nil):
			errs[i] = fmt.Errorf("load session: %w", tipline.ErrNotFound)
			continue
		case wrongType(err):
			errs[i] = fmt.Errorf("load session: %w: not a session", storage.ErrUnreadable)
			continue
		case err != nil:
			return nil, nil, fmt.Errorf("load sessions: %w", redisErr(err))
		}
		data, err := s.ring.Open(sealed, keys[i])
		if err != nil {
			errs[i] = fmt.Errorf("load session: %w: %w", storage.ErrUnreadable, err)
			continue
		}
		if data == nil {
			data = []byte{}
		}
		out[i] = data
	}
	return out, errs, nil
}
