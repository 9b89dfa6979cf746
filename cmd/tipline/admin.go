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
	"github.com/tipline/tipline/bot"
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

// NewInviteCode returns a one-time reviewer invite code (tipline.NewInviteCode).
func NewInviteCode() string { return tipline.NewInviteCode() }

func (m *Main) reviewers(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: tipline reviewers invite|list|disable (see -h of each)")
	}
	switch args[0] {
	case "invite":
		fs := m.flags("reviewers invite", "Prints a one-time link that registers a reviewer. Needs DATABASE_URL and TIPLINE_SECRET_KEY;\nwith TELEGRAM_BOT_TOKEN the link names the bot.")
		name := fs.String("name", "", "the reviewer's name, as other reviewers will see it (required)")
		admin := fs.Bool("admin", false, "the reviewer may read audit logs")
		valid := fs.Duration("valid", 72*time.Hour, "how long the invite works")
		if err := fs.Parse(args[1:]); err != nil {
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
		code := NewInviteCode()
		expires := time.Now().Add(*valid)
		if err := db.CreateInvite(ctx, bot.InviteHash(code), strings.TrimSpace(*name), *admin, expires); err != nil {
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
	case "list":
		db, _, err := m.openAdminStore(ctx)
		if err != nil {
			return err
		}
		defer db.Close()
		all, err := db.Reviewers(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tNAME\tLANGUAGE\tADMIN\tACTIVE\tTELEGRAM")
		for _, r := range all {
			fmt.Fprintf(w, "%d\t%s\t%s\t%v\t%v\t%s\n", r.ID, r.Name, r.Lang, r.Admin, r.Active, reachability(r))
		}
		return w.Flush()
	case "disable":
		if len(args) != 2 {
			return errors.New("usage: tipline reviewers disable ID (see tipline reviewers list)")
		}
		id, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil {
			return errors.New("reviewers disable: ID must be a number from tipline reviewers list")
		}
		db, _, err := m.openAdminStore(ctx)
		if err != nil {
			return err
		}
		defer db.Close()
		if err := db.DisableReviewer(ctx, id, time.Now()); err != nil {
			return fmt.Errorf("disable reviewer %d: %w", id, err)
		}
		fmt.Fprintf(m.Stdout, "Reviewer %d is disabled; their buttons stopped working.\n", id)
		return nil
	}
	return fmt.Errorf("unknown reviewers command %q (invite, list, disable)", args[0])
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

func (m *Main) oncall(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: tipline oncall show|set (see -h of each)")
	}
	db, cfg, err := m.openAdminStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	switch args[0] {
	case "show":
		return m.showOncall(ctx, db)
	case "set":
		fs := m.flags("oncall set", "Sets the on-call rota. SPEC is a comma-separated list of\n"+
			"  REVIEWER_ID:DAYS@HH:MM-HH:MM   e.g. 1:mon-fri@08:00-18:00, 2:sat+sun@00:00-24:00, 3:daily@20:00-08:00\n"+
			"  REVIEWER_ID:START/END          e.g. 4:2026-12-24T08:00/2026-12-26T08:00\n"+
			"Reviewer ids come from 'tipline reviewers list'.")
		primary := fs.String("primary", "", "the primary rota (required)")
		secondary := fs.String("secondary", "", "the secondary rota")
		tz := fs.String("time-zone", cfg.Location.String(), "time zone of the times given")
		if err := fs.Parse(args[1:]); err != nil {
			return err
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
		known := map[int64]bool{}
		all, err := db.Reviewers(ctx)
		if err != nil {
			return err
		}
		for _, r := range all {
			known[r.ID] = r.Active
		}
		for _, s := range append(append([]oncall.Shift{}, rota.Primary...), rota.Secondary...) {
			if !known[s.ReviewerID] {
				return fmt.Errorf("oncall set: reviewer %d is unknown or disabled (see tipline reviewers list)", s.ReviewerID)
			}
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
	return fmt.Errorf("unknown oncall command %q (show, set)", args[0])
}

func (m *Main) showOncall(ctx context.Context, db *postgres.Store) error {
	all, err := db.Reviewers(ctx)
	if err != nil {
		return err
	}
	active := 0
	for _, r := range all {
		if r.Active {
			active++
		}
	}
	if active == 0 {
		fmt.Fprintln(m.Stdout, "WARNING: there are no active reviewers. Cases are stored, but NOBODY IS NOTIFIED.\nInvite one: tipline reviewers invite --name NAME")
	}
	doc, err := db.LoadRota(ctx)
	switch {
	case errors.Is(err, tipline.ErrNotFound):
		fmt.Fprintln(m.Stdout, "No rota is set: every active reviewer is notified of every case. Set one: tipline oncall set --primary ...")
		for _, r := range all {
			if r.Active && !r.Reachable() {
				fmt.Fprintf(m.Stdout, "Reviewer %d, %s: %s\n", r.ID, r.Name, reachability(r))
			}
		}
		return nil
	case err != nil:
		return err
	}
	rota, err := oncall.DecodeRota(doc)
	if err != nil {
		return err
	}
	fmt.Fprintln(m.Stdout, rota.Describe(time.Now(), all))
	if unrouted, err := db.UnroutedCases(ctx); err == nil && len(unrouted) > 0 {
		fmt.Fprintf(m.Stdout, "WARNING: %d open case(s) have no notification scheduled; the running bot will notify everyone.\n", len(unrouted))
	}
	return nil
}

func (m *Main) audit(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: tipline audit CASE-REF (for example TL-7K3Q-9XDM)")
	}
	ref, err := tipline.ParseReference(args[0])
	if err != nil {
		return fmt.Errorf("audit: %q is not a case reference such as TL-7K3Q-9XDM", args[0])
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
			names["reviewer:"+strconv.FormatInt(r.ID, 10)] = r.Name
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
