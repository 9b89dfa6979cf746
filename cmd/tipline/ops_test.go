package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage/storagetest"
)

// opsCase stores a case directly (no conversation), as the bot would have:
// the operator's commands only read what is stored.
func (e *testEnv) opsCase(t *testing.T, kind tipline.Kind, urgency tipline.Urgency, submitted time.Time, answers tipline.Answers) tipline.Reference {
	t.Helper()
	return e.opsCaseAt(t, kind, urgency, submitted, answers, &tipline.Location{Latitude: 11.5564, Longitude: 104.9282})
}

// opsCaseAt is opsCase with the point the reporter shared (nil for none).
func (e *testEnv) opsCaseAt(t *testing.T, kind tipline.Kind, urgency tipline.Urgency, submitted time.Time, answers tipline.Answers, at *tipline.Location) tipline.Reference {
	t.Helper()
	ref := tipline.NewReference()
	_, _, err := e.db.SubmitCase(context.Background(), tipline.NewCase{
		DraftID: "ops-" + string(ref), Reference: ref, Kind: kind, Urgency: urgency, Lang: "en",
		Reporter: "pseudonym-" + string(ref), ReporterChatID: 7_300_000_001, ContactAllowed: true,
		Answers: answers, SubmittedAt: submitted, Location: at,
	})
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// opsReviewer registers a reviewer straight in the store and returns its id.
func (e *testEnv) opsReviewer(t *testing.T, name string, telegramID int64) int64 {
	t.Helper()
	ctx := context.Background()
	code := tipline.NewInviteCode()
	if err := e.db.CreateInvite(ctx, tipline.InviteHash(code), name, true, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	r, err := e.db.RedeemInvite(ctx, tipline.InviteHash(code), telegramID, "en", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}

// TestDoctor: the doctor finds what a volunteer gets wrong (nobody to
// notify, gaps in the rota, the wrong key, a bad setting, Redis down) and
// says how to fix each, without printing the token.
func TestDoctor(t *testing.T) {
	e := newTestEnv(t)

	out, err := e.runCLI(t, "doctor")
	if err == nil {
		t.Errorf("doctor passed with no reviewers:\n%s", out)
	}
	for _, want := range []string{"ok    configuration", "ok    PostgreSQL", "ok    Redis", "ok    schema: up to date",
		"ok    Telegram: the token belongs to @tipline_test_bot", "ok    Telegram webhook: none (long polling)",
		"clock (this machine vs PostgreSQL)", "clock (this machine vs Telegram)",
		"FAIL  on call: there are no active reviewers", "fix: tipline reviewers invite", "disk:"} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor does not say %q:\n%s", want, out)
		}
	}

	var serverVacuum string
	if err := e.sql().QueryRow(context.Background(), `select current_setting('autovacuum')`).Scan(&serverVacuum); err != nil {
		t.Fatal(err)
	}
	wantVacuum := "ok    vacuum: autovacuum runs"
	if serverVacuum == "off" {
		wantVacuum = "WARN  vacuum: autovacuum is off for the server:"
	}
	if !strings.Contains(out, wantVacuum) {
		t.Errorf("autovacuum is %s here; doctor does not say %q:\n%s", serverVacuum, wantVacuum, out)
	}

	id := e.opsReviewer(t, "Dara", 7_300_000_100)
	if out, err := e.runCLI(t, "oncall", "set", "--primary", fmt.Sprintf("%d:mon-fri@08:00-18:00", id)); err != nil {
		t.Fatalf("oncall set: %v\n%s", err, out)
	}
	e.opsCase(t, tipline.KindTip, tipline.UrgencyUrgent, time.Now(), tipline.Answers{"what": "Canary doctor text"})
	// Autovacuum turned off for the outbox alone is named, with the fix.
	if _, err := e.sql().Exec(context.Background(), `alter table `+e.schema+`.outbox set (autovacuum_enabled = off)`); err != nil {
		t.Fatal(err)
	}
	out, err = e.runCLI(t, "doctor", "-days", "3")
	if err != nil {
		t.Errorf("doctor failed with a reviewer and a rota: %v\n%s", err, out)
	}
	if !strings.Contains(out, "WARN  on call: nobody on primary shift in the next 3 days") || !strings.Contains(out, " – ") {
		t.Errorf("the gaps of a weekday rota are not named:\n%s", out)
	}
	if !strings.Contains(out, "ok    queues: 0 update(s) waiting, 1 open case(s), each with its next notification scheduled") {
		t.Errorf("the queues are not checked:\n%s", out)
	}
	if !strings.Contains(out, "WARN  vacuum: autovacuum is off for ") || !strings.Contains(out, "the outbox table: every message's row") {
		t.Errorf("autovacuum off for the outbox is not named:\n%s", out)
	}
	if !strings.Contains(out, "alter table outbox reset (autovacuum_enabled);") {
		t.Errorf("the fix for the outbox's autovacuum is not given:\n%s", out)
	}
	if !strings.Contains(out, "ok    key: present, 32 bytes, opens the stored cases") {
		t.Errorf("the key is not checked against the stored case:\n%s", out)
	}

	// A stuck inbox: an update waiting ten minutes means nobody answers.
	if _, err := e.sql().Exec(context.Background(), `insert into `+e.schema+`.inbox (update_id, chat_key, received_at) values (1, 'k', now() - interval '10 minutes')`); err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	e.env["TIPLINE_SECRET_KEY"] = base64.StdEncoding.EncodeToString(raw)
	e.env["REDIS_URL"] = "redis://127.0.0.1:1/0"
	e.env["TIPLINE_LOG_FORMAT"] = "xml"
	out, err = e.runCLI(t, "doctor")
	if err == nil {
		t.Errorf("doctor passed with the wrong key and Redis down:\n%s", out)
	}
	for _, want := range []string{"FAIL  key: TIPLINE_SECRET_KEY does not open the newest case", "TIPLINE_PREVIOUS_SECRET_KEYS",
		"FAIL  Redis: cannot connect", "fix: check REDIS_URL",
		"FAIL  queues: 1 Telegram updates wait, the oldest for 10m", "fix: start the service", "FAIL  configuration: TIPLINE_LOG_FORMAT must be text or json"} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, e.emu.Token()) || strings.Contains(out, "Canary") {
		t.Errorf("doctor printed the token or case content:\n%s", out)
	}
	// The summary is the last thing said: no Redis client noise after it.
	time.Sleep(time.Second)
	if last := lastLine(out); !strings.Contains(last, "checks:") {
		t.Errorf("doctor's output does not end with its summary; it ends %q:\n%s", last, out)
	}

	// A database without the schema: doctor says to migrate, and does not
	// blame the key or the reviewers.
	if _, err := e.sql().Exec(context.Background(), "drop schema "+e.schema+" cascade; create schema "+e.schema); err != nil {
		t.Fatal(err)
	}
	e.env["REDIS_URL"] = storagetest.RedisURL()
	delete(e.env, "TIPLINE_LOG_FORMAT")
	out, _ = e.runCLI(t, "doctor")
	if !strings.Contains(out, "FAIL  schema: at version 0") || !strings.Contains(out, "tipline migrate") {
		t.Errorf("doctor does not say the schema is missing:\n%s", out)
	}
	for _, blame := range []string{"key: TIPLINE_SECRET_KEY does not open", "check TIPLINE_SECRET_KEY"} {
		if strings.Contains(out, blame) {
			t.Errorf("doctor blames the key for a missing schema:\n%s", out)
		}
	}
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestMetricsAndHealth: the running bot serves /healthz, /readyz (all
// three services named) and /metrics with the open cases, the oldest
// unacknowledged one and the deadlines, and the metrics carry no content.
func TestMetricsAndHealth(t *testing.T) {
	e := newTestEnv(t)
	e.env["TIPLINE_ACK_URGENT"] = "7m"
	token := strings.Repeat("k", 40)
	e.env["TIPLINE_METRICS_TOKEN"] = token
	addr, _ := e.start()
	base := "http://" + addr

	reporter := e.reporter(7_300_100_001, "en")
	reporter.fileTip(canaryAnswers("metrics"))
	e.opsCase(t, tipline.KindMissing, tipline.UrgencyUrgent, time.Now().Add(-time.Hour), tipline.Answers{"name": "Canaryname"})

	if code, body := httpGet(t, base+"/healthz"); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	code, body := httpGet(t, base+"/readyz")
	if code != 200 || !strings.Contains(body, `"postgresql":"ok"`) || !strings.Contains(body, `"redis":"ok"`) || !strings.Contains(body, `"telegram":"ok"`) {
		t.Errorf("/readyz = %d %s", code, body)
	}
	// tipline health, the container's health check, asks the same listener.
	var probeOut bytes.Buffer
	probe := &Main{Getenv: func(k string) string {
		if k == "TIPLINE_LISTEN_ADDR" {
			return addr
		}
		return ""
	}, Stdout: &probeOut, Stderr: &probeOut}
	if err := probe.Run(context.Background(), []string{"health", "--ready"}); err != nil || strings.TrimSpace(probeOut.String()) != "ok" {
		t.Errorf("tipline health --ready: %v %q", err, probeOut.String())
	}
	if code, _ := httpGet(t, base+"/metrics"); code != http.StatusUnauthorized {
		t.Fatalf("/metrics without the token = %d, want 401", code)
	}
	req, err := http.NewRequest("GET", base+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/metrics with the token = %d, %v", resp.StatusCode, err)
	}
	body = string(raw)
	for _, want := range []string{
		"tipline_state_up 1",
		`tipline_ack_deadline_seconds{urgency="urgent"} 420`,
		`tipline_reviewers_on_call 0`,
		`tipline_inbox_pending `,
		`tipline_update_processing_seconds_bucket`,
		`tipline_telegram_sends_total`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	open := regexp.MustCompile(`tipline_cases_open\{status="received",urgency="(\w+)"\} (\d+)`).FindAllStringSubmatch(body, -1)
	total := 0
	for _, m := range open {
		n, _ := strconv.Atoi(m[2])
		total += n
	}
	if total != 2 {
		t.Errorf("open received cases = %d (%v), want 2", total, open)
	}
	age := regexp.MustCompile(`tipline_case_oldest_unacknowledged_seconds\{urgency="urgent"\} ([0-9.e+]+)`).FindStringSubmatch(body)
	if age == nil {
		t.Fatal("no oldest unacknowledged urgent case")
	}
	if secs, _ := strconv.ParseFloat(age[1], 64); secs < 3500 || secs > 3700 {
		t.Errorf("oldest unacknowledged urgent case is %s s old, want about 3600", age[1])
	}
	if strings.Contains(body, "Canary") || strings.Contains(body, "TL-") || strings.Contains(body, "7300100001") {
		t.Error("/metrics carries content, a reference or a Telegram id")
	}
}

// TestReadyzNamesWhatIsDown: /readyz is 503 and names the service that
// does not answer, while /healthz stays 200.
func TestReadyzNamesWhatIsDown(t *testing.T) {
	mux := http.NewServeMux()
	cfg, err := loadConfig(func(k string) string {
		return map[string]string{"TELEGRAM_API_URL": "http://127.0.0.1:1", "TELEGRAM_BOT_TOKEN": "1:x"}[k]
	}, need{})
	if err != nil {
		t.Fatal(err)
	}
	m := &Main{Getenv: func(string) string { return "" }}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	setup := &telegramSetup{}
	setup.waiting(log, fmt.Errorf("deleteWebhook: gave up after 6 attempts: %w", errors.New("502 Bad Gateway at /bot1:x/deleteWebhook")), "1:x")
	m.mountHealth(mux, cfg, log, health{ready: map[string]pinger{"postgresql": downPinger{}}, setup: setup})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	code, body := httpGet(t, srv.URL+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, `"postgresql":"unavailable"`) || !strings.Contains(body, `"telegram":"unavailable"`) ||
		!strings.Contains(body, `"telegram_setup":"unavailable: waiting for Telegram since`) || !strings.Contains(body, "502 Bad Gateway") {
		t.Errorf("/readyz = %d %s", code, body)
	}
	if strings.Contains(body, "1:x") {
		t.Errorf("/readyz shows the token: %s", body)
	}
	if code, _ := httpGet(t, srv.URL+"/healthz"); code != 200 {
		t.Errorf("/healthz = %d while a dependency is down; it says only whether the process lives", code)
	}
}

type downPinger struct{}

func (downPinger) Ping(context.Context) error { return errors.New("down") }

// redisRecorder keeps what the Redis client would log.
type redisRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *redisRecorder) Printf(_ context.Context, format string, v ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, fmt.Sprintf(format, v...))
}

// TestDoctorQuietsRedis: with Redis down, doctor says so once in its own
// words; the Redis client's own retries log nothing, before or after the
// summary.
func TestDoctorQuietsRedis(t *testing.T) {
	e := newTestEnv(t)
	rec := &redisRecorder{}
	redis.SetLogger(rec)
	e.env["REDIS_URL"] = "redis://127.0.0.1:1/0"
	out, _ := e.runCLI(t, "doctor")
	time.Sleep(time.Second)
	if !strings.Contains(out, "FAIL  Redis: cannot connect") {
		t.Fatalf("doctor does not say Redis is down:\n%s", out)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.lines) > 0 {
		t.Errorf("the Redis client logged on its own during doctor: %q", rec.lines)
	}
}
