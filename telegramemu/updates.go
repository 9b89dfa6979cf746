package telegramemu

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"syscall"
	"time"

	"github.com/go-telegram/bot/models"
)

// queuedUpdate is an update waiting to be confirmed by the bot.
type queuedUpdate struct {
	id   int64
	kind string // the update's field, e.g. "message", "callback_query"
	data []byte // the update as JSON
	// redelivery marks a copy from Redeliver: Telegram resends it even though
	// its id is below the offset, until the bot has seen it once.
	redelivery bool
	sent       bool
}

// notDefault are the update kinds Telegram sends only when allowed_updates
// asks for them.
var notDefault = map[string]bool{"chat_member": true, "message_reaction": true, "message_reaction_count": true}

// enqueueLocked assigns an update id unless upd has one, and queues it.
func (s *Server) enqueueLocked(upd models.Update) int64 {
	if upd.ID == 0 {
		upd.ID = s.nextUpdateID
	}
	if upd.ID >= s.nextUpdateID {
		s.nextUpdateID = upd.ID + 1
	}
	data, err := json.Marshal(&upd)
	if err != nil {
		// Only a models value that cannot marshal gets here (a
		// MaybeInaccessibleMessage of unknown type): a bug in the caller.
		panic(fmt.Sprintf("telegramemu: marshal update: %v", err))
	}
	q := &queuedUpdate{id: upd.ID, kind: updateKind(data), data: data}
	s.queue = append(s.queue, q)
	s.delivered[upd.ID] = q
	s.broadcastLocked()
	return upd.ID
}

// updateKind names the field an update JSON carries besides update_id.
func updateKind(data []byte) string {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return ""
	}
	for k := range fields {
		if k != "update_id" {
			return k
		}
	}
	return ""
}

func (s *Server) allowedLocked(kind string) bool {
	if len(s.allowed) == 0 {
		return !notDefault[kind]
	}
	for _, a := range s.allowed {
		if a == kind {
			return true
		}
	}
	return false
}

// confirmLocked drops the updates a getUpdates offset confirms.
func (s *Server) confirmLocked(offset int64) {
	if offset == 0 || len(s.queue) == 0 {
		return
	}
	var kept []*queuedUpdate
	if offset < 0 {
		n := int(-offset)
		if n < len(s.queue) {
			kept = append(kept, s.queue[len(s.queue)-n:]...)
		} else {
			kept = append(kept, s.queue...)
		}
	} else {
		for _, q := range s.queue {
			if q.id >= offset || (q.redelivery && !q.sent) {
				kept = append(kept, q)
			}
		}
	}
	if len(kept) != len(s.queue) {
		s.queue = kept
		s.broadcastLocked()
	}
}

// takeLocked returns up to limit queued updates for a poll, dropping the
// kinds allowed_updates excludes.
func (s *Server) takeLocked(limit int) []*queuedUpdate {
	var out, kept []*queuedUpdate
	dropped := false
	for _, q := range s.queue {
		if !s.allowedLocked(q.kind) {
			dropped = true
			continue
		}
		kept = append(kept, q)
		if len(out) < limit {
			q.sent = true
			out = append(out, q)
		}
	}
	if dropped {
		s.queue = kept
		s.broadcastLocked()
	}
	return out
}

func updatesJSON(batch []*queuedUpdate) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, q := range batch {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(q.data)
	}
	b.WriteByte(']')
	return b.Bytes()
}

