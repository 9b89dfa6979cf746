package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/bot"
	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/internal/chattest"
	"github.com/tipline/tipline/internal/testio"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/storage/postgres"
	redisstore "github.com/tipline/tipline/storage/redis"
	"github.com/tipline/tipline/storage/storagetest"
	"github.com/tipline/tipline/telegramemu"
)

// testEnv is the real program's world for one test: an emulated Telegram,
// a PostgreSQL schema and a Redis key prefix of its own, and the program's
// captured logs.
type testEnv struct {
	t      testing.TB
	emu    *telegramemu.Server
	ring   *keys.Ring
	key    string
	db     *postgres.Store
	schema string
	rc     *redis.Client
	prefix string
	logs   *testio.Buffer
	env    map[string]string
	conn   *pgx.Conn // for looking at rows; made on first use
}

// sql returns the test's own connection for looking at rows.
func (e *testEnv) sql() *pgx.Conn {
	if e.conn == nil {
		e.conn = storagetest.Conn(e.t)
	}
	return e.conn
}

func newTestEnv(tb testing.TB, opts ...telegramemu.Option) *testEnv {
	tb.Helper()
	storagetest.SkipShort(tb, "PostgreSQL and Redis (the end-to-end harness)")
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		tb.Fatal(err)
	}
	ring, err := keys.NewRing(raw)
	if err != nil {
		tb.Fatal(err)
	}
	e := &testEnv{t: tb, ring: ring, key: base64.StdEncoding.EncodeToString(raw), logs: &testio.Buffer{}}
	e.emu = telegramemu.NewServer(opts...)
	tb.Cleanup(e.emu.Close)
	e.db, e.schema = storagetest.NewPostgres(tb, ring)
	e.rc, e.prefix = storagetest.NewRedis(tb)
	e.env = map[string]string{
		"TELEGRAM_BOT_TOKEN":    e.emu.Token(),
		"TELEGRAM_API_URL":      e.emu.URL(),
		"DATABASE_URL":          storagetest.SchemaURL(e.schema),
		"REDIS_URL":             storagetest.RedisURL(),
		"TIPLINE_REDIS_PREFIX":  e.prefix,
		"TIPLINE_SECRET_KEY":    e.key,
		"TIPLINE_LISTEN_ADDR":   "127.0.0.1:0",
		"TIPLINE_LOG_LEVEL":     "debug",
		"TIPLINE_PACE_PER_CHAT": "200",
		"TIPLINE_PACE_GLOBAL":   "2000",
		// Tests file many reports quickly; the limits have tests of their own.
		"TIPLINE_LIMIT_MESSAGES_PER_MINUTE": "10000",
		"TIPLINE_LIMIT_REPORTS_PER_HOUR":    "1000",
		"TIPLINE_LIMIT_REPORTS_PER_DAY":     "10000",
	}
	return e
}

func (e *testEnv) getenv(k string) string { return e.env[k] }

// start runs `tipline serve` until the returned stop is called.
func (e *testEnv) start(args ...string) (addr string, stop func()) {
	e.t.Helper()
	if len(args) == 0 {
		args = []string{"serve"}
	}
	return e.startMain(&Main{Getenv: e.getenv}, args...)
}

// startMain runs a prepared Main (its Getenv and Now set) until the
// returned stop is called.
func (e *testEnv) startMain(m *Main, args ...string) (addr string, stop func()) {
	e.t.Helper()
	if len(args) == 0 {
		args = []string{"serve"}
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	m.Stdout, m.Stderr = io.Discard, e.logs
	m.Ready = func(i ReadyInfo) { ready <- i.Addr }
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, args) }()
	select {
	case addr = <-ready:
	case err := <-done:
		cancel()
		e.t.Fatalf("tipline %v stopped at start: %v\nlogs:\n%s", args, err, e.logs)
	case <-time.After(20 * time.Second):
		cancel()
		e.t.Fatalf("tipline %v did not start\nlogs:\n%s", args, e.logs)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					e.t.Errorf("tipline stopped with %v", err)
				}
			case <-time.After(40 * time.Second):
				e.t.Errorf("tipline did not stop after cancel")
			}
		})
	}
	e.t.Cleanup(stop)
	return addr, stop
}

