package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage/internal/rules"
)

// Partners are the organisations cases are referred to, kept by the
// operator (tipline partners add|list|disable). Their names are
// organisations' names, not people's, and are stored plain.

// AddPartner stores an active partner and returns it with its id. It gives
// ErrInvalid for an empty or overlong name, an unknown kind or a country
// other than KH and TH.
func (p *Store) AddPartner(ctx context.Context, name string, kind tipline.PartnerKind, country string) (tipline.Partner, error) {
	const q = `insert into partners (name, kind, country) values ($1, $2, $3) returning id, created_at`
	name = strings.TrimSpace(name)
	if err := rules.CheckPartner(name, kind, country); err != nil {
		return tipline.Partner{}, fmt.Errorf("add partner: %w", err)
	}
	pt := tipline.Partner{Name: name, Kind: kind, Country: country, Active: true}
	if err := p.pool.QueryRow(ctx, q, name, string(kind), country).Scan(&pt.ID, &pt.CreatedAt); err != nil {
		return tipline.Partner{}, fmt.Errorf("add partner: %w", dbErr(err))
	}
	return pt, nil
}

// Partners lists every partner, active and disabled, by id.
func (p *Store) Partners(ctx context.Context) ([]tipline.Partner, error) {
	const q = `select id, name, kind, country, active, created_at from partners order by id`
	rows, err := p.pool.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list partners: %w", dbErr(err))
	}
	defer rows.Close()
	out := []tipline.Partner{}
	for rows.Next() {
		var (
			pt   tipline.Partner
			kind string
		)
		if err := rows.Scan(&pt.ID, &pt.Name, &kind, &pt.Country, &pt.Active, &pt.CreatedAt); err != nil {
			return nil, fmt.Errorf("list partners: %w", dbErr(err))
		}
		pt.Kind = tipline.PartnerKind(kind)
		out = append(out, pt)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list partners: %w", dbErr(err))
	}
	return out, nil
}

// Partner returns one partner, or tipline.ErrNotFound.
func (p *Store) Partner(ctx context.Context, id int64) (tipline.Partner, error) {
	const q = `select id, name, kind, country, active, created_at from partners where id = $1`
	var (
		pt   tipline.Partner
		kind string
	)
	err := p.pool.QueryRow(ctx, q, id).Scan(&pt.ID, &pt.Name, &kind, &pt.Country, &pt.Active, &pt.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return tipline.Partner{}, fmt.Errorf("load partner %d: %w", id, tipline.ErrNotFound)
	}
	if err != nil {
		return tipline.Partner{}, fmt.Errorf("load partner %d: %w", id, dbErr(err))
	}
	pt.Kind = tipline.PartnerKind(kind)
	return pt, nil
}

// DisablePartner stops offering a partner for referrals; cases referred to
// it keep naming it. Disabling a disabled partner changes nothing. It gives
// tipline.ErrNotFound for an unknown partner.
func (p *Store) DisablePartner(ctx context.Context, id int64) error {
	const q = `update partners set active = false where id = $1`
	tag, err := p.pool.Exec(ctx, q, id)
	if err != nil {
		return fmt.Errorf("disable partner %d: %w", id, dbErr(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("disable partner %d: %w", id, tipline.ErrNotFound)
	}
	return nil
}
