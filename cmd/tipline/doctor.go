package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/redis/go-redis/v9"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/oncall"
	"github.com/tipline/tipline/storage/postgres"
)

// doctorTimeout bounds each check, so one service that hangs does not hold
// the others.
const doctorTimeout = 15 * time.Second

// Verdicts of one doctor check.
const (
	verdictOK   = "ok"
	verdictWarn = "WARN"
	verdictFail = "FAIL"
)

// finding is one line of the doctor's report, with the fix when there is
// something to do.
type finding struct {
	verdict, what, detail, fix string
}

// errDoctor is returned when a check failed, so the exit status says so.
var errDoctor = errors.New("doctor: something must be fixed (see FAIL above)")

// doctor runs every check and prints the findings in plain words.
func (m *Main) doctor(ctx context.Context, args []string) error {
	fs := m.flags("doctor", "Checks the configuration, PostgreSQL, Redis, the schema, Telegram, the key, the clock,\n"+
		"PostgreSQL's autovacuum, on-call coverage for the next 7 days and the disk, and says how to fix\n"+
		"each problem.\n"+
		"Exits 1 when something must be fixed.")
	days := fs.Int("days", 7, "how many days of on-call coverage to check")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var found []finding
	add := func(f finding) {
		found = append(found, f)
		fmt.Fprintf(m.Stdout, "%-4s  %s: %s\n", f.verdict, f.what, f.detail)
		if f.fix != "" {
			fmt.Fprintf(m.Stdout, "      fix: %s\n", f.fix)
		}
	}
	fmt.Fprintln(m.Stdout, "tipline doctor", version)

	cfg, err := loadConfig(m.Getenv, need{token: true, database: true, redis: true, key: true})
	var ce configError
	switch {
	case errors.As(err, &ce):
		for _, problem := range ce {
			add(finding{verdictFail, "configuration", problem, "set it in /etc/tipline/tipline.env (or the environment), then run doctor again"})
		}
	case err != nil:
		add(finding{verdictFail, "configuration", err.Error(), ""})
	default:
		add(finding{verdictOK, "configuration", "every setting is present and well formed", ""})
	}

	// The ring opens stored data when the key is right; without a key the
	// database checks still run, with a throw-away ring.
	ring := keys.NewRandomRing()
	haveKey := false
	if cfg.SecretKey != nil {
		if r, err := keys.NewRing(cfg.SecretKey, cfg.PreviousKeys...); err == nil {
			ring, haveKey = r, true
		}
	}

	var db *postgres.Store
	if cfg.DatabaseURL != "" {
		cctx, cancel := context.WithTimeout(ctx, doctorTimeout)
		db, err = postgres.Open(cctx, cfg.DatabaseURL, ring)
		cancel()
		if err != nil {
			add(finding{verdictFail, "PostgreSQL", "cannot connect: " + err.Error(),
				"check DATABASE_URL (host, port, user, password, database) and that PostgreSQL runs: systemctl status postgresql"})
		} else {
			defer db.Close()
			add(finding{verdictOK, "PostgreSQL", "connected", ""})
			m.doctorDatabase(ctx, add, db, cfg, haveKey, *days)
		}
	}
	if cfg.RedisURL != "" {
		// The Redis client retries and logs on its own; doctor says what
		// it found once, in its own words, and nothing after its summary.
		redis.SetLogger(redisLog{slog.New(slog.NewTextHandler(io.Discard, nil))})
		cctx, cancel := context.WithTimeout(ctx, doctorTimeout)
		rc, err := openRedis(cctx, cfg.RedisURL)
		cancel()
		if err != nil {
			add(finding{verdictFail, "Redis", "cannot connect: " + err.Error(),
				"check REDIS_URL and that Redis runs: systemctl status redis-server"})
		} else {
			_ = rc.Close()
			add(finding{verdictOK, "Redis", "connected", ""})
		}
	}
	if cfg.BotToken != "" {
		m.doctorTelegram(ctx, add, cfg)
	}
	m.doctorDisk(add)

	fails, warns := 0, 0
	for _, f := range found {
		switch f.verdict {
		case verdictFail:
			fails++
		case verdictWarn:
			warns++
		}
	}
	fmt.Fprintf(m.Stdout, "\n%d checks: %d to fix, %d to look at.\n", len(found), fails, warns)
	if fails > 0 {
		return errDoctor
	}
	return nil
}

