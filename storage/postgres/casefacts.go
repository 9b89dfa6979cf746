package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

// Case facts a reviewer adds while working a case: a classification, a
// referral to a named partner, a link to the older case a report repeats.
// Each change and its audit event commit together.

// Classify records a reviewer's classification of a case (the kind of
// exploitation and the risk), replacing any earlier one, with a
// "classified_<exploitation>:<risk>" audit event, in one transaction. A
// risk of "in danger now" makes a normal case urgent in the same
// transaction, audited as "urgency_urgent" (what routing reads next). A
// closed case gives tipline.ErrClosed; an unknown case or reviewer
// tipline.ErrNotFound; an unknown kind or risk ErrInvalid.
func (p *Store) Classify(ctx context.Context, ref tipline.Reference, reviewerID int64, kind tipline.Exploitation, risk tipline.Risk, now time.Time) error {
	const update = `
		update cases set exploitation = $2, risk = $3, classified_by = $4, classified_at = $5, updated_at = $5
		where id = $1`
	if err := rules.CheckClassification(kind, risk); err != nil {
		return fmt.Errorf("classify case %s: %w", ref, err)
	}
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("classify case %s: %w", ref, dbErr(err))
	}
	defer tx.Rollback(ctx)
	caseID, _, status, err := lockCase(ctx, tx, ref)
	if err != nil {
		return fmt.Errorf("classify case %s: %w", ref, err)
	}
	if err := requireReviewer(ctx, tx, reviewerID); err != nil {
		return fmt.Errorf("classify case %s: %w", ref, err)
	}
	if status == tipline.StatusClosed {
		return fmt.Errorf("classify case %s: %w", ref, tipline.ErrClosed)
	}
	if _, err := tx.Exec(ctx, update, caseID, string(kind), string(risk), reviewerID, now); err != nil {
		return fmt.Errorf("classify case %s: %w", ref, dbErr(err))
	}
	action := storage.ActionClassifiedPrefix + string(kind) + ":" + string(risk)
	if err := insertAuditAt(ctx, tx, caseID, tipline.ReviewerActor(reviewerID), action, now); err != nil {
		return fmt.Errorf("classify case %s: %w", ref, err)
	}
	if risk.MakesUrgent() {
		if err := raiseUrgency(ctx, tx, caseID, reviewerID, now); err != nil {
			return fmt.Errorf("classify case %s: %w", ref, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("classify case %s: %w", ref, dbErr(err))
	}
	return nil
}

// raiseUrgency makes a locked case urgent, with its "urgency_urgent" audit
// event; a case already urgent is left as it is, with no event. Routing
// follows: a notification still pending (nobody took the case) is due at
// once, and the router schedules the next with the urgent deadlines.
func raiseUrgency(ctx context.Context, tx pgx.Tx, caseID, reviewerID int64, now time.Time) error {
	const update = `update cases set urgency = 'urgent' where id = $1 and urgency <> 'urgent'`
	const due = `update jobs set run_at = least(run_at, $2) where case_id = $1`
	tag, err := tx.Exec(ctx, update, caseID)
	if err != nil {
		return fmt.Errorf("urgency: %w", dbErr(err))
	}
	if tag.RowsAffected() == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, due, caseID, now); err != nil {
		return fmt.Errorf("urgency: jobs: %w", dbErr(err))
	}
	return insertAuditAt(ctx, tx, caseID, tipline.ReviewerActor(reviewerID), storage.ActionUrgencyRaised, now)
}

// closeCaseTx closes a locked, open case with an outcome (see CloseCase)
// and writes its "closed_<outcome>" event; partnerID and duplicateOf are
// stored as given (0 for none).
func closeCaseTx(ctx context.Context, tx pgx.Tx, caseID, reviewerID int64, outcome tipline.Outcome, partnerID, duplicateOf int64, now time.Time) error {
	const update = `
		update cases
		set status = 'closed', outcome = $3, closed_at = $4, updated_at = $4,
		    assignee = coalesce(assignee, $2), acknowledged_at = coalesce(acknowledged_at, $4),
		    retention_warned_at = null, reporter_chat = null,
		    partner_id = nullif($5, 0), duplicate_of = nullif($6, 0)
		where id = $1`
	const deleteJobs = `delete from jobs where case_id = $1`
	if _, err := tx.Exec(ctx, update, caseID, reviewerID, string(outcome), now, partnerID, duplicateOf); err != nil {
		return dbErr(err)
	}
	if _, err := tx.Exec(ctx, deleteJobs, caseID); err != nil {
		return fmt.Errorf("jobs: %w", dbErr(err))
	}
	return insertAuditAt(ctx, tx, caseID, tipline.ReviewerActor(reviewerID), storage.ActionClosedPrefix+string(outcome), now)
}

