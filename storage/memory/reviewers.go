package memory

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage/internal/rules"
)

// The reviewers' side of Store: invites, reviewers, the rota, routing
// jobs, notification copies and working a case, with the semantics of the
// postgres.Store methods of the same names. Times come from the now the caller
// passes, as they do for postgres.Store.

type memInvite struct {
	name    string
	admin   bool
	expires time.Time
}

// reviewer returns the reviewer with that id, or nil; m.mu must be held.
func (m *Store) reviewer(id int64) *tipline.Reviewer {
	if id < 1 || id > int64(len(m.reviewers)) {
		return nil
	}
	return &m.reviewers[id-1]
}

// CreateInvite stores an invite, as postgres.Store.CreateInvite does.
func (m *Store) CreateInvite(ctx context.Context, codeHash []byte, name string, admin bool, expires time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("create invite: %w", err)
	}
	if err := rules.CheckInvite(codeHash, name, expires); err != nil {
		return fmt.Errorf("create invite: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.invites[string(codeHash)]; ok {
		return fmt.Errorf("create invite: %w: code already invited", tipline.ErrInvalid)
	}
	m.invites[string(codeHash)] = memInvite{name: name, admin: admin, expires: rules.TruncateTime(expires)}
	return nil
}

// RedeemInvite turns an invite into a reviewer, once, as
// postgres.Store.RedeemInvite does.
func (m *Store) RedeemInvite(ctx context.Context, codeHash []byte, telegramID int64, lang string, now time.Time) (tipline.Reviewer, error) {
	if err := ctx.Err(); err != nil {
		return tipline.Reviewer{}, fmt.Errorf("redeem invite: %w", err)
	}
	if err := rules.CheckLang(lang); err != nil {
		return tipline.Reviewer{}, fmt.Errorf("redeem invite: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	inv, ok := m.invites[string(codeHash)]
	if !ok || len(codeHash) == 0 || !inv.expires.After(rules.TruncateTime(now)) {
		return tipline.Reviewer{}, rules.ErrInviteNotFound()
	}
	for _, rv := range m.reviewers {
		if rv.TelegramID == telegramID {
			return tipline.Reviewer{}, fmt.Errorf("redeem invite: %w: already a reviewer", tipline.ErrInvalid)
		}
	}
	delete(m.invites, string(codeHash))
	rv := tipline.Reviewer{
		ID: int64(len(m.reviewers)) + 1, Name: inv.name, TelegramID: telegramID, Lang: lang,
		Admin: inv.admin, Active: true, CreatedAt: rules.TruncateTime(now),
	}
	m.reviewers = append(m.reviewers, rv)
	return rv, nil
}

// ReviewerByTelegram returns the reviewer with that Telegram id, disabled
// or not, as postgres.Store.ReviewerByTelegram does.
func (m *Store) ReviewerByTelegram(ctx context.Context, telegramID int64) (tipline.Reviewer, error) {
	if err := ctx.Err(); err != nil {
		return tipline.Reviewer{}, fmt.Errorf("find reviewer: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, rv := range m.reviewers {
		if rv.TelegramID == telegramID {
			return rv, nil
		}
	}
	return tipline.Reviewer{}, fmt.Errorf("find reviewer: %w", tipline.ErrNotFound)
}

// Reviewer returns a reviewer, as postgres.Store.Reviewer does.
func (m *Store) Reviewer(ctx context.Context, id int64) (tipline.Reviewer, error) {
	if err := ctx.Err(); err != nil {
		return tipline.Reviewer{}, fmt.Errorf("load reviewer %d: %w", id, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rv := m.reviewer(id)
	if rv == nil {
		return tipline.Reviewer{}, fmt.Errorf("load reviewer %d: %w", id, tipline.ErrNotFound)
	}
	return *rv, nil
}

// Reviewers lists every reviewer by id, as postgres.Store.Reviewers does.
func (m *Store) Reviewers(ctx context.Context) ([]tipline.Reviewer, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list reviewers: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]tipline.Reviewer{}, m.reviewers...), nil
}

// SetReviewerLang sets a reviewer's language, as postgres.Store.SetReviewerLang
// does.
func (m *Store) SetReviewerLang(ctx context.Context, id int64, lang string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("set language of reviewer %d: %w", id, err)
	}
	if err := rules.CheckLang(lang); err != nil {
		return fmt.Errorf("set language of reviewer %d: %w", id, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rv := m.reviewer(id)
	if rv == nil {
		return fmt.Errorf("set language of reviewer %d: %w", id, tipline.ErrNotFound)
	}
	rv.Lang = lang
	return nil
}

// SaveRota replaces the rota document, as postgres.Store.SaveRota does.
func (m *Store) SaveRota(ctx context.Context, doc []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("save rota: %w", err)
	}
	if err := rules.CheckRota(doc); err != nil {
		return fmt.Errorf("save rota: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rota = slices.Clone(doc)
	return nil
}

// LoadRota returns a copy of the rota document, as postgres.Store.LoadRota does.
func (m *Store) LoadRota(ctx context.Context) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("load rota: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rota == nil {
		return nil, fmt.Errorf("load rota: %w", tipline.ErrNotFound)
	}
	return slices.Clone(m.rota), nil
}