// reporter drives one Telegram user's chat with the bot (a reporter's or a
// reviewer's): chattest.Chat's waits, which fail the test when they time
// out.
type reporter struct {
	*chattest.Chat
	e    *testEnv
	code string // a reviewer's invite code
}

// reporter adds a Telegram user whose phone's language is lang. A phone
// in English (or another language of ours that is not Khmer or Thai) is
// taken to belong to a reporter who chose that language before, as the
// bot keeps it: a new chat from such a phone starts with the language
// picker, which TestFirstScreenByPhoneLanguage holds; the other tests
// start at the menu. Use newReporter for a user who never chose.
func (e *testEnv) reporter(id int64, lang string) *reporter {
	r := e.newReporter(id, lang)
	if l := tipline.MatchLanguage(lang); l != "" && flows.PhoneLanguage(lang) == "" {
		e.rememberLanguage(id, l)
	}
	return r
}

// rememberLanguage keeps a reporter's language in the Redis the program
// uses (a test may give it a Redis of its own).
func (e *testEnv) rememberLanguage(id int64, lang string) {
	e.t.Helper()
	rc := e.rc
	if url := e.env["REDIS_URL"]; url != storagetest.RedisURL() {
		opt, err := redis.ParseURL(url)
		if err != nil {
			e.t.Fatalf("REDIS_URL: %v", err)
		}
		rc = redis.NewClient(opt)
		defer rc.Close()
	}
	sessions := redisstore.NewSessions(rc, e.prefix, time.Hour, e.ring)
	if err := bot.RememberLanguage(context.Background(), sessions, e.ring, id, lang); err != nil {
		e.t.Fatalf("remember the language of user %d: %v", id, err)
	}
}

// newReporter adds a Telegram user who never chose a language with us.
func (e *testEnv) newReporter(id int64, lang string) *reporter {
	u := telegramemu.User{ID: id, FirstName: fmt.Sprintf("Canaryfirst%d", id), Username: fmt.Sprintf("canaryuser%d", id), LanguageCode: lang}
	return &reporter{Chat: chattest.New(e.emu, u), e: e}
}

const waitFor = 15 * time.Second

// waitButton waits for a bot message newer than the last one used that has
// a button for action, and returns that message and the button's data.
func (r *reporter) waitButton(action string) (telegramemu.Message, string) {
	r.e.t.Helper()
	m, data, ok := r.WaitButton(action, waitFor)
	if !ok {
		r.e.t.Fatalf("user %d: no button %q within %v; bot said:\n%s\nlogs:\n%s", r.User.ID, action, waitFor, r.Transcript(), r.e.logs)
	}
	return m, data
}

// waitText waits for a new bot message whose text matches re.
func (r *reporter) waitText(re *regexp.Regexp) telegramemu.Message {
	r.e.t.Helper()
	m, ok := r.WaitMessage(r.Seen, waitFor, func(m telegramemu.Message) bool { return re.MatchString(m.Text) })
	if !ok {
		r.e.t.Fatalf("user %d: no message matching %s; bot said:\n%s", r.User.ID, re, r.Transcript())
	}
	return m
}

// press waits for the button, presses it and remembers the message.
func (r *reporter) press(action string) int64 {
	r.e.t.Helper()
	id, err := r.Press(action, waitFor)
	if err != nil {
		r.e.t.Fatalf("%v; bot said:\n%s\nlogs:\n%s", err, r.Transcript(), r.e.logs)
	}
	return id
}

// expect waits until the bot asks a question with a button for action
// (the question after a typed or sent answer).
func (r *reporter) expect(action string) {
	r.e.t.Helper()
	m, _ := r.waitButton(action)
	r.Seen = m.ID - 1
}

var referenceRE = regexp.MustCompile(`TL-[0-9A-Z]{4}-[0-9A-Z]{4}`)

// tipAnswers are a reporter's answers with unique canary values, so a test
// can look for them in dumps and logs.
type tipAnswers struct {
	what, adults string
	photo        []byte
	// caption is what the reporter writes with the photo.
	caption string
}

