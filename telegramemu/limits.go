package telegramemu

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Limits are Telegram's rate limits as the emulator enforces them when
// WithLimits is given: about 30 messages a second for the bot and about
// one a second in a chat, with a small burst. A call over a limit is
// answered 429 with retry_after, as Telegram does; a call to a chat (or,
// after a global 429, any call) before that time is over is counted as a
// retry_after ignored, and refused again. A call that reached the
// emulator before that 429 was given, or within InFlightGrace after it,
// was already on its way when the sender heard of the 429: it is refused
// too, but counted as InFlight, not as ignored.
type Limits struct {
	Global      float64 // messages a second, all chats
	GlobalBurst int
	PerChat     float64 // messages a second in one chat
	ChatBurst   int
}

// TelegramLimits are the limits Telegram documents for bots.
var TelegramLimits = Limits{Global: 30, GlobalBurst: 5, PerChat: 1, ChatBurst: 4}

// WithLimits makes the emulator enforce Telegram's rate limits.
func WithLimits(l Limits) Option { return func(c *config) { c.limits = &l } }

// LimitStats counts what the limits did.
type LimitStats struct {
	// Messages is how many calls counted against the limits were answered.
	Messages int
	// TooMany is how many 429s were given; Ignored how many calls came
	// while a retry_after given before was still running.
	TooMany int
	Ignored int
	// InFlight is how many calls were refused under a retry_after that
	// was given after they had reached the emulator (or within
	// InFlightGrace of it): the sender could not have known of it yet.
	InFlight int
}

// InFlightGrace is how long after a 429 a call to the same bucket still
// counts as sent before the sender heard of it. A call is stamped when
// its handler starts; on a loaded machine that can come a while after
// the bytes arrived, while the 429 given to another connection was
// already written. A sender that ignores retry_after keeps calling for
// the whole second or more it was given, and is counted well past this.
const InFlightGrace = 250 * time.Millisecond

// hold is a retry_after given: when it was given and until when it runs.
type hold struct{ given, until time.Time }

// Outage is how an emulated Telegram fails for a while.
type Outage int

// The outages SetOutage can stage.
const (
	// NoOutage is Telegram working.
	NoOutage Outage = iota
	// Outage502 answers every Bot API call "502 Bad Gateway" (an HTML page,
	// as Telegram's front servers do).
	Outage502
	// OutageReset closes every connection before reading the request.
	OutageReset
	// OutageLostAnswers carries out every call, then closes the connection
	// without answering: the bot cannot know that its message went out.
	OutageLostAnswers
)

// limiter keeps the emulator's buckets (theoretical arrival times).
type limiter struct {
	l       Limits
	mu      sync.Mutex
	tat     map[int64]time.Time // by chat; 0 is the bot's
	holds   map[int64]hold      // retry_after given, by chat; 0 is global
	stats   LimitStats
	outage  Outage
	spare   bool // the outage spares getUpdates
	outages int  // calls that met an outage
}

func newLimiter(l *Limits) *limiter {
	lm := &limiter{tat: map[int64]time.Time{}, holds: map[int64]hold{}}
	if l != nil {
		lm.l = *l
	}
	return lm
}

// counted tells which methods make or change a message, and so count.
func counted(method string) bool {
	switch method {
	case "sendMessage", "sendPhoto", "sendVoice", "sendVideo", "sendDocument", "sendLocation", "editMessageText", "editMessageCaption", "editMessageReplyMarkup", "copyMessage", "forwardMessage":
		return true
	}
	return false
}

// take admits one message to chat at now, or gives the retry_after (in
// seconds) to answer with; arrived is when the call reached the emulator.
func (lm *limiter) take(chat int64, arrived, now time.Time) (int, bool) {
	lm.mu.Lock()
	defer lm.mu.Unlock()
	if lm.l.Global <= 0 {
		lm.stats.Messages++
		return 0, true
	}
	for _, k := range []int64{0, chat} {
		if h, ok := lm.holds[k]; ok && now.Before(h.until) {
			if arrived.Before(h.given.Add(InFlightGrace)) {
				lm.stats.InFlight++
			} else {
				lm.stats.Ignored++
			}
			lm.stats.TooMany++
			return secondsUntil(now, h.until), false
		}
	}
	gNew, gWait := gcra(lm.tat[0], now, lm.l.Global, lm.l.GlobalBurst)
	cNew, cWait := gcra(lm.tat[chat], now, lm.l.PerChat, lm.l.ChatBurst)
	if gWait > 0 || cWait > 0 {
		key, wait := chat, cWait
		if gWait > cWait {
			key, wait = 0, gWait
		}
		ra := secondsUntil(now, now.Add(wait))
		lm.holds[key] = hold{given: now, until: now.Add(time.Duration(ra) * time.Second)}
		lm.stats.TooMany++
		return ra, false
	}
	lm.tat[0], lm.tat[chat] = gNew, cNew
	lm.stats.Messages++
	return 0, true
}

// gcra takes a token from a bucket whose next token is due at tat: it
// returns the bucket's new due time, or how long until it has a token.
func gcra(tat, now time.Time, rate float64, burst int) (time.Time, time.Duration) {
	iv := time.Duration(float64(time.Second) / rate)
	if tat.Before(now) {
		tat = now
	}
	next := tat.Add(iv)
	if allow := next.Add(-iv * time.Duration(burst)); allow.After(now) {
		return tat, allow.Sub(now)
	}
	return next, 0
}

func secondsUntil(now, until time.Time) int {
	s := int((until.Sub(now) + time.Second - 1) / time.Second)
	return max(s, 1)
}

// LimitStats says what the limits did so far.
func (s *Server) LimitStats() LimitStats {
	s.limits.mu.Lock()
	defer s.limits.mu.Unlock()
	return s.limits.stats
}

// SetOutage makes Telegram fail in the given way, for every call, until
// SetOutage(NoOutage).
func (s *Server) SetOutage(o Outage) {
	s.limits.mu.Lock()
	defer s.limits.mu.Unlock()
	s.limits.outage, s.limits.spare = o, false
}

// SetSendOutage is SetOutage for every call but getUpdates: the bot still
// receives, and what it says waits.
func (s *Server) SetSendOutage(o Outage) {
	s.limits.mu.Lock()
	defer s.limits.mu.Unlock()
	s.limits.outage, s.limits.spare = o, true
}

func (s *Server) currentOutage(method string) Outage {
	s.limits.mu.Lock()
	defer s.limits.mu.Unlock()
	if s.limits.outage == NoOutage || (s.limits.spare && strings.EqualFold(method, "getUpdates")) {
		return NoOutage
	}
	s.limits.outages++
	return s.limits.outage
}

// OutageCalls counts the calls that met an outage.
func (s *Server) OutageCalls() int {
	s.limits.mu.Lock()
	defer s.limits.mu.Unlock()
	return s.limits.outages
}

// dropConnection closes the client's connection without an answer.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // a reset, not a polite close
	}
	_ = conn.Close()
}

func write502(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusBadGateway)
	bw := bufio.NewWriter(w)
	_, _ = bw.WriteString("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
	_ = bw.Flush()
}