// getUpdates is a real long poll: it answers as soon as there is an update,
// or after timeout seconds with none.
func (s *Server) getUpdates(ctx context.Context, r *request) (any, *apiError) {
	limit := r.intParam("limit", 100)
	if limit < 1 || limit > 100 {
		return nil, badRequest("limit must be between 1 and 100")
	}
	timeout := max(r.intParam("timeout", 0), 0)
	var allowed []string
	if raw, ok := r.params["allowed_updates"]; ok {
		if err := json.Unmarshal([]byte(raw), &allowed); err != nil {
			return nil, badRequest("can't parse allowed_updates JSON array")
		}
	}
	s.mu.Lock()
	if s.hook != nil {
		s.mu.Unlock()
		return nil, conflict("can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
	}
	s.pollGen++
	gen := s.pollGen
	s.broadcastLocked() // ends an older poll: only one may wait
	if r.has("allowed_updates") {
		s.allowed = allowed
	}
	s.confirmLocked(r.int64Param("offset", 0))
	var timer <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(time.Duration(timeout) * time.Second)
		defer t.Stop()
		timer = t.C
	}
	for {
		if s.pollGen != gen {
			s.mu.Unlock()
			return s.terminated(ctx)
		}
		if batch := s.takeLocked(limit); len(batch) > 0 || timeout == 0 || s.hook != nil {
			s.mu.Unlock()
			return updatesJSON(batch), nil
		}
		ch := s.changed
		s.mu.Unlock()
		if !s.waitChange(ctx, ch, timer) {
			if ctx.Err() != nil {
				return nil, errClientGone
			}
			return updatesJSON(nil), nil
		}
		s.mu.Lock()
	}
}

// terminated answers a long poll that a newer one replaced. A bot that was
// stopped and restarted has cancelled its old poll already, or does so in a
// moment; only two live pollers get the conflict.
func (s *Server) terminated(ctx context.Context) (any, *apiError) {
	t := time.NewTimer(100 * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return nil, errClientGone
	case <-t.C:
	}
	return nil, conflict("terminated by other getUpdates request; make sure that only one bot instance is running")
}

// WaitIdle waits until every queued update was confirmed: by a getUpdates
// offset past it or by a 2xx webhook answer.
func (s *Server) WaitIdle(ctx context.Context) error {
	for {
		s.mu.Lock()
		n := len(s.queue)
		ch := s.changed
		s.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("wait idle, %d updates unconfirmed: %w", n, ctx.Err())
		case <-s.ctx.Done():
			return fmt.Errorf("wait idle, %d updates unconfirmed: server closed", n)
		}
	}
}

// webhook is an active setWebhook.
type webhook struct {
	url            string
	secret         string
	maxConnections int
	lastErrorDate  int
	lastErrorMsg   string
	cancel         context.CancelFunc
	done           chan struct{}
}

// secretToken is what Telegram accepts as a webhook secret.
var secretToken = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// checkWebhookURL applies Telegram's rules: https, on ports 443, 80, 88 or
// 8443. Loopback hosts (tests) and WithHTTPWebhooks may use plain http on
// any port.
func (s *Server) checkWebhookURL(raw string) *apiError {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return badRequest("bad webhook: invalid webhook URL specified")
	}
	if s.cfg.httpWebhooks || isLoopback(u.Hostname()) {
		return nil
	}
	if u.Scheme != "https" {
		return badRequest("bad webhook: An HTTPS URL must be provided for webhook")
	}
	switch u.Port() {
	case "", "443", "80", "88", "8443":
		return nil
	}
	return badRequest("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *Server) setWebhook(_ context.Context, r *request) (any, *apiError) {
	hookURL := r.params["url"]
	if hookURL == "" {
		s.removeWebhook(r.boolParam("drop_pending_updates"))
		return true, nil
	}
	if aerr := s.checkWebhookURL(hookURL); aerr != nil {
		return nil, aerr
	}
	secret, hasSecret := r.params["secret_token"]
	if hasSecret && !secretToken.MatchString(secret) {
		return nil, badRequest("secret token contains unallowed characters")
	}
	maxConn := r.intParam("max_connections", 40)
	if maxConn < 1 || maxConn > 100 {
		return nil, badRequest("bad webhook: max_connections must be between 1 and 100")
	}
	var allowed []string
	if raw, ok := r.params["allowed_updates"]; ok {
		if err := json.Unmarshal([]byte(raw), &allowed); err != nil {
			return nil, badRequest("can't parse allowed_updates JSON array")
		}
	}
	s.mu.Lock()
	if s.ctx.Err() != nil {
		s.mu.Unlock()
		return nil, &apiError{Code: http.StatusServiceUnavailable, Description: "Service Unavailable"}
	}
	old := s.hook
	ctx, cancel := context.WithCancel(s.ctx)
	h := &webhook{url: hookURL, secret: secret, maxConnections: maxConn, cancel: cancel, done: make(chan struct{})}
	s.hook = h
	if r.boolParam("drop_pending_updates") {
		s.queue = nil
	}
	if r.has("allowed_updates") {
		s.allowed = allowed
	}
	s.broadcastLocked()
	s.wg.Add(1)
	s.mu.Unlock()
	if old != nil {
		old.cancel()
		<-old.done
	}
	go s.deliverLoop(ctx, h)
	return true, nil
}

