package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// SaveVoicePrompt keeps a recording of a prompt in a language, replacing
// the one before, and records who did it (actor) and how (action:
// storage.ActionVoiceRecorded or ActionVoiceImported) in the same
// transaction. A recording without key, language, file id or text hash is
// tipline.ErrInvalid.
func (p *Store) SaveVoicePrompt(ctx context.Context, v storage.VoicePrompt, actor, action string) error {
	if v.Key == "" || v.Lang == "" || v.FileID == "" || v.TextHash == "" {
		return fmt.Errorf("save voice prompt: %w: key, language, file and text hash are needed", tipline.ErrInvalid)
	}
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("save voice prompt %s/%s: %w", v.Lang, v.Key, dbErr(err))
	}
	defer tx.Rollback(ctx)
	const q = `
		insert into voice_prompts (key, lang, file_id, duration, recorded_by, recorded_at, text_hash)
		values ($1, $2, $3, $4, $5, $6, $7)
		on conflict (key, lang) do update set file_id = excluded.file_id, duration = excluded.duration,
			recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at, text_hash = excluded.text_hash`
	if _, err := tx.Exec(ctx, q, v.Key, v.Lang, v.FileID, v.Duration, v.RecordedBy, v.RecordedAt, v.TextHash); err != nil {
		return fmt.Errorf("save voice prompt %s/%s: %w", v.Lang, v.Key, dbErr(err))
	}
	if err := insertVoiceEvent(ctx, tx, v.Key, v.Lang, actor, action); err != nil {
		return fmt.Errorf("save voice prompt %s/%s: %w", v.Lang, v.Key, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("save voice prompt %s/%s: %w", v.Lang, v.Key, dbErr(err))
	}
	return nil
}

// RemoveVoicePrompt deletes a recording, audited; removing one that is
// not there does nothing.
func (p *Store) RemoveVoicePrompt(ctx context.Context, key, lang, actor string) error {
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("remove voice prompt %s/%s: %w", lang, key, dbErr(err))
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `delete from voice_prompts where key = $1 and lang = $2`, key, lang)
	if err != nil {
		return fmt.Errorf("remove voice prompt %s/%s: %w", lang, key, dbErr(err))
	}
	if tag.RowsAffected() == 0 {
		return nil
	}
	if err := insertVoiceEvent(ctx, tx, key, lang, actor, storage.ActionVoiceRemoved); err != nil {
		return fmt.Errorf("remove voice prompt %s/%s: %w", lang, key, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("remove voice prompt %s/%s: %w", lang, key, dbErr(err))
	}
	return nil
}

// VoicePrompts lists the recordings in a language ("" for all), by
// language then key.
func (p *Store) VoicePrompts(ctx context.Context, lang string) ([]storage.VoicePrompt, error) {
	const q = `
		select key, lang, file_id, duration, recorded_by, recorded_at, text_hash
		from voice_prompts where $1 = '' or lang = $1
		order by lang, key`
	rows, err := p.pool.Query(ctx, q, lang)
	if err != nil {
		return nil, fmt.Errorf("list voice prompts: %w", dbErr(err))
	}
	defer rows.Close()
	out := []storage.VoicePrompt{}
	for rows.Next() {
		var v storage.VoicePrompt
		if err := rows.Scan(&v.Key, &v.Lang, &v.FileID, &v.Duration, &v.RecordedBy, &v.RecordedAt, &v.TextHash); err != nil {
			return nil, fmt.Errorf("list voice prompts: %w", dbErr(err))
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list voice prompts: %w", dbErr(err))
	}
	return out, nil
}

// VoiceEvents lists the recordings' audit trail, oldest first.
func (p *Store) VoiceEvents(ctx context.Context) ([]storage.VoiceEvent, error) {
	rows, err := p.pool.Query(ctx, `select key, lang, actor, action, at from voice_prompt_events order by id`)
	if err != nil {
		return nil, fmt.Errorf("list voice events: %w", dbErr(err))
	}
	defer rows.Close()
	out := []storage.VoiceEvent{}
	for rows.Next() {
		var e storage.VoiceEvent
		if err := rows.Scan(&e.Key, &e.Lang, &e.Actor, &e.Action, &e.At); err != nil {
			return nil, fmt.Errorf("list voice events: %w", dbErr(err))
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list voice events: %w", dbErr(err))
	}
	return out, nil
}

func insertVoiceEvent(ctx context.Context, tx pgx.Tx, key, lang, actor, action string) error {
	const q = `insert into voice_prompt_events (key, lang, actor, action) values ($1, $2, $3, $4)`
	if _, err := tx.Exec(ctx, q, key, lang, actor, action); err != nil {
		return fmt.Errorf("audit %s: %w", action, dbErr(err))
	}
	return nil
}
