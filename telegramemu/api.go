package telegramemu

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// errClientGone marks a call whose client left before the answer (a long
// poll cancelled by the bot); nothing is written and nothing is rejected.
var errClientGone = &apiError{Code: 499}

// methodHandler answers one Bot API method after validation.
type methodHandler func(ctx context.Context, r *request) (any, *apiError)

// handlerFor returns the emulation of a method, nil when it has none.
func (s *Server) handlerFor(method string) methodHandler {
	switch method {
	case "getMe":
		return s.getMe
	case "getUpdates":
		return s.getUpdates
	case "setWebhook":
		return s.setWebhook
	case "deleteWebhook":
		return s.deleteWebhook
	case "getWebhookInfo":
		return s.getWebhookInfo
	case "sendMessage":
		return s.sendMessage
	case "editMessageText":
		return s.editMessageText
	case "editMessageCaption":
		return s.editMessageCaption
	case "editMessageReplyMarkup":
		return s.editMessageReplyMarkup
	case "deleteMessage":
		return s.deleteMessage
	case "deleteMessages":
		return s.deleteMessages
	case "answerCallbackQuery":
		return s.answerCallbackQuery
	case "sendPhoto":
		return s.sendMediaOf(kindPhoto)
	case "sendVoice":
		return s.sendMediaOf(kindVoice)
	case "sendVideo":
		return s.sendMediaOf(kindVideo)
	case "sendDocument":
		return s.sendMediaOf(kindDocument)
	case "sendLocation":
		return s.sendLocation
	case "sendChatAction":
		return s.sendChatAction
	case "getFile":
		return s.getFile
	case "setMyCommands":
		return s.setMyCommands
	case "getMyCommands":
		return s.getMyCommands
	case "deleteMyCommands":
		return s.deleteMyCommands
	case "setChatMenuButton":
		return s.setChatMenuButton
	case "getChatMenuButton":
		return s.getChatMenuButton
	case "leaveChat":
		return s.leaveChat
	case "sendMediaGroup":
		return s.sendMediaGroup
	}
	return nil
}

// serveBotAPI answers /bot<token>/<method>.
func (s *Server) serveBotAPI(w http.ResponseWriter, hr *http.Request) {
	arrived := time.Now()
	rest := strings.TrimPrefix(hr.URL.Path, "/bot")
	token, method, _ := strings.Cut(rest, "/")
	outage := s.currentOutage(method)
	switch outage {
	case Outage502:
		write502(w)
		return
	case OutageReset:
		dropConnection(w)
		return
	}
	method = strings.TrimPrefix(method, "test/")
	req, decodeErr := decodeRequest(w, hr)
	if req == nil {
		req = &request{}
	}
	call := Call{Method: method, Params: req.record()}
	finish := func(result any, aerr *apiError) {
		if aerr == errClientGone {
			s.record(call)
			return
		}
		if aerr != nil {
			call.Err = aerr.Description
			s.record(call)
			writeError(w, aerr)
			return
		}
		s.record(call)
		writeResult(w, result)
	}
	if token != s.cfg.token {
		finish(nil, errUnauthorized)
		return
	}
	canonical, ok := canonicalMethod(method)
	if !ok || method == "" {
		finish(nil, errNotFound)
		return
	}
	call.Method = canonical
	req.method = canonical
	if decodeErr != nil {
		finish(nil, decodeErr)
		return
	}
	if f, ok := s.takeFault(canonical); ok {
		if f.Delay > 0 {
			t := time.NewTimer(f.Delay)
			select {
			case <-t.C:
			case <-hr.Context().Done():
			case <-s.ctx.Done():
			}
			t.Stop()
		}
		if f.Code != 0 {
			call.Injected = true
			finish(nil, faultError(f))
			return
		}
	}
	if aerr := validateParams(canonical, req); aerr != nil {
		finish(nil, aerr)
		return
	}
	h := s.handlerFor(canonical)
	if h == nil {
		finish(nil, &apiError{Code: http.StatusNotImplemented, Description: "Not Implemented: the emulator does not implement " + canonical})
		return
	}
	if counted(canonical) {
		if ra, ok := s.limits.take(req.int64Param("chat_id", 0), arrived, time.Now()); !ok {
			call.Injected = true // Telegram's own answer, not the bot's fault
			finish(nil, &apiError{Code: http.StatusTooManyRequests, Description: "Too Many Requests: retry after " + itoa(int64(ra)), RetryAfter: ra})
			return
		}
	}
	result, aerr := h(hr.Context(), req)
	if outage == OutageLostAnswers {
		s.record(call)
		dropConnection(w)
		return
	}
	finish(result, aerr)
}

func (s *Server) record(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
}

// apiResponse is Telegram's answer envelope.
type apiResponse struct {
	OK          bool            `json:"ok"`
	Result      any             `json:"result,omitempty"`
	ErrorCode   int             `json:"error_code,omitempty"`
	Description string          `json:"description,omitempty"`
	Parameters  *responseParams `json:"parameters,omitempty"`
}

type responseParams struct {
	RetryAfter int `json:"retry_after,omitempty"`
}

func writeResult(w http.ResponseWriter, result any) {
	writeJSON(w, http.StatusOK, apiResponse{OK: true, Result: result})
}

func writeError(w http.ResponseWriter, e *apiError) {
	resp := apiResponse{OK: false, ErrorCode: e.Code, Description: e.Description}
	if e.RetryAfter > 0 {
		resp.Parameters = &responseParams{RetryAfter: e.RetryAfter}
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	writeJSON(w, e.Code, resp)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		data = []byte(`{"ok":false,"error_code":500,"description":"Internal Server Error: ` + strings.ReplaceAll(err.Error(), `"`, `'`) + `"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if _, err := w.Write(data); err != nil {
		return // the client left; there is no one to tell
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
