package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tipline/tipline"
)

// casesReassign is "tipline cases reassign REF --to ID": an operator
// gives an open case to another reviewer, for example when the one who
// has it is away. The store records it in the case's audit trail as
// "operator".
func (m *Main) casesReassign(ctx context.Context, args []string) error {
	fs := m.flags("cases reassign", "Gives an open case to another reviewer (see 'tipline reviewers list' for ids).")
	to := fs.Int64("to", 0, "id of the reviewer who gets the case (required)")
	// The reference comes first, as the usage shows; flags after it.
	rest := args
	var refArg string
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		refArg, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if refArg == "" && fs.NArg() == 1 {
		refArg = fs.Arg(0)
	}
	ref, err := tipline.ParseReference(refArg)
	if err != nil {
		return fmt.Errorf("cases reassign: %q is not a case reference such as TL-7K3Q-9XDM", refArg)
	}
	if *to <= 0 {
		return errors.New("cases reassign: --to REVIEWER-ID is required (see 'tipline reviewers list')")
	}
	db, _, err := m.openAdminStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	prev, err := db.Reassign(ctx, ref, *to, tipline.ActorOperator, time.Now())
	switch {
	case errors.Is(err, tipline.ErrNotFound):
		return fmt.Errorf("cases reassign: no case %s or no reviewer %d", ref, *to)
	case errors.Is(err, tipline.ErrInvalid):
		return fmt.Errorf("cases reassign: %w", err)
	case err != nil:
		return err
	}
	if prev == *to {
		fmt.Fprintf(m.Stdout, "%s is already with reviewer %d.\n", ref, *to)
		return nil
	}
	fmt.Fprintf(m.Stdout, "%s is now with reviewer %d", ref, *to)
	if prev != 0 {
		fmt.Fprintf(m.Stdout, " (was with reviewer %d)", prev)
	}
	fmt.Fprintln(m.Stdout, ". Tell them: Tipline does not message them about it. It is in 'tipline audit'.")
	return nil
}