// doctorDatabase checks the schema, the key against stored data, the
// clocks and on-call coverage.
func (m *Main) doctorDatabase(ctx context.Context, add func(finding), db *postgres.Store, cfg Config, haveKey bool, days int) {
	ctx, cancel := context.WithTimeout(ctx, 4*doctorTimeout)
	defer cancel()

	applied, latest, err := db.SchemaVersion(ctx)
	switch {
	case err != nil:
		add(finding{verdictFail, "schema", err.Error(), "check that DATABASE_URL's user may read the database"})
	case applied < latest:
		add(finding{verdictFail, "schema", fmt.Sprintf("at version %d, this program needs %d", applied, latest),
			"run 'tipline migrate' (the service does it at every start: systemctl restart tipline)"})
	case applied > latest:
		add(finding{verdictWarn, "schema", fmt.Sprintf("at version %d, newer than this program (%d)", applied, latest),
			"install the newer tipline package that migrated this database"})
	default:
		add(finding{verdictOK, "schema", fmt.Sprintf("up to date (version %d)", applied), ""})
	}
	if err != nil || applied < latest {
		// Without the tables the checks below would blame the key or the
		// reviewers for what is only a schema not made yet.
		add(finding{verdictWarn, "key, queue and on call", "not checked until the schema is up to date", "run 'tipline migrate', then doctor again"})
		return
	}

	if haveKey {
		add(keyFinding(ctx, db, cfg))
	}

	now := time.Now()
	if dbNow, err := db.DatabaseClock(ctx); err != nil {
		add(finding{verdictWarn, "clock", "cannot read the database's clock: " + err.Error(), ""})
	} else {
		add(clockFinding("clock (this machine vs PostgreSQL)", now.Sub(dbNow)))
	}

	add(queueFinding(ctx, db))
	add(vacuumFinding(ctx, db))

	if reviewers, err := db.Reviewers(ctx); err != nil {
		add(finding{verdictFail, "on call", "cannot read reviewers: " + err.Error(), "check TIPLINE_SECRET_KEY (see key above)"})
	} else {
		add(coverageFinding(ctx, db, reviewers, now, days, cfg.Location))
		add(reachFinding(reviewers))
	}

	if att, total, err := db.AttachmentBytes(ctx); err == nil {
		add(finding{verdictOK, "database size", fmt.Sprintf("%s in all, of which attachments %s", bytesText(total), bytesText(att)), ""})
	}
}

// keyFinding says whether the key opens the newest case, and whether the
// previous keys are still needed.
func keyFinding(ctx context.Context, db *postgres.Store, cfg Config) finding {
	if ref, err := db.LatestReference(ctx); err == nil {
		if _, err := db.Case(ctx, ref); err != nil {
			return finding{verdictFail, "key", "TIPLINE_SECRET_KEY does not open the newest case (" + string(ref) + ")",
				"put back the key this database was written with; if you rotated it, the old one goes in TIPLINE_PREVIOUS_SECRET_KEYS"}
		}
	} else if !errors.Is(err, tipline.ErrNotFound) {
		return finding{verdictWarn, "key", "cannot read a case to test the key: " + err.Error(), ""}
	}
	if len(cfg.PreviousKeys) == 0 {
		return finding{verdictOK, "key", "present, 32 bytes, opens the stored cases", ""}
	}
	left, err := db.OldKeyValues(ctx)
	if err != nil {
		return finding{verdictWarn, "key", "cannot count values under previous keys: " + err.Error(), ""}
	}
	n := 0
	for _, c := range left {
		n += c
	}
	if n > 0 {
		return finding{verdictWarn, "key", fmt.Sprintf("%d stored values are still under a previous key", n),
			"run 'tipline rekey'; keep TIPLINE_PREVIOUS_SECRET_KEYS until it reports nothing left"}
	}
	return finding{verdictOK, "key", "present; no stored value needs the previous keys any more (keep them while follow-up codes given before the rotation must work)", ""}
}

// queueFinding says whether updates are being processed and every open
// case is on its way to a reviewer: a backlog means the service is down or
// stuck, an unrouted case that the forgotten-case check has work to do.
func queueFinding(ctx context.Context, db *postgres.Store) finding {
	st, err := db.Stats(ctx)
	if err != nil {
		return finding{verdictWarn, "queues", "cannot read: " + err.Error(), ""}
	}
	unrouted, err := db.UnroutedCases(ctx)
	if err != nil {
		return finding{verdictWarn, "queues", "cannot read: " + err.Error(), ""}
	}
	if st.InboxPending > 0 && st.InboxOldest > 5*time.Minute {
		return finding{verdictFail, "queues", fmt.Sprintf("%d Telegram updates wait, the oldest for %v: reporters are not being answered",
			st.InboxPending, st.InboxOldest.Round(time.Second)), "start the service (systemctl status tipline; journalctl -u tipline)"}
	}
	if len(unrouted) > 0 {
		return finding{verdictWarn, "queues", fmt.Sprintf("%d open case(s) have no notification scheduled", len(unrouted)),
			"the running service notifies everyone within a minute; if this stays, check journalctl -u tipline"}
	}
	open := 0
	for _, byUrgency := range st.OpenCases {
		for _, n := range byUrgency {
			open += n
		}
	}
	return finding{verdictOK, "queues", fmt.Sprintf("%d update(s) waiting, %d open case(s), each with its next notification scheduled", st.InboxPending, open), ""}
}

