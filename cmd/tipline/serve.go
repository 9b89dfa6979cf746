package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tipline/tipline/bot"
	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/oncall"
	"github.com/tipline/tipline/outbox"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/memory"
	redisstore "github.com/tipline/tipline/storage/redis"
)

// shutdownGrace bounds how long in-flight work may take after SIGTERM.
const shutdownGrace = 30 * time.Second

func (m *Main) serve(ctx context.Context, args []string) error {
	fs := m.flags("serve", "Runs the bot: long polling, or a webhook when TIPLINE_WEBHOOK_URL is set.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(m.Getenv, need{token: true, database: true, redis: true, key: true})
	if err != nil {
		return err
	}
	log := m.logger(cfg)
	// The Redis client logs through its own logger unless told otherwise;
	// its lines go through ours, so TIPLINE_LOG_FORMAT=json holds for all.
	redis.SetLogger(redisLog{log.With("component", "redis")})
	ring, err := keys.NewRing(cfg.SecretKey, cfg.PreviousKeys...)
	if err != nil {
		return fmt.Errorf("TIPLINE_SECRET_KEY: %w", err)
	}
	db, err := openDatabase(ctx, cfg.DatabaseURL, ring)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetAdditionLimits(storage.AdditionLimits{PerDay: cfg.AdditionsPerDay, BytesPerDay: int64(cfg.AdditionMiBPerDay) << 20})
	rc, err := openRedis(ctx, cfg.RedisURL)
	if err != nil {
		return err
	}
	defer rc.Close()
	// The sessions and the limiter as one part: a claimed batch's message
	// counts go in the round trip that reads its sessions.
	sessions := redisstore.NewShared(rc, cfg.RedisPrefix, cfg.SessionTTL, ring)
	return m.runBot(ctx, cfg, log, ring, bot.Parts{
		Store:    db,
		Sessions: sessions,
		Limiter:  sessions,
		Throttle: redisstore.NewThrottle(rc, cfg.RedisPrefix),
		// While Redis is away, this process paces itself alone.
		FallbackThrottle: memory.NewThrottle(nil),
		IntakeLock:       db.IntakeLock(),
	}, health{stats: db, ready: map[string]pinger{"postgresql": db, "redis": sessions}}, nil, nil)
}

// redisLog passes the Redis client's log lines to slog, as warnings.
type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, fmt.Sprintf(format, v...))
}

func openRedis(ctx context.Context, redisURL string) (*redis.Client, error) {
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		return nil, errors.New("REDIS_URL is not a valid redis:// URL")
	}
	rc := redis.NewClient(opts)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := rc.Ping(pctx).Err(); err != nil {
		rc.Close()
		return nil, fmt.Errorf("connect to Redis (REDIS_URL): %w", err)
	}
	return rc, nil
}

