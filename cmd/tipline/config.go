package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/locales"
)

// Config is everything the program reads from the environment, read once
// and checked at start: a missing or malformed setting stops start-up with a
// message that names the variable.
type Config struct {
	BotToken      string
	APIURL        string
	DatabaseURL   string
	RedisURL      string
	SecretKey     []byte
	PreviousKeys  [][]byte
	WebhookURL    string
	WebhookSecret string
	ListenAddr    string
	// MetricsToken, when set, is the bearer token /metrics requires
	// (TIPLINE_METRICS_TOKEN); /healthz and /readyz stay open (they say
	// only up or down).
	MetricsToken   string
	LogFormat      string
	LogLevel       string
	RedisPrefix    string
	InboxLease     time.Duration
	SessionTTL     time.Duration
	PacePerChat    float64
	PaceGlobal     float64
	Workers        int
	MaxAttachments int
	Location       *time.Location
	Emergency      []flows.EmergencyNumber
	CodeTries      int
	AckUrgent      time.Duration
	AckNormal      time.Duration
	AckRepeat      time.Duration
	AckRepeats     int
	RouteTick      time.Duration
	UnroutedCheck  time.Duration
	// Limits per reporter.
	ReportsPerHour    int
	ReportsPerDay     int
	MessagesPerMinute int
	// Limits per case: additions a day, and their bytes.
	AdditionsPerDay   int
	AdditionMiBPerDay int
	// Retention of closed cases and of audit events.
	RetentionDays      int
	AuditRetentionDays int
	// DeadLetterTTL is how long updates set aside are kept.
	DeadLetterTTL time.Duration
	// Intake is "poll", "webhook" or "off" (a process that only works the
	// inbox and the routing jobs, beside others that take updates in).
	Intake string
}

// configError lists every problem at once, so an operator fixes them in one go.
type configError []string

func (e configError) Error() string {
	return "configuration: " + strings.Join(e, "; ")
}

var webhookSecretRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// need says which settings a command requires.
type need struct {
	token, database, redis, key bool
}

// minWebhookSecret is the shortest webhook secret accepted: anyone who
// guesses it can feed the bot updates as any user.
const minWebhookSecret = 32

