package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

// Routing jobs make sure every submitted case reaches a reviewer on shift.
// Each job is a row: "notify the reviewers of Level at RunAt". SubmitCase
// stores a case's first job (level 0, at SubmittedAt) with the case; the
// worker that runs a job completes it with the next step, until someone
// acknowledges the case. Jobs are rows, so they survive restarts.
//
// Every time — when a job is due and how long a claim lasts — is reckoned
// from the now the caller passes, so a test clock governs due-ness and
// leases alike. bot passes the database's clock (its local clock corrected
// at each heartbeat, which returns clock_timestamp()), so processes whose
// clocks disagree still agree on both; a silent holder's take-over is
// judged by now() alone.

// ClaimDueJobs claims up to limit pending jobs whose RunAt is at or before
// now and that are under no live claim, oldest first, for owner until now
// plus lease, and counts the attempt (Attempts includes this one). A job is
// handed to one claimer at a time, across processes (FOR UPDATE SKIP
// LOCKED); once its claim runs out, another claimer may take it, so lease
// must outlast sending the notifications. The claimer ends a claim with
// CompleteJob or ReleaseJob. A limit of 0 or less claims nothing; a lease
// of 0 or less gives ErrInvalid.
func (p *Store) ClaimDueJobs(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]tipline.Job, error) {
	q := `
		with beat as (
			insert into processes (owner, seen_at) values ($1, now())
			on conflict (owner) do update set seen_at = now()
		), due as (
			select id
			from jobs
			where run_at <= $2
			  and (claimed_until is null or claimed_until <= $2
			       or exists (select 1 from processes pr where pr.owner = jobs.claimed_by
			                  and pr.seen_at <= now() - $5::bigint * interval '1 microsecond'))
			order by run_at, id
			limit $4
			for update skip locked
		)
		update jobs j
		set claimed_by = $1,
		    claimed_until = $2::timestamptz + $3::bigint * interval '1 microsecond',
		    attempts = j.attempts + 1
		from due, cases c
		where j.id = due.id and c.id = j.case_id
		returning j.id, c.reference, j.level, j.run_at, j.attempts`
	if lease <= 0 {
		return nil, fmt.Errorf("claim jobs: %w: lease must be positive", tipline.ErrInvalid)
	}
	out := []tipline.Job{}
	if limit <= 0 {
		return out, nil
	}
	rows, err := p.pool.Query(ctx, q, owner, now, lease.Microseconds(), limit, p.takeover.Microseconds())
	if err != nil {
		return nil, fmt.Errorf("claim jobs: %w", dbErr(err))
	}
	defer rows.Close()
	for rows.Next() {
		var (
			j   tipline.Job
			ref string
		)
		if err := rows.Scan(&j.ID, &ref, &j.Level, &j.RunAt, &j.Attempts); err != nil {
			return nil, fmt.Errorf("claim jobs: %w", dbErr(err))
		}
		j.Reference = tipline.Reference(ref)
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim jobs: %w", dbErr(err))
	}
	rules.SortJobs(out)
	return out, nil
}

