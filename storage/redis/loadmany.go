package redis

import (
	"context"
	"fmt"

	"github.com/tipline/tipline"
)

// LoadMany loads several chats' sessions in one round trip (MGET), for a
// batch of updates claimed together: out[i] and errs[i] are what Load
// would give for chatKeys[i] (ErrNotFound, a retired key). err is for the
// whole call (Redis failed).
func (s *Sessions) LoadMany(ctx context.Context, chatKeys []string) (out [][]byte, errs []error, err error) {
	if len(chatKeys) == 0 {
		return nil, nil, nil
	}
	keys := make([]string, len(chatKeys))
	for i, c := range chatKeys {
		keys[i] = s.key(c)
	}
	vals, err := s.client.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, nil, fmt.Errorf("load sessions: %w", redisErr(err))
	}
	out, errs = make([][]byte, len(keys)), make([]error, len(keys))
	for i, v := range vals {
		sealed, ok := v.(string)
		if !ok { // nil: no session
			errs[i] = fmt.Errorf("load session: %w", tipline.ErrNotFound)
			continue
		}
		data, err := s.ring.Open([]byte(sealed), keys[i])
		if err != nil {
			errs[i] = fmt.Errorf("load session: %w", err)
			continue
		}
		if data == nil {
			data = []byte{}
		}
		out[i] = data
	}
	return out, errs, nil
}
