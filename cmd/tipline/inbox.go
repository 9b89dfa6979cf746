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
	fmt.Fprintln(m.Stdout, "\n'tipline inbox retry UPDATE' processes one again, once the cause is fixed;\n'tipline inbox drop UPDATE' (or --all) deletes it now. They are deleted after TIPLINE_DEAD_LETTER_TTL anyway.")
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

// inboxDrop is `tipline inbox drop UPDATE-ID | --all`: dead letters hold a
// reporter's words, so once their cause is known they can be deleted at
// once rather than at the end of TIPLINE_DEAD_LETTER_TTL. Each drop is
// recorded ('tipline audit --operator').
func (m *Main) inboxDrop(ctx context.Context, args []string) error {
	fs := m.flags("inbox drop", "Deletes a dead letter, or all of them, now; the drop is recorded.\nNeeds DATABASE_URL and TIPLINE_SECRET_KEY.")
	all := fs.Bool("all", false, "drop every dead letter")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var id int64
	switch {
	case *all && fs.NArg() == 0:
	case !*all && fs.NArg() == 1:
		n, err := strconv.ParseInt(fs.Arg(0), 10, 64)
		if err != nil || n <= 0 {
			return fmt.Errorf("inbox drop: %q is not an update id (see 'tipline inbox dead')", fs.Arg(0))
		}
		id = n
	default:
		return errors.New("inbox drop: give one update id, or --all (see 'tipline inbox dead')")
	}
	db, _, err := m.openAdminStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if *all {
		n, err := db.InboxDropAllDead(ctx, "operator")
		if err != nil {
			return fmt.Errorf("inbox drop: %w", err)
		}
		fmt.Fprintf(m.Stdout, "%d dead letters dropped\n", n)
		return nil
	}
	if err := db.InboxDropDead(ctx, id, "operator"); err != nil {
		return fmt.Errorf("inbox drop: %w", err)
	}
	fmt.Fprintf(m.Stdout, "dead letter %d dropped\n", id)
	return nil
}