// CompleteJob ends a job, in one transaction: the job is deleted and, when
// next is not nil and the case is still received (nobody acknowledged or
// closed it), next is stored as a pending job of the same case (its Level
// and RunAt; its Reference must be empty or the job's). A job that is no
// longer there — the case was acknowledged, escalated or closed meanwhile,
// or another claimer completed it after this claim ran out — is not an
// error: nothing changes and next is not stored. A next job with a negative
// level, no time or another case's reference gives ErrInvalid. A job held
// by another claimer gives ErrNotHolder and changes nothing. entries, the
// notifications the job sends, are queued in the same transaction, and
// only when the job is still there.
func (p *Store) CompleteJob(ctx context.Context, id int64, owner string, next *tipline.Job, entries []storage.OutboxEntry) error {
	const findJob = `select case_id, coalesce(claimed_by, '') from jobs where id = $1`
	const lockRow = `select reference, status from cases where id = $1 for update`
	const deleteJob = `delete from jobs where id = $1`
	const insertJob = `insert into jobs (case_id, level, run_at) values ($1, $2, $3)`
	if next != nil {
		if err := rules.CheckJob(next.Level, next.RunAt); err != nil {
			return fmt.Errorf("complete job %d: %w", id, err)
		}
	}
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("complete job %d: %w", id, dbErr(err))
	}
	defer tx.Rollback(ctx)

	// The case is locked before the job is touched, as Acknowledge does, so
	// the two never wait for each other in a circle and next is not stored
	// for a case acknowledged meanwhile.
	var (
		caseID int64
		holder string
	)
	err = tx.QueryRow(ctx, findJob, id).Scan(&caseID, &holder)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("complete job %d: %w", id, dbErr(err))
	}
	if holder != owner {
		return fmt.Errorf("complete job %d: %w", id, storage.ErrNotHolder)
	}
	var ref, status string
	if err := tx.QueryRow(ctx, lockRow, caseID).Scan(&ref, &status); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // the case was deleted, and its jobs with it
		}
		return fmt.Errorf("complete job %d: %w", id, dbErr(err))
	}
	if next != nil && next.Reference != "" && string(next.Reference) != ref {
		return fmt.Errorf("complete job %d: %w: next job of another case", id, tipline.ErrInvalid)
	}
	tag, err := tx.Exec(ctx, deleteJob, id)
	if err != nil {
		return fmt.Errorf("complete job %d: %w", id, dbErr(err))
	}
	if tag.RowsAffected() == 0 {
		return nil // removed while the case lock was awaited
	}
	if next != nil && tipline.Status(status) == tipline.StatusReceived {
		if _, err := tx.Exec(ctx, insertJob, caseID, next.Level, next.RunAt); err != nil {
			return fmt.Errorf("complete job %d: next: %w", id, dbErr(err))
		}
	}
	if err := p.insertOutbox(ctx, tx, entries); err != nil {
		return fmt.Errorf("complete job %d: %w", id, dbErr(err))
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("complete job %d: %w", id, dbErr(err))
	}
	return nil
}

// ReleaseJob gives owner's claim back, after the job failed, so the job is
// claimed again at the next ClaimDueJobs; its attempts stay counted.
// Releasing a job that is no longer there, or is held by another claimer,
// does nothing.
func (p *Store) ReleaseJob(ctx context.Context, id int64, owner string) error {
	const q = `update jobs set claimed_by = null, claimed_until = null where id = $1 and claimed_by = $2`
	if _, err := p.pool.Exec(ctx, q, id, owner); err != nil {
		return fmt.Errorf("release job %d: %w", id, dbErr(err))
	}
	return nil
}

// UnroutedCases lists the cases that are received (nobody acknowledged
// them) but have no pending job, oldest first: cases that would otherwise
// be forgotten, for the caller to schedule again. An empty list when every
// case is routed.
func (p *Store) UnroutedCases(ctx context.Context) ([]tipline.Reference, error) {
	const q = `
		select c.reference
		from cases c
		where c.status = 'received'
		  and not exists (select 1 from jobs j where j.case_id = c.id)
		order by c.id`
	rows, err := p.pool.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list unrouted cases: %w", dbErr(err))
	}
	defer rows.Close()
	out := []tipline.Reference{}
	for rows.Next() {
		var ref string
		if err := rows.Scan(&ref); err != nil {
			return nil, fmt.Errorf("list unrouted cases: %w", dbErr(err))
		}
		out = append(out, tipline.Reference(ref))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list unrouted cases: %w", dbErr(err))
	}
	return out, nil
}

// ScheduleJob stores a pending job for a case: j.Reference, j.Level and
// j.RunAt (its ID and Attempts are ignored). The check for forgotten cases
// uses it, as does Escalate. It gives tipline.ErrNotFound for an unknown
// case, and ErrInvalid for a negative level, a zero RunAt or a closed case
// (a closed case is routed to nobody).
func (p *Store) ScheduleJob(ctx context.Context, j tipline.Job) error {
	const insertJob = `insert into jobs (case_id, level, run_at) values ($1, $2, $3)`
	if err := rules.CheckJob(j.Level, j.RunAt); err != nil {
		return fmt.Errorf("schedule job of case %s: %w", j.Reference, err)
	}
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("schedule job of case %s: %w", j.Reference, dbErr(err))
	}
	defer tx.Rollback(ctx)
	caseID, _, status, err := lockCase(ctx, tx, j.Reference)
	if err != nil {
		return fmt.Errorf("schedule job of case %s: %w", j.Reference, err)
	}
	if status == tipline.StatusClosed {
		return fmt.Errorf("schedule job of case %s: %w: case is closed", j.Reference, tipline.ErrInvalid)
	}
	if _, err := tx.Exec(ctx, insertJob, caseID, j.Level, j.RunAt); err != nil {
		return fmt.Errorf("schedule job of case %s: %w", j.Reference, dbErr(err))
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("schedule job of case %s: %w", j.Reference, dbErr(err))
	}
	return nil
}

