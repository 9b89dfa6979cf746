package memory

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

// Recordings of the prompts, with the semantics of the postgres.Store
// methods of the same names.

// SaveVoicePrompt keeps a recording, as postgres.Store.SaveVoicePrompt does.
func (m *Store) SaveVoicePrompt(ctx context.Context, v storage.VoicePrompt, actor, action string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("save voice prompt: %w", err)
	}
	if v.Key == "" || v.Lang == "" || v.FileID == "" || v.TextHash == "" {
		return fmt.Errorf("save voice prompt: %w: key, language, file and text hash are needed", tipline.ErrInvalid)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.voices == nil {
		m.voices = map[[2]string]storage.VoicePrompt{}
	}
	v.RecordedAt = rules.TruncateTime(v.RecordedAt)
	m.voices[[2]string{v.Key, v.Lang}] = v
	m.voiceLog = append(m.voiceLog, storage.VoiceEvent{Key: v.Key, Lang: v.Lang, Actor: actor, Action: action, At: rules.TruncateTime(m.now())})
	return nil
}

// RemoveVoicePrompt deletes a recording, as postgres.Store.RemoveVoicePrompt does.
func (m *Store) RemoveVoicePrompt(ctx context.Context, key, lang, actor string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("remove voice prompt: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := [2]string{key, lang}
	if _, ok := m.voices[k]; !ok {
		return nil
	}
	delete(m.voices, k)
	m.voiceLog = append(m.voiceLog, storage.VoiceEvent{Key: key, Lang: lang, Actor: actor, Action: storage.ActionVoiceRemoved, At: rules.TruncateTime(m.now())})
	return nil
}

// VoicePrompts lists recordings, as postgres.Store.VoicePrompts does.
func (m *Store) VoicePrompts(ctx context.Context, lang string) ([]storage.VoicePrompt, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list voice prompts: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []storage.VoicePrompt{}
	for _, v := range m.voices {
		if lang == "" || v.Lang == lang {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b storage.VoicePrompt) int {
		if c := strings.Compare(a.Lang, b.Lang); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out, nil
}

// VoiceEvents lists the recordings' audit trail, as postgres.Store.VoiceEvents does.
func (m *Store) VoiceEvents(ctx context.Context) ([]storage.VoiceEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list voice events: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]storage.VoiceEvent{}, m.voiceLog...), nil
}
