package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	neturl "net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/bot"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/oncall"
	"github.com/tipline/tipline/sandbox"
	"github.com/tipline/tipline/storage/memory"
	"github.com/tipline/tipline/storage/redis"
	"github.com/tipline/tipline/telegramemu"
)

func (m *Main) sandbox(ctx context.Context, args []string) error {
	fs := m.flags("sandbox", "Runs the bot against an emulated Telegram, with a chat page in your browser.\n"+
		"Storage is in memory unless DATABASE_URL is set; then the sandbox keeps its cases in a schema of\n"+
		"its own ("+sandboxSchema+", or SCHEMA_sandbox when DATABASE_URL sets a search_path) of that database,\n"+
		"never in a live service's tables, and its sessions in\n"+
		"Redis (REDIS_URL) under keys of its own.")
	addr := fs.String("addr", "127.0.0.1:8080", "address of the chat page (and of the emulated Telegram)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(m.Getenv, need{})
	if err != nil {
		return err
	}
	log := m.logger(cfg)

	ring := keys.NewRandomRing()
	if cfg.SecretKey != nil {
		if ring, err = keys.NewRing(cfg.SecretKey, cfg.PreviousKeys...); err != nil {
			return fmt.Errorf("TIPLINE_SECRET_KEY: %w", err)
		}
	}
	var store bot.Store
	// The in-memory twins have nothing to ping and no gauges to feed.
	h := health{ready: map[string]pinger{}}
	note := "" // the page's own line: in memory, gone when the sandbox stops
	if cfg.DatabaseURL != "" {
		url, schema, err := sandboxDatabase(ctx, cfg.DatabaseURL)
		if err != nil {
			return err
		}
		db, err := openDatabase(ctx, url, ring)
		if err != nil {
			return err
		}
		defer db.Close()
		store, h.stats, h.ready["postgresql"] = db, db, db
		note = "A local bot and an emulated Telegram: nothing here reaches Telegram. Cases, reviewers and messages are kept in the schema " +
			schema + " of the database in DATABASE_URL, apart from any live service's data, and stay there after tipline sandbox stops " +
			"(drop schema " + schema + " cascade removes them)."
		fmt.Fprintf(m.Stdout, "The sandbox keeps its data in the schema %s of DATABASE_URL's database, apart from a live service's.\n", schema)
	} else {
		store = memory.New(time.Now)
	}
	// The sessions and the limiter as one part, as serve has them.
	var (
		sessions bot.Sessions
		limiter  bot.Limiter
	)
	if cfg.RedisURL != "" {
		rc, err := openRedis(ctx, cfg.RedisURL)
		if err != nil {
			return err
		}
		defer rc.Close()
		rs := redis.NewShared(rc, "tipline-sandbox:", cfg.SessionTTL, ring)
		sessions, limiter, h.ready["redis"] = rs, rs, rs
	} else {
		ms := memory.NewShared(cfg.SessionTTL, time.Now)
		sessions, limiter = ms, ms
	}

	if err := seedPartners(ctx, store); err != nil {
		return err
	}
	// In memory the sandbox reviewer is an admin, so a person can try
	// recording the questions (/record); with a database, never (the
	// schema may sit beside a live service's).
	if err := seedReviewer(ctx, store, cfg.DatabaseURL == ""); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on -addr %s: %w (is another sandbox running? try -addr 127.0.0.1:0)", *addr, err)
	}
	base := "http://" + ln.Addr().String()
	// Both secrets are new each run: the page's token, which the printed
	// link carries, and the emulated bot's token, which is the only key to
	// its Bot API paths.
	pageToken, botToken := rand.Text(), "7000001:"+rand.Text()
	emu := telegramemu.NewHandlerServer(telegramemu.WithBotUsername("tipline_sandbox_bot"), telegramemu.WithToken(botToken))
	defer emu.Close()
	emu.SetURL(base)
	emu.AddUser(telegramemu.User{ID: sandboxReviewerID, FirstName: "Sandbox reviewer", LanguageCode: "en"})
	mux := http.NewServeMux()
	// The page's long polls end with ctx, so Ctrl+C stops the sandbox at once.
	sandbox.MountNoting(mux, sandbox.EndPollsOn(ctx, emu.Handler()), note)
	sandbox.MountCases(mux, caseTrail(store, locales.MustLoad()))
	page := sandbox.Guard(mux, pageToken, ln.Addr().String())
	m.pageURL = base + "/?" + sandbox.TokenParam + "=" + pageToken

	cfg.APIURL = base
	cfg.BotToken = emu.Token()
	cfg.WebhookURL, cfg.WebhookSecret = "", ""
	cfg.Intake = "poll"
	if m.Getenv("TIPLINE_PACE_PER_CHAT") == "" {
		cfg.PacePerChat = 20 // the emulator has no rate limit; a person trying it should not wait
	}
	fmt.Fprintf(m.Stdout, "Tipline sandbox: open %s in your browser (Ctrl+C to stop)\n", m.pageURL)
	return m.runBot(ctx, cfg, log, ring, bot.Parts{
		Store: store, Sessions: sessions, Limiter: limiter, Throttle: memory.NewThrottle(time.Now), FallbackThrottle: memory.NewThrottle(time.Now),
	}, h, page, ln)
}