// AddNotification records a copy of a case notification sent to a
// reviewer, with its chat id sealed, so that every copy can be edited once
// someone acknowledges. It gives tipline.ErrNotFound for an unknown case or
// reviewer.
func (p *Store) AddNotification(ctx context.Context, ref tipline.Reference, n tipline.Notification) error {
	const findCase = `select id from cases where reference = $1`
	const nextID = `select nextval(pg_get_serial_sequence('notifications', 'id'))`
	const insert = `
		insert into notifications (id, case_id, reviewer_id, chat_id, message_id, outbox_key)
		overriding system value
		values ($1, $2, $3, $4, nullif($5, 0), nullif($6, ''))
		on conflict (outbox_key) do nothing`
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("add notification of case %s: %w", ref, dbErr(err))
	}
	defer tx.Rollback(ctx)
	var caseID int64
	err = tx.QueryRow(ctx, findCase, string(ref)).Scan(&caseID)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("add notification of case %s: %w", ref, tipline.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("add notification of case %s: %w", ref, dbErr(err))
	}
	if err := requireReviewer(ctx, tx, n.ReviewerID); err != nil {
		return fmt.Errorf("add notification of case %s: %w", ref, err)
	}
	// The id is drawn first: the sealed chat id names its row by it.
	var id int64
	if err := tx.QueryRow(ctx, nextID).Scan(&id); err != nil {
		return fmt.Errorf("add notification of case %s: %w", ref, dbErr(err))
	}
	chat := p.ring.Seal([]byte(strconv.FormatInt(n.ChatID, 10)), notificationAAD(id, "chat_id"))
	if _, err := tx.Exec(ctx, insert, id, caseID, n.ReviewerID, chat, n.MessageID, n.OutboxKey); err != nil {
		return fmt.Errorf("add notification of case %s: %w", ref, dbErr(err))
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("add notification of case %s: %w", ref, dbErr(err))
	}
	return nil
}

// Notifications lists the copies of a case's notifications in the order
// they were recorded, chat ids opened: an empty list when there are none,
// tipline.ErrNotFound when there is no such case.
func (p *Store) Notifications(ctx context.Context, ref tipline.Reference) ([]tipline.Notification, error) {
	const q = `
		select n.id, n.reviewer_id, n.chat_id, coalesce(n.message_id, 0), coalesce(n.outbox_key, '')
		from notifications n
		join cases c on c.id = n.case_id
		where c.reference = $1
		order by n.id`
	rows, err := p.pool.Query(ctx, q, string(ref))
	if err != nil {
		return nil, fmt.Errorf("list notifications of case %s: %w", ref, dbErr(err))
	}
	defer rows.Close()
	out := []tipline.Notification{}
	for rows.Next() {
		var (
			n      tipline.Notification
			id     int64
			sealed []byte
		)
		if err := rows.Scan(&id, &n.ReviewerID, &sealed, &n.MessageID, &n.OutboxKey); err != nil {
			return nil, fmt.Errorf("list notifications of case %s: %w", ref, dbErr(err))
		}
		chat, err := p.ring.Open(sealed, notificationAAD(id, "chat_id"))
		if err != nil {
			return nil, fmt.Errorf("list notifications of case %s: chat id: %w", ref, err)
		}
		if n.ChatID, err = strconv.ParseInt(string(chat), 10, 64); err != nil {
			return nil, fmt.Errorf("list notifications of case %s: chat id: malformed", ref)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list notifications of case %s: %w", ref, dbErr(err))
	}
	if len(out) == 0 {
		if err := p.caseExists(ctx, ref); err != nil {
			return nil, fmt.Errorf("list notifications of case %s: %w", ref, err)
		}
	}
	return out, nil
}
