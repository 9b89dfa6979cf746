package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// inboxDead is `tipline inbox dead`: the updates set aside after failing
// again and again (dead letters). Nothing they say is shown: only their
// ids, how often they failed, why, and when.
func (m *Main) inboxDead(ctx context.Context, args []string) error {
	if err := m.noOperands("inbox dead", "Lists the updates set aside after failing again and again (no content is shown).\nNeeds DATABASE_URL and TIPLINE_SECRET_KEY.", args); err != nil {
		return err
	}
	db, _, err := m.openAdminStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	list, err := db.InboxDeadList(ctx)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(m.Stdout, "no dead letters: every update was processed")
		return nil
	}
	err = m.table("UPDATE\tATTEMPTS\tRECEIVED\tSET ASIDE\tREASON", len(list), func(i int) string {
		d := list[i]
		return fmt.Sprintf("%d\t%d\t%s\t%s\t%s", d.UpdateID, d.Attempts, d.ReceivedAt.UTC().Format(time.DateTime), d.DeadAt.UTC().Format(time.DateTime), d.Reason)
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(m.Stdout, "\n'tipline inbox retry UPDATE' processes one again, once the cause is fixed.")
	return nil
}

// inboxRetry is `tipline inbox retry UPDATE-ID`: the dead letter goes back
// in the inbox, for the running bot to process again.
func (m *Main) inboxRetry(ctx context.Context, args []string) error {
	rest, err := m.operands("inbox retry", "Puts a dead letter back in the inbox, to be processed again by the running bot.\nNeeds DATABASE_URL and TIPLINE_SECRET_KEY.", args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return errors.New("inbox retry: give one update id (see 'tipline inbox dead')")
	}
	id, err := strconv.ParseInt(rest[0], 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("inbox retry: %q is not an update id (see 'tipline inbox dead')", rest[0])
	}
	db, _, err := m.openAdminStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.InboxRetryDead(ctx, id); err != nil {
		return fmt.Errorf("inbox retry: %w", err)
	}
	fmt.Fprintf(m.Stdout, "update %d is back in the inbox; the running bot processes it in a moment\n", id)
	return nil
}
