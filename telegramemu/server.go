// Package telegramemu is a Telegram Bot API emulator: in process for tests
// and benchmarks, and behind the sandbox, which ships in the product.
//
// It accepts what go-telegram/bot really sends (chunked multipart forms,
// nested objects as JSON strings), as well as JSON and url-encoded bodies,
// and checks every call against the Bot API's documented methods and types
// (apifacts_gen.go, generated from internal/apigen/facts.json). It answers like Telegram:
// realistic results, and {"ok":false,"error_code":...,"description":...}
// for what Telegram would refuse. Simulated users write to the bot through
// the Go API (SendText, PressButton, ...) or the JSON control API under
// /_emulator/, and the bot receives their updates by a real long poll or by
// webhook.
package telegramemu

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
)

// DefaultToken is the bot token a Server accepts unless WithToken says
// otherwise.
const DefaultToken = "123456:TEST-TOKEN"

// DefaultBotUsername is the bot's username unless WithBotUsername says
// otherwise.
const DefaultBotUsername = "tipline_test_bot"

type config struct {
	token        string
	username     string
	now          func() time.Time
	backoffMin   time.Duration
	backoffMax   time.Duration
	httpWebhooks bool
	limits       *Limits
}

// Option configures a Server.
type Option func(*config)

// WithToken sets the bot token the Server accepts; calls with another token
// are answered 401 Unauthorized.
func WithToken(token string) Option { return func(c *config) { c.token = token } }

// WithBotUsername sets the username getMe reports and messages carry.
func WithBotUsername(name string) Option { return func(c *config) { c.username = name } }

// WithClock sets the clock for message dates, the 48-hour delete rule and
// webhook error dates. Long-poll and retry waits still use real time.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithWebhookBackoff sets the wait before the first webhook retry and its
// ceiling; the wait doubles after each failed delivery.
func WithWebhookBackoff(min, max time.Duration) Option {
	return func(c *config) { c.backoffMin, c.backoffMax = min, max }
}

// WithHTTPWebhooks lets setWebhook take plain http:// URLs on any host and
// port. Telegram requires https on ports 443, 80, 88 or 8443; without this
// option the emulator enforces that except for loopback hosts, which tests
// use.
func WithHTTPWebhooks() Option { return func(c *config) { c.httpWebhooks = true } }

// Server is an emulated Bot API with its users and chats. All methods are
// safe for concurrent use.
type Server struct {
	cfg     config
	bot     models.User
	handler http.Handler
	ts      *httptest.Server
	client  *http.Client // webhook deliveries

	ctx       context.Context // ends at Close
	cancel    context.CancelFunc
	wg        sync.WaitGroup // webhook goroutines
	closeOnce sync.Once

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every state change
	url     string

	users map[int64]User
	// refusing holds why Telegram refuses the bot a user's chat (they
	// blocked it, the account is gone), by user id.
	refusing map[int64]string
	// groups are the group, supergroup and channel chats the bot was
	// added to (AddBotToGroup), by chat id.
	groups    map[int64]*group
	chats     map[int64]*chat
	files     map[string]*storedFile // by file_id
	filePaths map[string]*storedFile // by file_path
	fileSeq   int
	albumSeq  int64 // media_group_id of the last album sent
	callbacks map[string]*callbackState
	cbSeq     int64
	answers   []CallbackAnswer
	commands  map[string][]models.BotCommand
	menu      map[int64]json.RawMessage

	queue        []*queuedUpdate
	nextUpdateID int64
	delivered    map[int64]*queuedUpdate
	allowed      []string
	pollGen      uint64
	hook         *webhook

	calls  []Call
	faults []*pendingFault
	// limits is Telegram's rate limits and outages (limits.go); it has
	// its own lock.
	limits *limiter
}

// NewServer starts a Server listening on 127.0.0.1; URL is its base URL.
// Close stops it.
func NewServer(opts ...Option) *Server {
	s := NewHandlerServer(opts...)
	s.ts = httptest.NewServer(s.handler)
	s.url = s.ts.URL
	return s
}

// NewHandlerServer builds a Server without a listener: serve Handler
// yourself and tell the Server its address with SetURL.
func NewHandlerServer(opts ...Option) *Server {
	cfg := config{
		token:      DefaultToken,
		username:   DefaultBotUsername,
		now:        time.Now,
		backoffMin: 50 * time.Millisecond,
		backoffMax: 2 * time.Second,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.backoffMin <= 0 {
		cfg.backoffMin = time.Millisecond
	}
	if cfg.backoffMax < cfg.backoffMin {
		cfg.backoffMax = cfg.backoffMin
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg:          cfg,
		ctx:          ctx,
		cancel:       cancel,
		changed:      make(chan struct{}),
		users:        map[int64]User{},
		refusing:     map[int64]string{},
		groups:       map[int64]*group{},
		chats:        map[int64]*chat{},
		files:        map[string]*storedFile{},
		filePaths:    map[string]*storedFile{},
		callbacks:    map[string]*callbackState{},
		commands:     map[string][]models.BotCommand{},
		menu:         map[int64]json.RawMessage{},
		delivered:    map[int64]*queuedUpdate{},
		nextUpdateID: 1,
		client:       &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone(), Timeout: 30 * time.Second},
	}
	s.bot = models.User{
		ID:        botIDFromToken(cfg.token),
		IsBot:     true,
		FirstName: "Tipline Test Bot",
		Username:  cfg.username,
	}
	s.limits = newLimiter(cfg.limits)
	s.handler = http.HandlerFunc(s.route)
	return s
}