// runBot runs the bot's parts until ctx ends, then stops them in reverse
// order: intake first, then the workers finish the updates in hand.
// h is what /metrics and /readyz read; extra, when set, is mounted on the
// listener (the sandbox page); ln, when set, is the listener to use
// instead of TIPLINE_LISTEN_ADDR.
func (m *Main) runBot(ctx context.Context, cfg Config, log *slog.Logger, ring *keys.Ring, parts bot.Parts, h health, extra http.Handler, ln net.Listener) error {
	cat, err := locales.Load()
	if err != nil {
		return err
	}
	parts.Ring, parts.Catalog, parts.Log = ring, cat, log
	mux := http.NewServeMux()
	// /metrics, /healthz, /readyz (health.go); the bot counts what it
	// sends, retries, processes and sets aside.
	setup := &telegramSetup{}
	h.setup = setup
	met := m.mountHealth(mux, cfg, log, h)
	parts.Observer = met
	b, err := bot.New(bot.Config{
		Token:         cfg.BotToken,
		APIURL:        cfg.APIURL,
		Workers:       cfg.Workers,
		Lease:         cfg.InboxLease,
		WebhookURL:    cfg.WebhookURL,
		WebhookSecret: cfg.WebhookSecret,
		Pacing: outbox.Pacing{
			Global: cfg.PaceGlobal, GlobalBurst: int(max(cfg.PaceGlobal/10, 1)),
			PerChat: cfg.PacePerChat, ChatBurst: int(max(3, cfg.PacePerChat)),
		},
		Limits:   flows.Limits{LongText: flows.DefaultLimits.LongText, ShortText: flows.DefaultLimits.ShortText, Attachments: cfg.MaxAttachments},
		Now:      m.Now,
		Location: cfg.Location,
		Policy: oncall.Policy{
			Urgent: cfg.AckUrgent, Normal: cfg.AckNormal, Repeat: cfg.AckRepeat, MaxRepeats: cfg.AckRepeats,
		},
		RouteTick:         cfg.RouteTick,
		UnroutedCheck:     cfg.UnroutedCheck,
		ReportsPerHour:    cfg.ReportsPerHour,
		ReportsPerDay:     cfg.ReportsPerDay,
		MessagesPerMinute: cfg.MessagesPerMinute,
		Retention:         time.Duration(cfg.RetentionDays) * 24 * time.Hour,
		AuditRetention:    time.Duration(cfg.AuditRetentionDays) * 24 * time.Hour,
		DeadLetterTTL:     cfg.DeadLetterTTL,
		Emergency:         cfg.Emergency,
		SessionTTL:        cfg.SessionTTL,
		CodeTries:         cfg.CodeTries,
	}, parts)
	if err != nil {
		return err
	}
	if cfg.WebhookURL != "" {
		u, _ := url.Parse(cfg.WebhookURL) // checked by loadConfig
		path := u.Path
		if path == "" {
			path = "/"
		}
		mux.Handle(path, b.WebhookHandler())
	}
	if extra != nil {
		mux.Handle("/", extra)
	}
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.ListenAddr); err != nil {
			return fmt.Errorf("listen on TIPLINE_LISTEN_ADDR %s: %w", cfg.ListenAddr, err)
		}
	}
	srv := httpServer(mux, extra != nil)

	ctx, stopAll := context.WithCancel(ctx) // a refused token stops it all
	defer stopAll()
	intakeCtx, stopIntake := context.WithCancel(ctx)
	defer stopIntake()
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server", "err", err)
		}
	})
	defer func() {
		_ = srv.Close()
		wg.Wait()
	}()
	// The listener serves first: in webhook mode Telegram may deliver as
	// soon as the webhook is set, and the sandbox's Telegram is this server.
	// A Telegram that does not answer yet does not stop the bot: it keeps
	// trying in the background (/readyz says so) while the workers and the
	// dispatcher run; a token or URL Telegram refuses does.
	fatal := make(chan error, 1)
	if cfg.Intake != "off" {
		err := b.Setup(ctx)
		if err != nil && setupRefused(err) {
			return fmt.Errorf("talk to Telegram (TELEGRAM_BOT_TOKEN, TELEGRAM_API_URL): %w", err)
		}
		if err != nil {
			setup.waiting(log, err, cfg.BotToken)
		}
		wg.Go(func() {
			if err != nil {
				if err := setup.retry(intakeCtx, log, b.Setup, cfg.BotToken); err != nil {
					fatal <- err
					return
				}
			}
			if cfg.Intake == "poll" {
				if err := b.Poll(intakeCtx); err != nil {
					log.Error("polling stopped", "err", err)
				}
			}
		})
	}
	workers := make(chan struct{})
	go func() {
		defer close(workers)
		_ = b.Run(ctx)
	}()
	mode := map[string]string{"poll": "long polling", "webhook": "webhook", "off": "no intake (workers only)"}[cfg.Intake]
	log.Info("tipline is running", "mode", mode, "listen", ln.Addr().String(), "version", version)
	m.ready(ln.Addr().String())

	var failed error
	select {
	case <-ctx.Done():
	case failed = <-fatal:
		log.Error("stopping: Telegram refuses the bot", "err", failed)
		stopAll()
	}
	log.Info("shutting down: finishing updates in hand")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	stopIntake()
	waitWorkers := func() {
		select {
		case <-workers:
		case <-sctx.Done():
			log.Warn("shutdown deadline passed with updates in hand; they will be retried")
		}
	}
	if extra != nil {
		// The sandbox's Telegram is this server: keep it until the bot is done.
		waitWorkers()
	}
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	wg.Wait()
	waitWorkers()
	log.Info("stopped")
	return failed
}

func (m *Main) migrate(ctx context.Context, args []string) error {
	fs := m.flags("migrate", "Brings the database schema up to date. Safe to run more than once and from several machines.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(m.Getenv, need{database: true})
	if err != nil {
		return err
	}
	db, err := openDatabase(ctx, cfg.DatabaseURL, keys.NewRandomRing())
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintln(m.Stdout, "database schema is up to date")
	return nil
}

// httpServer is the server of the health, metrics and webhook endpoints
// and, in the sandbox (emulated), of the emulated Telegram too: then it
// holds a getUpdates long poll (bot.DefaultPollTimeout) and more, so an
// idle sandbox never cuts one short ("getUpdates: EOF" every 50 s, and a
// message sent late in a poll waiting for the retry).
func httpServer(h http.Handler, emulated bool) *http.Server {
	write := 30 * time.Second
	if emulated {
		write = bot.DefaultPollTimeout + 20*time.Second
	}
	var quiet unusedConns
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      write,
		IdleTimeout:       2 * time.Minute,
		ConnState:         quiet.track,
	}
	srv.RegisterOnShutdown(quiet.closeAll)
	return srv
}

// unusedConns closes, once the server shuts down, the connections that
// never sent a request: a browser's preconnect, or one an HTTP client's
// pool dialed and then did not need. Shutdown closes idle connections at
// once but waits 5 s for these (it cannot tell them from a request on its
// way), so a sandbox stopped with Ctrl+C, or a service stopped while a
// webhook connection was opening, would wait for nothing. What such a
// connection might still have sent is refused either way: intake has
// stopped, and Telegram sends an update it had no answer for again.
type unusedConns struct {
	mu       sync.Mutex
	fresh    map[net.Conn]struct{}
	shutdown bool
}

// track is the server's ConnState hook.
func (u *unusedConns) track(c net.Conn, state http.ConnState) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if state != http.StateNew {
		delete(u.fresh, c)
		return
	}
	if u.shutdown {
		// Accepted just as the listener closed.
		_ = c.Close()
		return
	}
	if u.fresh == nil {
		u.fresh = make(map[net.Conn]struct{})
	}
	u.fresh[c] = struct{}{}
}

// closeAll runs when Shutdown begins, after the listeners are closed.
func (u *unusedConns) closeAll() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.shutdown = true
	for c := range u.fresh {
		_ = c.Close()
	}
	clear(u.fresh)
}
