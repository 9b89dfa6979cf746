// Package redis keeps what all bot processes share for a short while in
// Redis: conversation sessions (sealed with the key ring) and session
// markers (Sessions), the rate limiter (Limiter) and the throttle that
// paces calls to Telegram (Throttle). Errors from a server that cannot be
// reached satisfy errors.Is(err, storage.ErrUnavailable). Shared holds the
// sessions and the rate limiter as one, so that a claimed batch's reads and
// its rate-limit checks go to Redis in one round trip.
package redis

import (
	"errors"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/tipline/tipline/storage/internal/rules"
)

// redisErr marks err as storage.ErrUnavailable when it comes from a Redis server
// that is down, unreachable or not ready.
func redisErr(err error) error {
	if err == nil {
		return nil
	}
	if rules.NetUnavailable(err) || errors.Is(err, redis.ErrClosed) || errors.Is(err, redis.ErrPoolTimeout) ||
		redis.IsLoadingError(err) || redis.IsMasterDownError(err) || redis.IsMaxClientsError(err) ||
		redis.IsTryAgainError(err) || redis.IsClusterDownError(err) {
		return rules.Unavailable(err)
	}
	return err
}

// wrongType tells Redis's WRONGTYPE answer: the key holds a value of
// another type, which no retry will change.
func wrongType(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "WRONGTYPE")
}
