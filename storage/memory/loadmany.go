package memory

import "context"

// LoadMany loads several chats' sessions at once, as
// redis.Sessions.LoadMany does: each as Load would.
func (s *Sessions) LoadMany(ctx context.Context, chatKeys []string) ([][]byte, []error, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	out, errs := make([][]byte, len(chatKeys)), make([]error, len(chatKeys))
	for i, c := range chatKeys {
		out[i], errs[i] = s.Load(ctx, c)
	}
	return out, errs, nil
}