// vacuumFinding warns when PostgreSQL's autovacuum is off for the server
// or for the inbox or outbox: nothing breaks at once, but each answer
// costs more as the day goes on and the database only grows.
func vacuumFinding(ctx context.Context, db *postgres.Store) finding {
	server, tables, err := db.VacuumOff(ctx)
	switch {
	case err != nil:
		return finding{verdictWarn, "vacuum", "cannot read the autovacuum setting: " + err.Error(), ""}
	case !server && len(tables) == 0:
		return finding{verdictOK, "vacuum", "autovacuum runs", ""}
	}
	var names, fixes []string
	if server {
		names = append(names, "the server")
		fixes = append(fixes, "set autovacuum = on (PostgreSQL's default) in postgresql.conf, then: sudo systemctl reload postgresql")
	}
	for _, t := range tables {
		names = append(names, "the "+t+" table")
		fixes = append(fixes, "psql: alter table "+t+" reset (autovacuum_enabled);")
	}
	return finding{verdictWarn, "vacuum", "autovacuum is off for " + strings.Join(names, " and ") +
		": every message's row is written twice, so without it answers slow down as the dead rows pile up, and the database only grows",
		strings.Join(fixes, "; and ")}
}

// clockFinding judges the difference between two clocks: leases,
// deadlines and Telegram's webhook all assume they agree within seconds.
func clockFinding(what string, skew time.Duration) finding {
	skew = skew.Round(time.Millisecond)
	abs := skew.Abs()
	switch {
	case abs > 30*time.Second:
		return finding{verdictFail, what, fmt.Sprintf("%v apart", skew), "turn on time synchronisation: sudo timedatectl set-ntp true (on both machines)"}
	case abs > 2*time.Second:
		return finding{verdictWarn, what, fmt.Sprintf("%v apart", skew), "turn on time synchronisation: sudo timedatectl set-ntp true"}
	}
	return finding{verdictOK, what, fmt.Sprintf("%v apart", skew), ""}
}

// coverageFinding names the gaps in the primary rota over the next days.
func coverageFinding(ctx context.Context, db *postgres.Store, reviewers []tipline.Reviewer, now time.Time, days int, loc *time.Location) finding {
	active := oncall.Active(reviewers)
	if active == 0 {
		return finding{verdictFail, "on call", "there are no active reviewers: cases are stored but NOBODY IS NOTIFIED",
			"tipline reviewers invite --name NAME --admin"}
	}
	rota, found, err := oncall.Load(ctx, db)
	if err != nil {
		return finding{verdictFail, "on call", "cannot read the rota: " + err.Error(), "set it again: tipline oncall set --primary ..."}
	}
	if !found {
		return finding{verdictWarn, "on call", fmt.Sprintf("no rota is set: all %d active reviewers are notified of every case", active),
			"tipline oncall set --primary SPEC (see tipline oncall set -h)"}
	}
	if l, err := rota.Location(); err == nil && l != nil {
		loc = l
	}
	gaps := oncall.Gaps(rota, reviewers, now, now.Add(time.Duration(days)*24*time.Hour))
	if len(gaps) == 0 {
		return finding{verdictOK, "on call", fmt.Sprintf("someone is on primary shift for the next %d days", days), ""}
	}
	var spans []string
	for _, g := range gaps {
		spans = append(spans, g.From.In(loc).Format("Mon 2 Jan 15:04")+" – "+g.Until.In(loc).Format("Mon 2 Jan 15:04"))
	}
	return finding{verdictWarn, "on call", fmt.Sprintf("nobody on primary shift in the next %d days (%s): %s; new cases then go to every reviewer at once",
		days, loc, strings.Join(spans, "; ")), "fill the gaps: tipline oncall set --primary ... (tipline oncall show)"}
}

// reachFinding names the active reviewers Telegram refuses to reach
// (G17): routing passes them over, so the team is that much smaller.
func reachFinding(reviewers []tipline.Reviewer) finding {
	var gone []string
	for _, r := range reviewers {
		if r.Active && !r.Reachable() {
			gone = append(gone, fmt.Sprintf("%s (reviewer %d, since %s)", r.Name, r.ID, r.Unreachable.UTC().Format("2006-01-02 15:04 UTC")))
		}
	}
	if len(gone) == 0 {
		return finding{verdictOK, "reviewers reachable", "Telegram reaches every active reviewer", ""}
	}
	return finding{verdictWarn, "reviewers reachable", "Telegram refuses to reach " + strings.Join(gone, "; ") +
		": they blocked the bot or lost the account, and new cases pass them by",
		"ask them to open the bot and write to it (that clears it), or: tipline reviewers disable ID"}
}

