package redis

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/storage"
)

// Shared is the sessions and the rate limiter on one client and prefix,
// given to the bot as both: a claimed batch's calls to count then go in
// the pipeline that reads its sessions and markers (ReadBatch), instead of
// a round trip of their own per update.
type Shared struct {
	*Sessions
	*Limiter
}

// NewShared returns sessions (as NewSessions) and a limiter (as
// NewLimiter) through client under prefix.
func NewShared(client *redis.Client, prefix string, ttl time.Duration, ring *keys.Ring) *Shared {
	return &Shared{Sessions: NewSessions(client, prefix, ttl, ring), Limiter: NewLimiter(client, prefix)}
}

// ReadBatch is Sessions.ReadBatch, with r.Checks counted as Allow counts
// them, in order, in the same round trip. A check the batch could not
// make (the server did not hold the script yet) is not Known and was not
// counted.
func (s *Shared) ReadBatch(ctx context.Context, r storage.BatchRead) (storage.BatchReads, error) {
	return s.readBatch(ctx, r, s.Limiter)
}
