package redis

import (
	"context"
	"fmt"
)

// Ping checks that Redis answers (for /readyz and tipline doctor).
func (s *Sessions) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ping redis: %w", redisErr(err))
	}
	return nil
}
