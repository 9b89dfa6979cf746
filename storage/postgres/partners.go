package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
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
	const q = `select id, name, kind, country, active, created_at, coalesce(age_recipient, '') from partners order by id`
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
		if err := rows.Scan(&pt.ID, &pt.Name, &kind, &pt.Country, &pt.Active, &pt.CreatedAt, &pt.AgeRecipient); err != nil {
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
	const q = `select id, name, kind, country, active, created_at, coalesce(age_recipient, '') from partners where id = $1`
	var (
		pt   tipline.Partner
		kind string
	)
	err := p.pool.QueryRow(ctx, q, id).Scan(&pt.ID, &pt.Name, &kind, &pt.Country, &pt.Active, &pt.CreatedAt, &pt.AgeRecipient)
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

// SetPartnerRecipient stores the age public key exports to a partner are
// encrypted to (the caller checks it is one), replacing any earlier one.
// It gives ErrInvalid for an empty key and tipline.ErrNotFound for an
// unknown partner.
func (p *Store) SetPartnerRecipient(ctx context.Context, id int64, recipient string) error {
	const q = `update partners set age_recipient = $2 where id = $1`
	recipient = strings.TrimSpace(recipient)
	if err := rules.CheckRecipient(recipient); err != nil {
		return fmt.Errorf("set key of partner %d: %w", id, err)
	}
	tag, err := p.pool.Exec(ctx, q, id, recipient)
	if err != nil {
		return fmt.Errorf("set key of partner %d: %w", id, dbErr(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("set key of partner %d: %w", id, tipline.ErrNotFound)
	}
	return nil
}

// Referrals lists the cases referred to a partner, the earliest referral
// first, with when each last went to the partner in an export. It gives
// tipline.ErrNotFound for an unknown partner.
func (p *Store) Referrals(ctx context.Context, partnerID int64) ([]storage.Referral, error) {
	const q = `
		select c.reference, r.referred_at, r.exported_at
		from referrals r join cases c on c.id = r.case_id
		where r.partner_id = $1
		order by r.referred_at, c.id`
	if _, err := p.Partner(ctx, partnerID); err != nil {
		return nil, fmt.Errorf("referrals to partner %d: %w", partnerID, err)
	}
	rows, err := p.pool.Query(ctx, q, partnerID)
	if err != nil {
		return nil, fmt.Errorf("referrals to partner %d: %w", partnerID, dbErr(err))
	}
	defer rows.Close()
	out := []storage.Referral{}
	for rows.Next() {
		var (
			r        storage.Referral
			ref      string
			exported *time.Time
		)
		if err := rows.Scan(&ref, &r.ReferredAt, &exported); err != nil {
			return nil, fmt.Errorf("referrals to partner %d: %w", partnerID, dbErr(err))
		}
		r.Reference = tipline.Reference(ref)
		if exported != nil {
			r.ExportedAt = *exported
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("referrals to partner %d: %w", partnerID, dbErr(err))
	}
	return out, nil
}

// RecordPartnerExport records that the cases refs went to a partner in
// format: an operator's audit event "exported_FORMAT:partner:ID" on each
// (the audit names the partner whose key received it) and the time on
// each referral, in one transaction: all or none. A case not referred to
// the partner gives ErrInvalid.
func (p *Store) RecordPartnerExport(ctx context.Context, partnerID int64, refs []tipline.Reference, format string, at time.Time) error {
	const mark = `
		update referrals set exported_at = $3
		where partner_id = $1 and case_id = (select id from cases where reference = $2)
		returning case_id`
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("record export to partner %d: %w", partnerID, dbErr(err))
	}
	defer tx.Rollback(ctx)
	action := rules.PartnerExportAction(format, partnerID)
	for _, ref := range refs {
		var caseID int64
		err := tx.QueryRow(ctx, mark, partnerID, string(ref), at).Scan(&caseID)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("record export of %s to partner %d: %w: not referred to it", ref, partnerID, tipline.ErrInvalid)
		}
		if err != nil {
			return fmt.Errorf("record export of %s to partner %d: %w", ref, partnerID, dbErr(err))
		}
		if err := insertAuditAt(ctx, tx, caseID, tipline.ActorOperator, action, at); err != nil {
			return fmt.Errorf("record export of %s to partner %d: %w", ref, partnerID, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("record export to partner %d: %w", partnerID, dbErr(err))
	}
	return nil
}