// sandboxReviewerID is the Telegram user id of the sandbox's reviewer.
const sandboxReviewerID = 2001

// seeder is what the sandbox needs to register its reviewer.
type seeder interface {
	CreateInvite(ctx context.Context, codeHash []byte, name string, admin bool, expires time.Time) error
	RedeemInvite(ctx context.Context, codeHash []byte, telegramID int64, lang string, now time.Time) (tipline.Reviewer, error)
	ReviewerByTelegram(ctx context.Context, telegramID int64) (tipline.Reviewer, error)
	SaveRota(ctx context.Context, doc []byte) error
	LoadRota(ctx context.Context) ([]byte, error)
}

// partnerSeeder is what the sandbox needs to offer partners to refer to.
type partnerSeeder interface {
	Partners(ctx context.Context) ([]tipline.Partner, error)
	AddPartner(ctx context.Context, name string, kind tipline.PartnerKind, country string) (tipline.Partner, error)
}

// sandboxPartners are the made-up partners a sandbox case can be referred to.
var sandboxPartners = []tipline.Partner{
	{Name: "Sandbox police unit (Cambodia)", Kind: tipline.PartnerPolice, Country: "KH"},
	{Name: "Sandbox children's shelter (Thailand)", Kind: tipline.PartnerNGO, Country: "TH"},
}

// seedPartners adds made-up partners when there are none, so a person can
// refer a case to one; partners already there are someone's and are kept.
func seedPartners(ctx context.Context, store bot.Store) error {
	s, ok := store.(partnerSeeder)
	if !ok {
		return nil
	}
	have, err := s.Partners(ctx)
	if err != nil {
		return fmt.Errorf("seed partners: %w", err)
	}
	if len(have) > 0 {
		return nil
	}
	for _, p := range sandboxPartners {
		if _, err := s.AddPartner(ctx, p.Name, p.Kind, p.Country); err != nil {
			return fmt.Errorf("seed partners: %w", err)
		}
	}
	return nil
}

// seedReviewer registers one reviewer, on call around the clock, so a
// person can follow a case from both sides; an admin only when asked (the
// sandbox in memory, where nothing is real).
func seedReviewer(ctx context.Context, store bot.Store, admin bool) error {
	s, ok := store.(seeder)
	if !ok {
		return nil
	}
	rv, err := s.ReviewerByTelegram(ctx, sandboxReviewerID)
	if errors.Is(err, tipline.ErrNotFound) {
		code := tipline.NewInviteCode()
		if err := s.CreateInvite(ctx, tipline.InviteHash(code), "Sandbox reviewer", admin, time.Now().Add(time.Hour)); err != nil {
			return fmt.Errorf("seed reviewer: %w", err)
		}
		if rv, err = s.RedeemInvite(ctx, tipline.InviteHash(code), sandboxReviewerID, "en", time.Now()); err != nil {
			return fmt.Errorf("seed reviewer: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("seed reviewer: %w", err)
	}
	// A rota already there is someone's: never overwrite it.
	if _, err := s.LoadRota(ctx); err == nil {
		return nil
	} else if !errors.Is(err, tipline.ErrNotFound) {
		return fmt.Errorf("seed rota: %w", err)
	}
	rota := oncall.Rota{TimeZone: "Asia/Phnom_Penh", Primary: []oncall.Shift{}}
	shifts, err := oncall.ParseShifts(strconv.FormatInt(rv.ID, 10)+":daily@00:00-24:00", time.UTC)
	if err != nil {
		return fmt.Errorf("seed rota: %w", err)
	}
	rota.Primary = shifts
	doc, err := rota.Encode()
	if err != nil {
		return fmt.Errorf("seed rota: %w", err)
	}
	return s.SaveRota(ctx, doc)
}

// sandboxSchema is the schema a sandbox keeps its data in when DATABASE_URL
// is set: never the live service's tables, so the two never share an
// outbox, reviewers or cases. A service working in a schema of its own
// (search_path in DATABASE_URL) gets SCHEMA_sandbox beside it.
const sandboxSchema = "tipline_sandbox"

// sandboxDatabase makes the sandbox's schema in DATABASE_URL's database
// (when missing) and returns the URL that works in it, and its name.
func sandboxDatabase(ctx context.Context, url string) (string, string, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return "", "", fmt.Errorf("open database (DATABASE_URL): %w", err)
	}
	defer conn.Close(ctx)
	var current string
	if err := conn.QueryRow(ctx, "select coalesce(current_schema(), '')").Scan(&current); err != nil {
		return "", "", fmt.Errorf("open database (DATABASE_URL): %w", err)
	}
	schema := sandboxSchema
	if current != "" && current != "public" {
		schema = current + "_sandbox"
	}
	if _, err := conn.Exec(ctx, "create schema if not exists "+pgx.Identifier{schema}.Sanitize()); err != nil {
		return "", "", fmt.Errorf("make the sandbox's schema %s: %w", schema, err)
	}
	return withSearchPath(url, schema), schema, nil
}

// withSearchPath is a PostgreSQL URL (or keyword/value string) whose
// connections work in schema.
func withSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if u, err := neturl.Parse(dsn); err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dsn + " search_path=" + schema
}
