package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

// Forgetting a reporter unlinks them from the cases without losing a case:
// what they reported stays for the team, but nothing in the database
// names them or lets the team write to them any more.

// Forget unlinks a reporter from every case, in one transaction. It takes
// every pseudonym the key ring makes for the reporter (keys.Ring.Pseudonyms):
// between a key rotation and the end of "tipline rekey" some of their cases
// are still under a previous key's pseudonym, and those must be unlinked too. The cases
// they submitted lose their reporter pseudonym and sealed chat id (and so
// ContactAllowed: the team can no longer write to them); everywhere the
// pseudonym appears as an actor ("reporter:…" or "followup:…", in the
// audit trail and in additions) it is replaced by ForgottenPseudonym.
// Cases, answers, attachments, additions and follow-up hashes stay. Each
// case changed gets one "reporter_forgotten" audit event by "system"; Forget
// returns how many cases that was. Forgetting an unknown reporter, or
// forgetting again, changes nothing and returns 0. Its errors do not name
// the pseudonym, so logging them keeps nothing of the reporter. A block of
// the reporter (BlockReporterFor) stays, to keep the tip line protected from
// abuse, but the reference of the case it was made from is cleared: it
// then names no case.
func (p *Store) Forget(ctx context.Context, pseudonyms ...string) (int, error) {
	const unlink = `
		update cases
		set reporter = null, reporter_chat = null, contact_allowed = false
		where reporter = any($1)
		returning id`
	// Each statement sets actor to $3 where it was one of $1, to $4 where
	// it was one of $2.
	const scrubAudit = `
		update audit_events
		set actor = case when actor = any($1) then $3 else $4 end
		where actor = any($1) or actor = any($2)
		returning case_id`
	const scrubAdditions = `
		update additions
		set actor = case when actor = any($1) then $3 else $4 end
		where actor = any($1) or actor = any($2)
		returning case_id`
	const touchCases = `update cases set updated_at = now() where id = any($1)`
	const unlinkBlocks = `update blocks set reference = null where pseudonym = any($1)`
	const insertForgotten = `
		insert into audit_events (case_id, actor, action)
		select id, $2, $3 from unnest($1::bigint[]) with ordinality as t (id, n)
		order by n`
	pseudonyms = rules.NonEmpty(pseudonyms)
	if len(pseudonyms) == 0 {
		return 0, nil
	}
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("forget reporter: %w", dbErr(err))
	}
	defer tx.Rollback(ctx)

	affected := map[int64]bool{}
	collect := func(sql string, args ...any) error {
		rows, err := tx.Query(ctx, sql, args...)
		if err != nil {
			return dbErr(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return dbErr(err)
			}
			affected[id] = true
		}
		return dbErr(rows.Err())
	}
	if err := collect(unlink, pseudonyms); err != nil {
		return 0, fmt.Errorf("forget reporter: %w", err)
	}
	var reporters, followUps []string
	for _, p := range pseudonyms {
		reporters, followUps = append(reporters, tipline.ReporterActor(p)), append(followUps, tipline.FollowUpActor(p))
	}
	// A block stays (abuse protection) but no longer names a case.
	if _, err := tx.Exec(ctx, unlinkBlocks, pseudonyms); err != nil {
		return 0, fmt.Errorf("forget reporter: blocks: %w", dbErr(err))
	}
	for _, sql := range []string{scrubAudit, scrubAdditions} {
		if err := collect(sql, reporters, followUps, tipline.ReporterActor(tipline.ForgottenPseudonym), tipline.FollowUpActor(tipline.ForgottenPseudonym)); err != nil {
			return 0, fmt.Errorf("forget reporter: %w", err)
		}
	}
	if len(affected) == 0 {
		return 0, nil
	}
	ids := make([]int64, 0, len(affected))
	for id := range affected {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if _, err := tx.Exec(ctx, touchCases, ids); err != nil {
		return 0, fmt.Errorf("forget reporter: %w", dbErr(err))
	}
	if _, err := tx.Exec(ctx, insertForgotten, ids, tipline.ActorSystem, storage.ActionReporterForgotten); err != nil {
		return 0, fmt.Errorf("forget reporter: audit %s: %w", storage.ActionReporterForgotten, dbErr(err))
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("forget reporter: %w", dbErr(err))
	}
	return len(ids), nil
}
