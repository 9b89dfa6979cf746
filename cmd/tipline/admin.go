package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	tgbot "github.com/go-telegram/bot"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/oncall"
	"github.com/tipline/tipline/storage/postgres"
)

// openAdminStore opens the database for an operator's command.
func (m *Main) openAdminStore(ctx context.Context) (*postgres.Store, Config, error) {
	cfg, err := loadConfig(m.Getenv, need{database: true, key: true})
	if err != nil {
		return nil, cfg, err
	}
	ring, err := keys.NewRing(cfg.SecretKey, cfg.PreviousKeys...)
	if err != nil {
		return nil, cfg, fmt.Errorf("TIPLINE_SECRET_KEY: %w", err)
	}
	db, err := openDatabase(ctx, cfg.DatabaseURL, ring)
	if err != nil {
		return nil, cfg, err
	}
	return db, cfg, nil
}

// reviewersInvite is `tipline reviewers invite`: a one-time link (and
// code) that registers a reviewer when sent to the bot.
func (m *Main) reviewersInvite(ctx context.Context, args []string) error {
	fs := m.flags("reviewers invite", "Prints a one-time link that registers a reviewer. Needs DATABASE_URL and TIPLINE_SECRET_KEY;\nwith TELEGRAM_BOT_TOKEN the link names the bot.")
	name := fs.String("name", "", "the reviewer's name, as other reviewers will see it (required)")
	admin := fs.Bool("admin", false, "the reviewer may act on every case, also one another reviewer has")
	valid := fs.Duration("valid", 72*time.Hour, "how long the invite works")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if strings.TrimSpace(*name) == "" {
		return errors.New("reviewers invite: --name is required")
	}
	db, cfg, err := m.openAdminStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	code := tipline.NewInviteCode()
	expires := time.Now().Add(*valid)
	if err := db.CreateInvite(ctx, tipline.InviteHash(code), strings.TrimSpace(*name), *admin, expires); err != nil {
		return fmt.Errorf("create invite: %w", err)
	}
	link := code
	if cfg.BotToken != "" {
		if username, err := botUsername(ctx, cfg); err == nil {
			link = "https://t.me/" + username + "?start=" + code
		} else {
			fmt.Fprintln(m.Stderr, "could not ask Telegram for the bot's name; give the code instead:", err)
		}
	}
	fmt.Fprintf(m.Stdout, "Invite for %s (valid until %s):\n  %s\nThe code alone works too: the reviewer sends it to the bot.\n", strings.TrimSpace(*name), expires.Format(time.RFC3339), link)
	return nil
}

// reviewersList is `tipline reviewers list`.
func (m *Main) reviewersList(ctx context.Context, args []string) error {
	if err := m.noOperands("reviewers list", "Lists the reviewers: id, name, language, whether admin, whether active, whether Telegram reaches them.", args); err != nil {
		return err
	}
	db, _, err := m.openAdminStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	all, err := db.Reviewers(ctx)
	if err != nil {
		return err
	}
	return m.table("ID\tNAME\tLANGUAGE\tADMIN\tACTIVE\tTELEGRAM", len(all), func(i int) string {
		r := all[i]
		return fmt.Sprintf("%d\t%s\t%s\t%v\t%v\t%s", r.ID, r.Name, r.Lang, r.Admin, r.Active, reachability(r))
	})
}

// reviewersDisable is `tipline reviewers disable ID`.
func (m *Main) reviewersDisable(ctx context.Context, args []string) error {
	id, err := m.idOperand("reviewers disable", "Disables a reviewer: their buttons stop working and they are no longer notified.", args)
	if err != nil {
		return err
	}
	return m.disableReviewer(ctx, id)
}

// noOperands parses the arguments of a command that takes neither flags
// nor operands, so -h shows its usage and anything else is refused.
func (m *Main) noOperands(path, about string, args []string) error {
	rest, err := m.operands(path, about, args)
	if err == nil && len(rest) > 0 {
		err = fmt.Errorf("%s: unexpected %q (see tipline %s -h)", path, rest[0], path)
	}
	return err
}