// loadConfig reads the environment through getenv once, checks every
// setting, and reports all the problems at once, each naming its variable
// (a configError: exit status 2). n says which settings the command needs.
func loadConfig(getenv func(string) string, n need) (Config, error) {
	var errs configError
	c := Config{
		BotToken:      strings.TrimSpace(getenv("TELEGRAM_BOT_TOKEN")),
		APIURL:        strings.TrimRight(strings.TrimSpace(getenv("TELEGRAM_API_URL")), "/"),
		DatabaseURL:   strings.TrimSpace(getenv("DATABASE_URL")),
		RedisURL:      strings.TrimSpace(getenv("REDIS_URL")),
		WebhookURL:    strings.TrimSpace(getenv("TIPLINE_WEBHOOK_URL")),
		WebhookSecret: strings.TrimSpace(getenv("TIPLINE_WEBHOOK_SECRET")),
		ListenAddr:    strings.TrimSpace(getenv("TIPLINE_LISTEN_ADDR")),
		LogFormat:     strings.TrimSpace(getenv("TIPLINE_LOG_FORMAT")),
		LogLevel:      strings.TrimSpace(getenv("TIPLINE_LOG_LEVEL")),
	}
	if c.APIURL == "" {
		c.APIURL = "https://api.telegram.org"
	} else if u, err := url.Parse(c.APIURL); err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Hostname()))) {
		// The bot token travels in every request's path: never in clear
		// over a network.
		errs = append(errs, "TELEGRAM_API_URL must be an https URL such as https://api.telegram.org (plain http only on 127.0.0.1 or localhost)")
	}
	if n.token && c.BotToken == "" {
		errs = append(errs, "TELEGRAM_BOT_TOKEN is required (from @BotFather)")
	} else if c.BotToken != "" && !strings.Contains(c.BotToken, ":") {
		errs = append(errs, "TELEGRAM_BOT_TOKEN does not look like a bot token (digits, a colon, then letters)")
	}
	if n.database && c.DatabaseURL == "" {
		errs = append(errs, "DATABASE_URL is required (postgres://user@host:5432/db)")
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, "DATABASE_URL must start with postgres:// or postgresql://")
	}
	if n.redis && c.RedisURL == "" {
		errs = append(errs, "REDIS_URL is required (redis://host:6379/0)")
	}
	if c.RedisURL != "" && !strings.HasPrefix(c.RedisURL, "redis://") && !strings.HasPrefix(c.RedisURL, "rediss://") {
		errs = append(errs, "REDIS_URL must start with redis:// or rediss://")
	}
	if s := strings.TrimSpace(getenv("TIPLINE_SECRET_KEY")); s != "" {
		k, err := keys.ParseRootKey(s)
		if err != nil {
			errs = append(errs, "TIPLINE_SECRET_KEY "+err.Error())
		}
		c.SecretKey = k
	} else if n.key {
		errs = append(errs, "TIPLINE_SECRET_KEY is required: 32 random bytes, base64 (openssl rand -base64 32)")
	}
	for i, s := range strings.Split(getenv("TIPLINE_PREVIOUS_SECRET_KEYS"), ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		k, err := keys.ParseRootKey(s)
		if err != nil {
			errs = append(errs, fmt.Sprintf("TIPLINE_PREVIOUS_SECRET_KEYS entry %d %s", i+1, err))
			continue
		}
		c.PreviousKeys = append(c.PreviousKeys, k)
	}
	if c.WebhookURL != "" {
		if u, err := url.Parse(c.WebhookURL); err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Hostname()))) {
			errs = append(errs, "TIPLINE_WEBHOOK_URL must be an https URL (Telegram only calls https; plain http is for 127.0.0.1 in tests)")
		}
		if c.WebhookSecret == "" {
			errs = append(errs, "TIPLINE_WEBHOOK_SECRET is required with TIPLINE_WEBHOOK_URL")
		}
	}
	if c.WebhookSecret != "" && !webhookSecretRE.MatchString(c.WebhookSecret) {
		errs = append(errs, "TIPLINE_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
	} else if c.WebhookSecret != "" && len(c.WebhookSecret) < minWebhookSecret {
		errs = append(errs, fmt.Sprintf("TIPLINE_WEBHOOK_SECRET must be at least %d characters (openssl rand -hex 32)", minWebhookSecret))
	}
	if c.ListenAddr == "" {
		// Loopback unless the operator says otherwise: /metrics and
		// /readyz tell how many urgent cases are open and whether anyone
		// is on call, which a network watching the team must not read.
		c.ListenAddr = defaultListenAddr
	}
	c.MetricsToken = strings.TrimSpace(getenv("TIPLINE_METRICS_TOKEN"))
	if c.MetricsToken != "" && len(c.MetricsToken) < minWebhookSecret {
		errs = append(errs, fmt.Sprintf("TIPLINE_METRICS_TOKEN must be at least %d characters (openssl rand -hex 32)", minWebhookSecret))
	}
	switch c.LogFormat {
	case "":
		c.LogFormat = "text"
	case "text", "json":
	default:
		errs = append(errs, "TIPLINE_LOG_FORMAT must be text or json")
	}
	switch c.LogLevel {
	case "":
		c.LogLevel = "info"
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, "TIPLINE_LOG_LEVEL must be debug, info, warn or error")
	}
	var err error
	if c.SessionTTL, err = duration(getenv, "TIPLINE_SESSION_TTL", 72*time.Hour); err != nil {
		errs = append(errs, err.Error())
	}
	if c.InboxLease, err = duration(getenv, "TIPLINE_INBOX_LEASE", time.Minute); err != nil {
		errs = append(errs, err.Error())
	}
	c.RedisPrefix = strings.TrimSpace(getenv("TIPLINE_REDIS_PREFIX"))
	if c.RedisPrefix == "" {
		c.RedisPrefix = "tipline:"
	}
	if c.PacePerChat, err = number(getenv, "TIPLINE_PACE_PER_CHAT", 1, 0.1, 1000); err != nil {
		errs = append(errs, err.Error())
	}
	if c.PaceGlobal, err = number(getenv, "TIPLINE_PACE_GLOBAL", 30, 1, 10000); err != nil {
		errs = append(errs, err.Error())
	}
	if c.Workers, err = integer(getenv, "TIPLINE_WORKERS", 8, 1, 256); err != nil {
		errs = append(errs, err.Error())
	}
	if c.CodeTries, err = integer(getenv, "TIPLINE_FOLLOWUP_TRIES_PER_HOUR", 5, 1, 100); err != nil {
		errs = append(errs, err.Error())
	}
	if c.AckUrgent, err = duration(getenv, "TIPLINE_ACK_URGENT", 5*time.Minute); err != nil {
		errs = append(errs, err.Error())
	}
	if c.AckNormal, err = duration(getenv, "TIPLINE_ACK_NORMAL", 30*time.Minute); err != nil {
		errs = append(errs, err.Error())
	}
	if c.AckRepeat, err = duration(getenv, "TIPLINE_ACK_REPEAT", 30*time.Minute); err != nil {
		errs = append(errs, err.Error())
	}
	if c.AckRepeats, err = integer(getenv, "TIPLINE_ACK_REPEATS", 12, 0, 1000); err != nil {
		errs = append(errs, err.Error())
	}
	if c.RouteTick, err = duration(getenv, "TIPLINE_ROUTE_TICK", time.Second); err != nil {
		errs = append(errs, err.Error())
	}
	if c.UnroutedCheck, err = duration(getenv, "TIPLINE_UNROUTED_CHECK", time.Minute); err != nil {
		errs = append(errs, err.Error())
	}
	if c.ReportsPerHour, err = integer(getenv, "TIPLINE_LIMIT_REPORTS_PER_HOUR", 3, 1, 1000); err != nil {
		errs = append(errs, err.Error())
	}
	if c.ReportsPerDay, err = integer(getenv, "TIPLINE_LIMIT_REPORTS_PER_DAY", 10, 1, 10000); err != nil {
		errs = append(errs, err.Error())
	}
	if c.AdditionsPerDay, err = integer(getenv, "TIPLINE_LIMIT_ADDITIONS_PER_DAY", 30, 1, 10000); err != nil {
		errs = append(errs, err.Error())
	}
	if c.AdditionMiBPerDay, err = integer(getenv, "TIPLINE_LIMIT_ADDITION_MB_PER_DAY", 100, 1, 100000); err != nil {
		errs = append(errs, err.Error())
	}
	if c.MessagesPerMinute, err = integer(getenv, "TIPLINE_LIMIT_MESSAGES_PER_MINUTE", 60, 1, 10000); err != nil {
		errs = append(errs, err.Error())
	}
	if c.RetentionDays, err = integer(getenv, "TIPLINE_RETENTION_DAYS", 90, 4, 36500); err != nil {
		errs = append(errs, err.Error())
	}
	if c.AuditRetentionDays, err = integer(getenv, "TIPLINE_AUDIT_RETENTION_DAYS", 730, 1, 36500); err != nil {
		errs = append(errs, err.Error())
	}
	if c.DeadLetterTTL, err = days(getenv, "TIPLINE_DEAD_LETTER_TTL", 14*24*time.Hour); err != nil {
		errs = append(errs, err.Error())
	}
	c.Intake = strings.TrimSpace(getenv("TIPLINE_INTAKE"))
	switch {
	case c.Intake == "" && c.WebhookURL != "":
		c.Intake = "webhook"
	case c.Intake == "":
		c.Intake = "poll"
	case c.Intake == "off" || (c.Intake == "webhook" && c.WebhookURL != "") || (c.Intake == "poll" && c.WebhookURL == ""):
	default:
		errs = append(errs, "TIPLINE_INTAKE must be poll, webhook (with TIPLINE_WEBHOOK_URL) or off")
	}
	tz := strings.TrimSpace(getenv("TIPLINE_TIME_ZONE"))
	if tz == "" {
		tz = "Asia/Phnom_Penh"
	}
	if c.Location, err = time.LoadLocation(tz); err != nil {
		errs = append(errs, "TIPLINE_TIME_ZONE must be a time zone name such as Asia/Phnom_Penh or Asia/Bangkok")
	}
	if c.Emergency, err = emergencyNumbers(getenv("TIPLINE_EMERGENCY_NUMBERS")); err != nil {
		errs = append(errs, err.Error())
	}
	if c.MaxAttachments, err = integer(getenv, "TIPLINE_MAX_ATTACHMENTS", 20, 1, 100); err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return c, errs
	}
	return c, nil
}