// Refer closes an open case as referred to a partner (outcome partner),
// as CloseCase does, recording which partner, with "closed_partner" and
// "referred:<partnerID>" audit events and a referral (Referrals). A case
// closed as referred may be referred to more partners: each adds a
// referral and its "referred:<partnerID>" event, and a partner already
// referred changes nothing. An unknown or disabled partner gives
// ErrInvalid; a case closed otherwise tipline.ErrClosed; an unknown case or
// reviewer tipline.ErrNotFound.
func (p *Store) Refer(ctx context.Context, ref tipline.Reference, reviewerID, partnerID int64, now time.Time) error {
	const partner = `select exists (select 1 from partners where id = $1 and active)`
	const outcome = `select coalesce(outcome, '') from cases where id = $1`
	const referral = `
		insert into referrals (case_id, partner_id, referred_by, referred_at) values ($1, $2, $3, $4)
		on conflict do nothing`
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("refer case %s: %w", ref, dbErr(err))
	}
	defer tx.Rollback(ctx)
	caseID, _, status, err := lockCase(ctx, tx, ref)
	if err != nil {
		return fmt.Errorf("refer case %s: %w", ref, err)
	}
	if err := requireReviewer(ctx, tx, reviewerID); err != nil {
		return fmt.Errorf("refer case %s: %w", ref, err)
	}
	var ok bool
	if err := tx.QueryRow(ctx, partner, partnerID).Scan(&ok); err != nil {
		return fmt.Errorf("refer case %s: %w", ref, dbErr(err))
	}
	if !ok {
		return fmt.Errorf("refer case %s: %w: no active partner %d", ref, tipline.ErrInvalid, partnerID)
	}
	closing := status != tipline.StatusClosed
	if !closing {
		var o string
		if err := tx.QueryRow(ctx, outcome, caseID).Scan(&o); err != nil {
			return fmt.Errorf("refer case %s: %w", ref, dbErr(err))
		}
		if tipline.Outcome(o) != tipline.OutcomePartner {
			return fmt.Errorf("refer case %s: %w", ref, tipline.ErrClosed)
		}
	} else if err := closeCaseTx(ctx, tx, caseID, reviewerID, tipline.OutcomePartner, partnerID, 0, now); err != nil {
		return fmt.Errorf("refer case %s: %w", ref, err)
	}
	tag, err := tx.Exec(ctx, referral, caseID, partnerID, reviewerID, now)
	if err != nil {
		return fmt.Errorf("refer case %s: %w", ref, dbErr(err))
	}
	if tag.RowsAffected() == 0 && !closing {
		return nil // referred to this partner already
	}
	if err := insertAuditAt(ctx, tx, caseID, tipline.ReviewerActor(reviewerID), storage.ActionReferredPrefix+strconv.FormatInt(partnerID, 10), now); err != nil {
		return fmt.Errorf("refer case %s: %w", ref, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("refer case %s: %w", ref, dbErr(err))
	}
	return nil
}

// LinkDuplicate records that the case newer repeats the case older: newer
// is closed as a duplicate ("closed_duplicate" and "duplicate_of:<older>"
// on it) linked to older ("duplicate_linked:<newer>" on older), in one
// transaction. What its reporter adds to newer later is stored on older
// (AddToCaseTracked). Linking a case to itself, or to a case that is
// itself a duplicate of newer, gives ErrInvalid; a closed newer case
// tipline.ErrClosed; an unknown case or reviewer tipline.ErrNotFound. The
// older case may be open or closed.
func (p *Store) LinkDuplicate(ctx context.Context, newer, older tipline.Reference, reviewerID int64, now time.Time) error {
	const link = `select coalesce(duplicate_of, 0) from cases where id = $1`
	if newer == older {
		return fmt.Errorf("link case %s to %s: %w: a case cannot repeat itself", newer, older, tipline.ErrInvalid)
	}
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("link case %s to %s: %w", newer, older, dbErr(err))
	}
	defer tx.Rollback(ctx)
	// Lock in reference order, so two links of the same pair cannot deadlock.
	first, second := newer, older
	if second < first {
		first, second = second, first
	}
	ids := map[tipline.Reference]int64{}
	statuses := map[tipline.Reference]tipline.Status{}
	for _, r := range []tipline.Reference{first, second} {
		id, _, st, err := lockCase(ctx, tx, r)
		if err != nil {
			return fmt.Errorf("link case %s to %s: case %s: %w", newer, older, r, err)
		}
		ids[r], statuses[r] = id, st
	}
	if err := requireReviewer(ctx, tx, reviewerID); err != nil {
		return fmt.Errorf("link case %s to %s: %w", newer, older, err)
	}
	if statuses[newer] == tipline.StatusClosed {
		return fmt.Errorf("link case %s to %s: %w", newer, older, tipline.ErrClosed)
	}
	var olderOf int64
	if err := tx.QueryRow(ctx, link, ids[older]).Scan(&olderOf); err != nil {
		return fmt.Errorf("link case %s to %s: %w", newer, older, dbErr(err))
	}
	if olderOf == ids[newer] {
		return fmt.Errorf("link case %s to %s: %w: %s is already a duplicate of %s", newer, older, tipline.ErrInvalid, older, newer)
	}
	if err := closeCaseTx(ctx, tx, ids[newer], reviewerID, tipline.OutcomeDuplicate, 0, ids[older], now); err != nil {
		return fmt.Errorf("link case %s to %s: %w", newer, older, err)
	}
	actor := tipline.ReviewerActor(reviewerID)
	if err := insertAuditAt(ctx, tx, ids[newer], actor, storage.ActionDuplicateOfPrefix+string(older), now); err != nil {
		return fmt.Errorf("link case %s to %s: %w", newer, older, err)
	}
	if err := insertAuditAt(ctx, tx, ids[older], actor, storage.ActionDuplicateLinkedPrefix+string(newer), now); err != nil {
		return fmt.Errorf("link case %s to %s: %w", newer, older, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("link case %s to %s: %w", newer, older, dbErr(err))
	}
	return nil
}
