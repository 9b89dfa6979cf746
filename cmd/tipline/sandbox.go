package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/tipline/tipline/bot"
	"github.com/tipline/tipline/bot/telegramtest"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/sandbox"
	"github.com/tipline/tipline/storage"
)

func (m *Main) sandbox(ctx context.Context, args []string) error {
	fs := m.flags("sandbox", "Runs the bot against an emulated Telegram, with a chat page in your browser.\n"+
		"Storage is in memory unless DATABASE_URL and REDIS_URL are set.")
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
	if cfg.DatabaseURL != "" {
		db, err := storage.OpenPostgres(ctx, cfg.DatabaseURL, ring)
		if err != nil {
			return fmt.Errorf("open database (DATABASE_URL): %w", err)
		}
		defer db.Close()
		if err := db.Migrate(ctx); err != nil {
			return fmt.Errorf("migrate database: %w", err)
		}
		store = db
	} else {
		store = storage.NewMemory(time.Now)
	}
	var sessions bot.Sessions
	var limiter bot.Limiter = storage.NewMemoryLimiter(time.Now)
	if cfg.RedisURL != "" {
		rc, err := openRedis(ctx, cfg.RedisURL)
		if err != nil {
			return err
		}
		defer rc.Close()
		sessions = storage.NewRedisSessions(rc, "tipline-sandbox:", cfg.SessionTTL, ring)
		limiter = storage.NewRedisLimiter(rc, "tipline-sandbox:")
	} else {
		sessions = storage.NewMemorySessions(cfg.SessionTTL, time.Now)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on -addr %s: %w (is another sandbox running? try -addr 127.0.0.1:0)", *addr, err)
	}
	base := "http://" + ln.Addr().String()
	emu := telegramtest.NewHandlerServer(telegramtest.WithBotUsername("tipline_sandbox_bot"))
	defer emu.Close()
	emu.SetURL(base)
	page := http.NewServeMux()
	sandbox.Mount(page, emu.Handler())

	cfg.APIURL = base
	cfg.BotToken = emu.Token()
	cfg.WebhookURL, cfg.WebhookSecret = "", ""
	fmt.Fprintf(m.Stdout, "Tipline sandbox: open %s in your browser (Ctrl+C to stop)\n", base)
	return m.runBot(ctx, cfg, log, ring, store, sessions, limiter, page, ln)
}