// doctorTelegram asks Telegram who the bot is and how its webhook stands,
// and compares Telegram's clock with ours.
func (m *Main) doctorTelegram(ctx context.Context, add func(finding), cfg Config) {
	ctx, cancel := context.WithTimeout(ctx, doctorTimeout)
	defer cancel()
	api, err := tgbot.New(cfg.BotToken, tgbot.WithServerURL(cfg.APIURL), tgbot.WithSkipGetMe())
	if err != nil {
		add(finding{verdictFail, "Telegram", "cannot make a client for TELEGRAM_API_URL", "check TELEGRAM_API_URL"})
		return
	}
	me, err := api.GetMe(ctx)
	if err != nil {
		add(finding{verdictFail, "Telegram", "getMe failed: the token is wrong or Telegram cannot be reached",
			"check TELEGRAM_BOT_TOKEN (from @BotFather) and that this machine reaches " + cfg.APIURL})
		return
	}
	add(finding{verdictOK, "Telegram", "the token belongs to @" + me.Username, ""})
	info, err := api.GetWebhookInfo(ctx)
	switch {
	case err != nil:
		add(finding{verdictWarn, "Telegram webhook", "getWebhookInfo failed", ""})
	case cfg.WebhookURL == "" && info.URL != "":
		add(finding{verdictWarn, "Telegram webhook", "a webhook is set at Telegram, but TIPLINE_WEBHOOK_URL is not: long polling gets nothing while it is",
			"start the service (it removes the webhook), or set TIPLINE_WEBHOOK_URL"})
	case cfg.WebhookURL != "" && info.URL != cfg.WebhookURL:
		add(finding{verdictWarn, "Telegram webhook", "Telegram's webhook is not TIPLINE_WEBHOOK_URL yet",
			"start the service: it sets the webhook"})
	case info.LastErrorMessage != "" && info.LastErrorDate > 0 && time.Since(time.Unix(int64(info.LastErrorDate), 0)) < 24*time.Hour:
		add(finding{verdictWarn, "Telegram webhook", fmt.Sprintf("Telegram's last delivery error: %q (%d updates waiting)", info.LastErrorMessage, info.PendingUpdateCount),
			"check that TIPLINE_WEBHOOK_URL reaches this machine over https and that the service runs"})
	case cfg.WebhookURL != "":
		add(finding{verdictOK, "Telegram webhook", fmt.Sprintf("set, %d updates waiting", info.PendingUpdateCount), ""})
	default:
		add(finding{verdictOK, "Telegram webhook", "none (long polling)", ""})
	}
	if skew, ok := telegramClockSkew(ctx, cfg.APIURL); ok {
		add(clockFinding("clock (this machine vs Telegram)", skew))
	}
}

// telegramClockSkew reads the Date header of Telegram's answer to a bare
// request (whole seconds, so up to a second of error).
func telegramClockSkew(ctx context.Context, apiURL string) (time.Duration, bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, apiURL, nil)
	if err != nil {
		return 0, false
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, false
	}
	_ = resp.Body.Close()
	theirs, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		return 0, false
	}
	mid := start.Add(time.Since(start) / 2).Truncate(time.Second)
	return mid.Sub(theirs), true
}

// doctorDisk checks the free space where attachments end up: PostgreSQL's
// data directory (TIPLINE_DATA_DIR, default /var/lib/postgresql), or the
// root file system when that is not on this machine.
func (m *Main) doctorDisk(add func(finding)) {
	dir := strings.TrimSpace(m.Getenv("TIPLINE_DATA_DIR"))
	if dir == "" {
		dir = "/var/lib/postgresql"
		if _, err := os.Stat(dir); err != nil {
			dir = "/"
		}
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		add(finding{verdictWarn, "disk", "cannot read the free space of " + dir, "set TIPLINE_DATA_DIR to PostgreSQL's data directory"})
		return
	}
	free := int64(st.Bavail) * int64(st.Bsize)
	total := int64(st.Blocks) * int64(st.Bsize)
	detail := fmt.Sprintf("%s free of %s on %s", bytesText(free), bytesText(total), dir)
	switch {
	case free < 1<<30:
		add(finding{verdictFail, "disk", detail, "free space or grow the disk: photos and voice notes are stored in PostgreSQL"})
	case total > 0 && free*10 < total:
		add(finding{verdictWarn, "disk", detail + " (under 10%)", "plan more space; TIPLINE_RETENTION_DAYS deletes closed cases"})
	default:
		add(finding{verdictOK, "disk", detail, ""})
	}
}

func bytesText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