// route dispatches by path prefix; a ServeMux would clean and redirect
// paths, which Telegram does not do.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	switch p := r.URL.Path; {
	case strings.HasPrefix(p, "/_emulator/"):
		s.serveControl(w, r)
	case strings.HasPrefix(p, "/file/bot"):
		s.serveFileDownload(w, r)
	case strings.HasPrefix(p, "/bot"):
		s.serveBotAPI(w, r)
	default:
		writeError(w, errNotFound)
	}
}

// botIDFromToken takes the bot id from the token's digits before the colon,
// as Telegram's tokens carry it.
func botIDFromToken(token string) int64 {
	digits, _, _ := strings.Cut(token, ":")
	var id int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 123456
		}
		id = id*10 + int64(c-'0')
	}
	if id == 0 {
		return 123456
	}
	return id
}

// URL is the base URL for bot.WithServerURL or TELEGRAM_API_URL; "" for a
// handler server until SetURL.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// SetURL tells a handler server the base URL it is reachable at.
func (s *Server) SetURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.url = strings.TrimSuffix(u, "/")
}

// Handler serves the Bot API (/bot<token>/<method>), file downloads
// (/file/bot<token>/<path>) and the JSON control API (/_emulator/).
func (s *Server) Handler() http.Handler { return s.handler }

// Token is the bot token the Server accepts.
func (s *Server) Token() string { return s.cfg.token }

// Close stops webhook deliveries, ends waiting long polls and, for
// NewServer, the listener.
func (s *Server) Close() {
	s.closeOnce.Do(s.close)
}

func (s *Server) close() {
	s.mu.Lock()
	s.cancel()
	s.hook = nil
	s.broadcastLocked()
	s.mu.Unlock()
	s.wg.Wait()
	if s.ts != nil {
		s.ts.Close()
	}
	s.client.CloseIdleConnections()
}

// now is the configured clock.
func (s *Server) now() time.Time { return s.cfg.now() }

// broadcastLocked wakes everything waiting for a change.
func (s *Server) broadcastLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// waitChange waits, without the lock held, until the state changes after ch
// was taken, ctx ends or the Server closes. It reports whether to go on.
func (s *Server) waitChange(ctx context.Context, ch <-chan struct{}, timer <-chan time.Time) bool {
	select {
	case <-ch:
		return true
	case <-ctx.Done():
		return false
	case <-s.ctx.Done():
		return false
	case <-timer:
		return false
	}
}

// Call is one Bot API call as the Server saw it.
type Call struct {
	Method string
	// Params are the decoded parameters; an upload is shown as
	// "<upload "name", N bytes>".
	Params map[string]string
	// Err is the error description when the call was answered ok:false.
	Err string
	// Injected marks an answer forced by InjectFault.
	Injected bool
}

// Calls returns every Bot API call so far, in the order they were answered.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	copy(out, s.calls)
	return out
}

// Rejected returns the calls answered with ok:false, except faults injected
// on purpose. A test of a well-behaved bot expects it to be empty.
func (s *Server) Rejected() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if c.Err != "" && !c.Injected {
			out = append(out, c)
		}
	}
	return out
}

// Fault is a failure InjectFault forces on calls.
type Fault struct {
	// Code is the error code to answer: 429 answers "Too Many Requests:
	// retry after N" with parameters.retry_after, 5xx "Internal Server
	// Error". 0 answers normally after Delay.
	Code       int
	RetryAfter int
	// Delay is slept before answering.
	Delay time.Duration
}

type pendingFault struct {
	method string // canonical name, "" for any but getUpdates
	left   int
	fault  Fault
}

// InjectFault makes the next n calls of method get f. The method "" means
// any method except getUpdates.
func (s *Server) InjectFault(method string, n int, f Fault) {
	if c, ok := canonicalMethod(method); ok {
		method = c
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &pendingFault{method: method, left: n, fault: f})
}

// takeFault returns the fault the next call of method gets, if any.
func (s *Server) takeFault(method string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for pass := 0; pass < 2; pass++ {
		for i, pf := range s.faults {
			match := pf.method == method
			if pass == 1 {
				match = pf.method == "" && method != "getUpdates"
			}
			if !match || pf.left <= 0 {
				continue
			}
			pf.left--
			if pf.left == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			return pf.fault, true
		}
	}
	return Fault{}, false
}

// faultError is the answer a Fault forces.
func faultError(f Fault) *apiError {
	switch {
	case f.Code == http.StatusTooManyRequests:
		return &apiError{Code: f.Code, Description: "Too Many Requests: retry after " + itoa(int64(f.RetryAfter)), RetryAfter: f.RetryAfter}
	case f.Code >= 500:
		return &apiError{Code: f.Code, Description: "Internal Server Error"}
	case f.Code == http.StatusBadRequest:
		return &apiError{Code: f.Code, Description: "Bad Request: injected fault"}
	case f.Code == http.StatusForbidden:
		return &apiError{Code: f.Code, Description: "Forbidden: bot was blocked by the user"}
	}
	return &apiError{Code: f.Code, Description: http.StatusText(f.Code)}
}