// idOperand parses the one operand of "tipline reviewers|partners disable
// ID": an id from the command's list.
func (m *Main) idOperand(path, about string, args []string) (int64, error) {
	rest, err := m.operands(path, about, args)
	if err != nil {
		return 0, err
	}
	list := "tipline " + strings.Fields(path)[0] + " list"
	if len(rest) != 1 {
		return 0, fmt.Errorf("usage: tipline %s ID (see %s)", path, list)
	}
	id, err := strconv.ParseInt(rest[0], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: ID must be a number from %s", path, list)
	}
	return id, nil
}

// table writes a header and n rows as aligned columns (cells separated by
// tabs).
func (m *Main) table(header string, n int, row func(i int) string) error {
	w := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, header)
	for i := range n {
		fmt.Fprintln(w, row(i))
	}
	return w.Flush()
}

// disableReviewer is `tipline reviewers disable ID`, for a reviewer who
// left or whose phone was lost: their buttons stop working, their open
// cases go back to routing, and everything still queued to their chat
// (Details, files, notifications) is dropped, not delivered to whoever
// holds the phone now.
func (m *Main) disableReviewer(ctx context.Context, id int64) error {
	db, cfg, err := m.openAdminStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	rv, err := db.Reviewer(ctx, id)
	if err != nil {
		return fmt.Errorf("disable reviewer %d: %w", id, err)
	}
	if err := db.DisableReviewer(ctx, id, time.Now()); err != nil {
		return fmt.Errorf("disable reviewer %d: %w", id, err)
	}
	ring, err := keys.NewRing(cfg.SecretKey, cfg.PreviousKeys...)
	if err != nil {
		return fmt.Errorf("TIPLINE_SECRET_KEY: %w", err)
	}
	dropped, err := db.OutboxDropChat(ctx, ring.ChatKey(rv.TelegramID), "reviewer disabled")
	if err != nil {
		return fmt.Errorf("disable reviewer %d: %w", id, err)
	}
	fmt.Fprintf(m.Stdout, "Reviewer %d is disabled; their buttons stopped working, and %d messages still queued to them were dropped.\n", id, dropped)
	return nil
}

// reachability says whether Telegram reaches a reviewer, for the list:
// an unreachable one is passed over by routing until they write again.
func reachability(r tipline.Reviewer) string {
	if r.Reachable() {
		return "ok"
	}
	return "UNREACHABLE since " + r.Unreachable.UTC().Format("2006-01-02 15:04 UTC") + " (blocked the bot or lost the account; cleared when they write to it)"
}