func canaryAnswers(tag string) tipAnswers {
	return tipAnswers{
		what:    "Canarywhat" + tag + " the family next door plans to sell their girl",
		adults:  "Canaryadults" + tag + " a man with a black car",
		photo:   []byte("\xff\xd8\xff canary-photo-" + tag),
		caption: "Canarycaption" + tag + " a picture from last month",
	}
}

// fileTip files a whole tip, allowing the team to write back, and returns
// its reference.
func (r *reporter) fileTip(a tipAnswers) tipline.Reference {
	r.e.t.Helper()
	return r.fileTipSending(a, "send:contact")
}

// fileTipSending files a whole tip, sent with the given button, and
// returns its reference.
func (r *reporter) fileTipSending(a tipAnswers, send string) tipline.Reference {
	t := r.e.t
	t.Helper()
	r.e.emu.SendText(r.User, "/start")
	r.press("menu:tip")
	r.expect("back")
	r.e.emu.SendText(r.User, a.what)
	r.press("a:yes")
	r.press("a:sale") // what is happening
	r.expect("skip")
	r.e.emu.SendLocation(r.User, 11.5696, 104.921)
	r.press("a:ongoing")
	r.press("a:2_3")
	r.press("a:6_11")
	r.expect("skip")
	r.e.emu.SendText(r.User, a.adults)
	r.expect("skip")
	r.MarkSeen()
	r.e.emu.SendPhoto(r.User, a.photo, a.caption)
	r.press("done")
	r.press(send)
	m := r.waitText(referenceRE)
	r.MarkSeen()
	ref, err := tipline.ParseReference(referenceRE.FindString(m.Text))
	if err != nil {
		t.Fatalf("reference in %q: %v", m.Text, err)
	}
	return ref
}

// quickAnswers take a tip from "what happened", once answered, to its
// review screen with the Send buttons: no danger, nothing said of what is
// happening, no place, today, one child, age unknown, nothing about the
// adults, no photo.
var quickAnswers = []string{"a:no", "skip", "skip", "a:today", "a:1", "a:unknown", "skip", "skip"}

// startTip opens a tip and answers "what happened" with what; it returns
// the update id of that answer.
func (r *reporter) startTip(what string) int64 {
	r.e.t.Helper()
	r.e.emu.SendText(r.User, "/start")
	r.press("menu:tip")
	r.expect("back")
	return r.e.emu.SendText(r.User, what)
}

// pressAll presses each button in turn.
func (r *reporter) pressAll(actions ...string) {
	r.e.t.Helper()
	for _, a := range actions {
		r.press(a)
	}
}

// tipToReview opens a tip, answers "what happened" with what and the rest
// with quickAnswers: the tip waits on its review screen, not yet sent.
func (r *reporter) tipToReview(what string) {
	r.e.t.Helper()
	r.startTip(what)
	r.pressAll(quickAnswers...)
}

// countRows counts a table's rows in the test's schema.
func (e *testEnv) countRows(table string) int {
	e.t.Helper()
	var n int
	if err := e.sql().QueryRow(context.Background(), `SELECT count(*) FROM `+e.schema+`.`+table).Scan(&n); err != nil {
		e.t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// countWhere counts a table's rows matching a condition.
func (e *testEnv) countWhere(table, cond string) int {
	e.t.Helper()
	var n int
	if err := e.sql().QueryRow(context.Background(), `SELECT count(*) FROM `+e.schema+`.`+table+` WHERE `+cond).Scan(&n); err != nil {
		e.t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// assertValid fails when any request the bot sent was refused by the
// emulator's Bot API checks.
func (e *testEnv) assertValid() {
	e.t.Helper()
	for _, c := range e.emu.Rejected() {
		e.t.Errorf("Telegram would refuse %s: %s (params %v)", c.Method, c.Err, c.Params)
	}
}

type telegramemuMessage = telegramemu.Message

func userOf(id int64) telegramemu.User { return telegramemu.User{ID: id} }

// mustExec runs SQL on a connection of the test's own and returns it.
func mustExec(t *testing.T, e *testEnv, sql string) *pgx.Conn {
	t.Helper()
	conn := e.sql()
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatal(err)
	}
	return conn
}
