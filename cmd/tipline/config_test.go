package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestConfigNamesTheVariable(t *testing.T) {
	good := map[string]string{
		"TELEGRAM_BOT_TOKEN": "123:abc", "DATABASE_URL": "postgres://x@127.0.0.1/db",
		"REDIS_URL": "redis://127.0.0.1:6379/0", "TIPLINE_SECRET_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
	}
	all := need{token: true, database: true, redis: true, key: true}
	if _, err := loadConfig(func(k string) string { return good[k] }, all); err != nil {
		t.Fatalf("good config refused: %v", err)
	}
	for name, env := range map[string]map[string]string{
		"api on loopback over http": {"TELEGRAM_API_URL": "http://127.0.0.1:8081"},
		"webhook secret of 32":      {"TIPLINE_WEBHOOK_SECRET": strings.Repeat("a", 32)},
	} {
		for k, v := range good {
			env[k] = v
		}
		if _, err := loadConfig(func(k string) string { return env[k] }, all); err != nil {
			t.Errorf("%s refused: %v", name, err)
		}
	}
	cases := []struct {
		name, key, value, want string
	}{
		{"missing token", "TELEGRAM_BOT_TOKEN", "", "TELEGRAM_BOT_TOKEN"},
		{"bad token", "TELEGRAM_BOT_TOKEN", "nocolon", "TELEGRAM_BOT_TOKEN"},
		{"missing database", "DATABASE_URL", "", "DATABASE_URL"},
		{"bad database", "DATABASE_URL", "mysql://x", "DATABASE_URL"},
		{"missing redis", "REDIS_URL", "", "REDIS_URL"},
		{"missing key", "TIPLINE_SECRET_KEY", "", "TIPLINE_SECRET_KEY"},
		{"short key", "TIPLINE_SECRET_KEY", "c2hvcnQ=", "TIPLINE_SECRET_KEY"},
		{"bad previous key", "TIPLINE_PREVIOUS_SECRET_KEYS", "zzz", "TIPLINE_PREVIOUS_SECRET_KEYS"},
		{"http webhook", "TIPLINE_WEBHOOK_URL", "http://example.org/hook", "TIPLINE_WEBHOOK_URL"},
		{"webhook without secret", "TIPLINE_WEBHOOK_URL", "https://example.org/hook", "TIPLINE_WEBHOOK_SECRET"},
		{"bad secret", "TIPLINE_WEBHOOK_SECRET", "has space", "TIPLINE_WEBHOOK_SECRET"},
		{"log format", "TIPLINE_LOG_FORMAT", "xml", "TIPLINE_LOG_FORMAT"},
		{"ttl", "TIPLINE_SESSION_TTL", "forever", "TIPLINE_SESSION_TTL"},
		{"workers", "TIPLINE_WORKERS", "0", "TIPLINE_WORKERS"},
		{"api url", "TELEGRAM_API_URL", "ftp://x", "TELEGRAM_API_URL"},
		{"api url over plain http", "TELEGRAM_API_URL", "http://api.example.org", "TELEGRAM_API_URL"},
		{"short webhook secret", "TIPLINE_WEBHOOK_SECRET", strings.Repeat("a", 31), "TIPLINE_WEBHOOK_SECRET"},
		{"short metrics token", "TIPLINE_METRICS_TOKEN", strings.Repeat("m", 31), "TIPLINE_METRICS_TOKEN"},
		{"dead letter ttl", "TIPLINE_DEAD_LETTER_TTL", "0d", "TIPLINE_DEAD_LETTER_TTL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range good {
				env[k] = v
			}
			env[tc.key] = tc.value
			_, err := loadConfig(func(k string) string { return env[k] }, all)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one naming %s", err, tc.want)
			}
			if tc.value != "" && len(tc.value) > 4 && strings.Contains(err.Error(), tc.value) {
				t.Errorf("the error repeats the secret value: %v", err)
			}
		})
	}
}

// TestServeRefusesBadConfig runs the real command: it stops before doing
// anything, naming every problem at once.
func TestServeRefusesBadConfig(t *testing.T) {
	var stderr bytes.Buffer
	m := &Main{Getenv: func(string) string { return "" }, Stdout: &stderr, Stderr: &stderr}
	err := m.Run(context.Background(), []string{"serve"})
	if err == nil || !isConfigError(err) {
		t.Fatalf("serve with no settings: %v", err)
	}
	for _, v := range []string{"TELEGRAM_BOT_TOKEN", "DATABASE_URL", "REDIS_URL", "TIPLINE_SECRET_KEY"} {
		if !strings.Contains(err.Error(), v) {
			t.Errorf("error does not name %s: %v", v, err)
		}
	}
	if err := m.Run(context.Background(), []string{"nonsense"}); err == nil {
		t.Error("unknown command accepted")
	}
	stderr.Reset()
	if err := m.Run(context.Background(), []string{"version"}); err != nil || !strings.Contains(stderr.String(), "tipline") {
		t.Errorf("version: %v %q", err, stderr.String())
	}
}

// TestClosedByDefault is the security review's M4: with nothing set, the
// listener is on loopback, and /metrics wants the token when one is set
// (/healthz and /readyz never do).
func TestClosedByDefault(t *testing.T) {
	c, err := loadConfig(func(string) string { return "" }, need{})
	if err != nil {
		t.Fatal(err)
	}
	if c.ListenAddr != "127.0.0.1:8080" {
		t.Errorf("TIPLINE_LISTEN_ADDR defaults to %q, want 127.0.0.1:8080", c.ListenAddr)
	}
	if c.DeadLetterTTL != 14*24*time.Hour {
		t.Errorf("TIPLINE_DEAD_LETTER_TTL defaults to %s, want 14 days", c.DeadLetterTTL)
	}
	token := strings.Repeat("t", 32)
	h := bearer(token, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "metrics") }))
	for _, tc := range []struct {
		auth string
		want int
	}{{"", 401}, {"Bearer wrong", 401}, {token, 401}, {"Bearer " + token, 200}} {
		req := httptest.NewRequest("GET", "/metrics", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want || (tc.want == 200) != (rec.Body.String() == "metrics") {
			t.Errorf("Authorization %q: %d %q, want %d", tc.auth, rec.Code, rec.Body.String(), tc.want)
		}
	}
	if open := bearer("", http.NotFoundHandler()); open == nil {
		t.Error("no token: no handler")
	}
}