// removeWebhook ends webhook delivery; the queue stays unless dropped.
func (s *Server) removeWebhook(drop bool) {
	s.mu.Lock()
	old := s.hook
	s.hook = nil
	if drop {
		s.queue = nil
	}
	s.broadcastLocked()
	s.mu.Unlock()
	if old != nil {
		old.cancel()
		<-old.done
	}
}

func (s *Server) deleteWebhook(_ context.Context, r *request) (any, *apiError) {
	s.removeWebhook(r.boolParam("drop_pending_updates"))
	return true, nil
}

func (s *Server) getWebhookInfo(context.Context, *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := models.WebhookInfo{PendingUpdateCount: len(s.queue)}
	if h := s.hook; h != nil {
		info.URL = h.url
		info.MaxConnections = h.maxConnections
		info.LastErrorDate = h.lastErrorDate
		info.LastErrorMessage = h.lastErrorMsg
		info.AllowedUpdates = append([]string(nil), s.allowed...)
	}
	return info, nil
}

// deliverLoop posts queued updates to the webhook one at a time, in order,
// retrying with a doubling backoff until it gets a 2xx answer.
func (s *Server) deliverLoop(ctx context.Context, h *webhook) {
	defer s.wg.Done()
	defer close(h.done)
	backoff := s.cfg.backoffMin
	for {
		s.mu.Lock()
		var next *queuedUpdate
		if batch := s.takeLocked(1); len(batch) > 0 {
			next = batch[0]
		}
		ch := s.changed
		s.mu.Unlock()
		if next == nil {
			if !s.waitChange(ctx, ch, nil) {
				return
			}
			continue
		}
		failure := s.post(ctx, h, next.data)
		if ctx.Err() != nil {
			return
		}
		s.mu.Lock()
		if failure == "" {
			s.removeLocked(next)
			s.mu.Unlock()
			backoff = s.cfg.backoffMin
			continue
		}
		h.lastErrorDate = int(s.now().Unix())
		h.lastErrorMsg = failure
		s.mu.Unlock()
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
		backoff = min(backoff*2, s.cfg.backoffMax)
	}
}

func (s *Server) removeLocked(q *queuedUpdate) {
	for i, x := range s.queue {
		if x == q {
			s.queue = append(s.queue[:i:i], s.queue[i+1:]...)
			s.broadcastLocked()
			return
		}
	}
}

// post delivers one update and returns Telegram's description of the
// failure, "" on a 2xx answer.
func (s *Server) post(ctx context.Context, h *webhook, data []byte) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(data))
	if err != nil {
		return "Invalid webhook URL"
	}
	req.Header.Set("Content-Type", "application/json")
	if h.secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", h.secret)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		switch {
		case errors.Is(err, syscall.ECONNREFUSED):
			return "Connection refused"
		case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
			return "Read timeout expired"
		}
		return "Connection error"
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)); err != nil {
		return "Connection error"
	}
	if resp.StatusCode/100 != 2 {
		return "Wrong response from the webhook: " + resp.Status
	}
	return ""
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