// emergencyNumbers reads TIPLINE_EMERGENCY_NUMBERS: entries separated by
// ";", each "COUNTRY|NUMBER|SERVICE", where SERVICE names a message
// emergency_SERVICE in locales (so it is said in every language), for
// example "KH|117|kh_police; TH|191|th_police". Empty means the defaults.
func emergencyNumbers(s string) ([]flows.EmergencyNumber, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return flows.DefaultEmergency, nil
	}
	cat, err := locales.Load()
	if err != nil {
		return nil, err
	}
	var out []flows.EmergencyNumber
	for i, entry := range strings.Split(s, ";") {
		parts := strings.Split(strings.TrimSpace(entry), "|")
		if len(parts) != 3 {
			return nil, fmt.Errorf("TIPLINE_EMERGENCY_NUMBERS entry %d must be COUNTRY|NUMBER|SERVICE", i+1)
		}
		country, number, service := strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1]), strings.TrimSpace(parts[2])
		id := "emergency_" + service
		if !cat.Has("en", id) {
			return nil, fmt.Errorf("TIPLINE_EMERGENCY_NUMBERS entry %d: unknown service %q (known: kh_police, kh_helpline, th_police, th_hotline, th_abroad)", i+1, service)
		}
		if !cat.Has("en", "country_"+strings.ToLower(country)) {
			return nil, fmt.Errorf("TIPLINE_EMERGENCY_NUMBERS entry %d: unknown country %q (known: KH, TH, intl)", i+1, country)
		}
		if number == "" || strings.Trim(number, "+0123456789 ") != "" {
			return nil, fmt.Errorf("TIPLINE_EMERGENCY_NUMBERS entry %d: the number may hold only digits, spaces and +", i+1)
		}
		out = append(out, flows.EmergencyNumber{Country: country, Number: number, NameID: id})
	}
	return out, nil
}

func loopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// defaultListenAddr is TIPLINE_LISTEN_ADDR's default: loopback only.
const defaultListenAddr = "127.0.0.1:8080"

func duration(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	s := strings.TrimSpace(getenv(name))
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return def, fmt.Errorf("%s must be a duration such as 72h or 30m", name)
	}
	return d, nil
}

// days reads a duration that may also be given in days ("14d"), as long
// retention times are.
func days(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	s := strings.TrimSpace(getenv(name))
	if n, ok := strings.CutSuffix(s, "d"); ok {
		d, err := strconv.Atoi(n)
		if err != nil || d <= 0 || d > 36500 {
			return def, fmt.Errorf("%s must be a duration such as 14d or 336h", name)
		}
		return time.Duration(d) * 24 * time.Hour, nil
	}
	d, err := duration(getenv, name, def)
	if err != nil {
		return def, fmt.Errorf("%s must be a duration such as 14d or 336h", name)
	}
	return d, nil
}

func integer(getenv func(string) string, name string, def, lo, hi int) (int, error) {
	s := strings.TrimSpace(getenv(name))
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return def, fmt.Errorf("%s must be a whole number from %d to %d", name, lo, hi)
	}
	return n, nil
}

func number(getenv func(string) string, name string, def, lo, hi float64) (float64, error) {
	s := strings.TrimSpace(getenv(name))
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n < lo || n > hi {
		return def, fmt.Errorf("%s must be a number from %g to %g", name, lo, hi)
	}
	return n, nil
}

// isConfigError tells a configuration problem from a failure at run time.
func isConfigError(err error) bool {
	var ce configError
	return errors.As(err, &ce)
}