func botUsername(ctx context.Context, cfg Config) (string, error) {
	api, err := tgbot.New(cfg.BotToken, tgbot.WithServerURL(cfg.APIURL), tgbot.WithSkipGetMe())
	if err != nil {
		return "", err
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	me, err := api.GetMe(cctx)
	if err != nil {
		return "", errors.New("getMe failed")
	}
	return me.Username, nil
}

// oncallShow is `tipline oncall show`.
func (m *Main) oncallShow(ctx context.Context, args []string) error {
	if err := m.noOperands("oncall show", "Shows the on-call rota, who is on call now, and the hours nobody covers.", args); err != nil {
		return err
	}
	db, _, err := m.openAdminStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	return m.showOncall(ctx, db)
}

// oncallSet is `tipline oncall set`: it checks the rota names only active
// reviewers before it saves it.
func (m *Main) oncallSet(ctx context.Context, args []string) error {
	fs := m.flags("oncall set", "Sets the on-call rota. SPEC is a comma-separated list of\n"+
		"  REVIEWER_ID:DAYS@HH:MM-HH:MM   e.g. 1:mon-fri@08:00-18:00, 2:sat+sun@00:00-24:00, 3:daily@20:00-08:00\n"+
		"  REVIEWER_ID:START/END          e.g. 4:2026-12-24T08:00/2026-12-26T08:00\n"+
		"Reviewer ids come from 'tipline reviewers list'.")
	primary := fs.String("primary", "", "the primary rota (required)")
	secondary := fs.String("secondary", "", "the secondary rota")
	tz := fs.String("time-zone", "", "time zone of the times given (default: TIPLINE_TIME_ZONE)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, cfg, err := m.openAdminStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if *tz == "" {
		*tz = cfg.Location.String()
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return fmt.Errorf("oncall set: --time-zone %q is not a time zone name (e.g. Asia/Phnom_Penh)", *tz)
	}
	rota := oncall.Rota{TimeZone: loc.String()}
	if rota.Primary, err = oncall.ParseShifts(*primary, loc); err != nil {
		return fmt.Errorf("oncall set --primary: %w", err)
	}
	if *secondary != "" {
		if rota.Secondary, err = oncall.ParseShifts(*secondary, loc); err != nil {
			return fmt.Errorf("oncall set --secondary: %w", err)
		}
	}
	all, err := db.Reviewers(ctx)
	if err != nil {
		return err
	}
	if err := rota.Check(all); err != nil {
		return fmt.Errorf("oncall set: %w (see tipline reviewers list)", err)
	}
	doc, err := rota.Encode()
	if err != nil {
		return err
	}
	if err := db.SaveRota(ctx, doc); err != nil {
		return fmt.Errorf("save rota: %w", err)
	}
	fmt.Fprintln(m.Stdout, "Rota saved.")
	return m.showOncall(ctx, db)
}

// showOncall prints the rota as the operator reads it, and warns loudly
// when nobody would be notified of a case.
func (m *Main) showOncall(ctx context.Context, db *postgres.Store) error {
	all, err := db.Reviewers(ctx)
	if err != nil {
		return err
	}
	if oncall.Active(all) == 0 {
		fmt.Fprintln(m.Stdout, "WARNING: there are no active reviewers. Cases are stored, but NOBODY IS NOTIFIED.\nInvite one: tipline reviewers invite --name NAME")
	}
	rota, found, err := oncall.Load(ctx, db)
	if err != nil {
		return err
	}
	if !found {
		fmt.Fprintln(m.Stdout, "No rota is set: every active reviewer is notified of every case. Set one: tipline oncall set --primary ...")
		for _, r := range all {
			if r.Active && !r.Reachable() {
				fmt.Fprintf(m.Stdout, "Reviewer %d, %s: %s\n", r.ID, r.Name, reachability(r))
			}
		}
		return nil
	}
	fmt.Fprintln(m.Stdout, rota.Describe(time.Now(), all))
	if unrouted, err := db.UnroutedCases(ctx); err == nil && len(unrouted) > 0 {
		fmt.Fprintf(m.Stdout, "WARNING: %d open case(s) have no notification scheduled; the running bot will notify everyone.\n", len(unrouted))
	}
	return nil
}

// audit is `tipline audit CASE-REF`: every event of a case, with the
// reviewers' names beside their ids.
func (m *Main) audit(ctx context.Context, args []string) error {
	fs := m.flags("audit", "Prints every change to a case and every read of it: who, what, when. With\n"+
		"--reviewer, what one reviewer read (viewed:details, viewed:files, viewed:words,\n"+
		"viewed:found) and did, case by case, for the day their phone is lost; with\n"+
		"--operator, what operators did to no case (dead letters dropped). No content\n"+
		"is shown. Needs DATABASE_URL and TIPLINE_SECRET_KEY.")
	reviewer := fs.Int64("reviewer", 0, "the reviewer's id ('tipline reviewers list')")
	operator := fs.Bool("operator", false, "list operators' actions instead")
	since := fs.String("since", "7d", "with --reviewer or --operator, how far back: 7d, 36h")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rest := fs.Args()
	if *reviewer > 0 || *operator {
		if len(rest) != 0 {
			return errors.New("audit: give a case reference, or --reviewer ID, or --operator (see 'tipline audit -h')")
		}
		return m.auditBy(ctx, *reviewer, *operator, *since)
	}
	if len(rest) != 1 {
		return errors.New("usage: tipline audit CASE-REF (for example TL-7K3Q-9XDM) | --reviewer ID [--since 7d] | --operator [--since 7d]")
	}
	ref, err := tipline.ParseReference(rest[0])
	if err != nil {
		return fmt.Errorf("audit: %q is not a case reference such as TL-7K3Q-9XDM", rest[0])
	}
	db, _, err := m.openAdminStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	events, err := db.Audit(ctx, ref)
	if err != nil {
		return fmt.Errorf("audit %s: %w", ref, err)
	}
	if len(events) == 0 {
		return fmt.Errorf("audit: no case %s", ref)
	}
	names := map[string]string{}
	if all, err := db.Reviewers(ctx); err == nil {
		for _, r := range all {
			names[tipline.ReviewerActor(r.ID)] = r.Name
		}
	}
	w := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "WHEN\tWHO\tWHAT")
	for _, e := range events {
		who := e.Actor
		if n, ok := names[who]; ok {
			who += " (" + n + ")"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", e.At.Format(time.RFC3339), who, e.Action)
	}
	return w.Flush()
}

// auditBy is `tipline audit --reviewer ID --since 7d`: every case one
// reviewer opened, found or changed, for the day their phone is lost; and
// `tipline audit --operator`: what operators did to no case (dead letters
// dropped).
func (m *Main) auditBy(ctx context.Context, reviewer int64, operator bool, since string) error {
	back, err := days(func(string) string { return since }, "--since", 0)
	if err != nil || back <= 0 {
		return fmt.Errorf("audit: --since %q is not a duration such as 7d or 36h", since)
	}
	if (reviewer > 0) == operator {
		return errors.New("audit: give --reviewer ID or --operator, not both (see 'tipline audit -h')")
	}
	db, _, err := m.openAdminStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	from := time.Now().Add(-back)
	var events []tipline.AuditEvent
	if operator {
		events, err = db.OperatorEvents(ctx, from)
	} else {
		events, err = db.ReviewerAudit(ctx, reviewer, from)
	}
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if len(events) == 0 {
		fmt.Fprintf(m.Stdout, "nothing recorded since %s\n", from.UTC().Format(time.DateTime))
		return nil
	}
	w := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "WHEN\tCASE\tWHO\tWHAT")
	for _, e := range events {
		ref := string(e.Reference)
		if ref == "" {
			ref = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", e.At.Format(time.RFC3339), ref, e.Actor, e.Action)
	}
	return w.Flush()
}

func (m *Main) rekey(ctx context.Context, args []string) error {
	fs := m.flags("rekey", "Re-encrypts every stored value under the current TIPLINE_SECRET_KEY, in batches.\n"+
		"Keep the old key in TIPLINE_PREVIOUS_SECRET_KEYS until this reports nothing left. Safe to stop\n"+
		"(Ctrl+C) and run again: it continues where it stopped.")
	batch := fs.Int("batch", 500, "rows per transaction")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, _, err := m.openAdminStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	total, err := db.Rekey(ctx, *batch, func(table string, done, left int) {
		fmt.Fprintf(m.Stdout, "  %-16s re-encrypted %d, left %d\n", table, done, left)
	})
	if err != nil {
		return fmt.Errorf("rekey stopped after %d values (run it again to continue): %w", total, err)
	}
	left, err := db.OldKeyValues(ctx)
	if err != nil {
		return err
	}
	remaining := 0
	for _, n := range left {
		remaining += n
	}
	fmt.Fprintf(m.Stdout, "Re-encrypted %d values; %d left under old keys.\n", total, remaining)
	if remaining == 0 {
		fmt.Fprintln(m.Stdout, "Every value is under the current key. Follow-up codes given before the rotation still need the old key in TIPLINE_PREVIOUS_SECRET_KEYS.")
	}
	return nil
}
