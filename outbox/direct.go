package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// Direct is a Telegram whose three calls that carry almost every message
// (sendMessage, editMessageText, answerCallbackQuery) are posted as JSON,
// the form the Bot API documents first, in one write; every other call goes
// through api. The client library encodes each call as a multipart form,
// field by field through reflection, streamed from a goroutine of its own,
// and decodes the whole message Telegram sends back: on a small server
// that cost as much as the rest of a message's sending. The answer's
// failures are the library's own errors (tgbot.ErrorForbidden,
// *tgbot.TooManyRequestsError, ...), so classify tells them apart as ever.
type Direct struct {
	Telegram
	client *http.Client
	url    string // the API's URL with the token: never logged
	token  string
}

// NewDirect returns api with its three busiest calls posted by client to
// the Bot API at apiURL (Telegram's, or the emulator's) with token.
func NewDirect(api Telegram, client *http.Client, apiURL, token string) *Direct {
	return &Direct{Telegram: api, client: client, url: strings.TrimSuffix(apiURL, "/") + "/bot" + token + "/", token: token}
}

// SendMessage sends a text message; the message it returns holds its id
// only (all the sender reads).
func (d *Direct) SendMessage(ctx context.Context, p *tgbot.SendMessageParams) (*models.Message, error) {
	var m sentMessage
	if err := d.call(ctx, "sendMessage", p, &m); err != nil {
		return nil, err
	}
	return &models.Message{ID: m.ID}, nil
}

// EditMessageText edits a message's text and buttons; the message it
// returns holds its id only.
func (d *Direct) EditMessageText(ctx context.Context, p *tgbot.EditMessageTextParams) (*models.Message, error) {
	var m sentMessage
	if err := d.call(ctx, "editMessageText", p, &m); err != nil {
		return nil, err
	}
	return &models.Message{ID: m.ID}, nil
}

// AnswerCallbackQuery stops a pressed button's spinner.
func (d *Direct) AnswerCallbackQuery(ctx context.Context, p *tgbot.AnswerCallbackQueryParams) (bool, error) {
	var ok bool
	err := d.call(ctx, "answerCallbackQuery", p, &ok)
	return ok, err
}

// PostMessage posts sendMessage or editMessageText with a body made
// already (storedMessage.body): the text and buttons as the outbox keeps
// them, not decoded and encoded again. It gives the message's id.
func (d *Direct) PostMessage(ctx context.Context, method string, body json.RawMessage) (int, error) {
	var m sentMessage
	if err := d.call(ctx, method, body, &m); err != nil {
		return 0, err
	}
	return m.ID, nil
}

// sentMessage is what the sender reads of a message Telegram sent: its id.
type sentMessage struct {
	ID int `json:"message_id"`
}

// call posts params as JSON to method (as they are when they are JSON
// already) and reads the result into dest, failing as the client library
// fails (its wording and error values).
func (d *Direct) call(ctx context.Context, method string, params, dest any) error {
	body, ok := params.(json.RawMessage)
	if !ok {
		var err error
		if body, err = json.Marshal(params); err != nil {
			return fmt.Errorf("error encode request for method %s, %w", method, err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url+method, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("error create request for method %s, %w", method, d.hideToken(err))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := d.client.Do(req)
	if err != nil {
		return fmt.Errorf("error do request for method %s, %w", method, d.hideToken(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("error read response body for method %s, %w", method, err)
	}
	if m, ok := dest.(*sentMessage); ok {
		if id, ok := messageIDOf(data); ok {
			m.ID = id
			return nil
		}
	}
	if dest == nil {
		dest = new(json.RawMessage)
	}
	// One pass: the result is read into dest as the answer is read.
	r := struct {
		OK          bool   `json:"ok"`
		Result      any    `json:"result"`
		Description string `json:"description"`
		ErrorCode   int    `json:"error_code"`
		Parameters  struct {
			RetryAfter      int `json:"retry_after"`
			MigrateToChatID int `json:"migrate_to_chat_id"`
		} `json:"parameters"`
	}{Result: dest}
	if err := json.Unmarshal(data, &r); err != nil {
		// Not Telegram's answer (a proxy's page): its words are not kept.
		return fmt.Errorf("error decode response body for method %s, %w", method, err)
	}
	if !r.OK {
		switch r.ErrorCode {
		case http.StatusForbidden:
			return fmt.Errorf("%w, %s", tgbot.ErrorForbidden, r.Description)
		case http.StatusBadRequest:
			if r.Parameters.MigrateToChatID != 0 {
				return &tgbot.MigrateError{
					Message:         fmt.Sprintf("%s: %s", tgbot.ErrorBadRequest, r.Description),
					MigrateToChatID: r.Parameters.MigrateToChatID,
				}
			}
			return fmt.Errorf("%w, %s", tgbot.ErrorBadRequest, r.Description)
		case http.StatusUnauthorized:
			return fmt.Errorf("%w, %s", tgbot.ErrorUnauthorized, r.Description)
		case http.StatusNotFound:
			return fmt.Errorf("%w, %s", tgbot.ErrorNotFound, r.Description)
		case http.StatusConflict:
			return fmt.Errorf("%w, %s", tgbot.ErrorConflict, r.Description)
		case http.StatusTooManyRequests:
			return &tgbot.TooManyRequestsError{
				Message:    fmt.Sprintf("%s, %s", tgbot.ErrorTooManyRequests, r.Description),
				RetryAfter: r.Parameters.RetryAfter,
			}
		default:
			return fmt.Errorf("error response from telegram for method %s, %d %s", method, r.ErrorCode, r.Description)
		}
	}
	return nil
}

// messageOK is how Telegram begins its answer to a call that made or
// changed a message: the message follows, whole, with its text and
// buttons, and all the sender reads of it is its id.
var messageOK = []byte(`{"ok":true,"result":{"message_id":`)

// messageIDOf reads the message id at the start of such an answer, so the
// rest need not be decoded; ok is false for any other answer, which is
// then decoded whole.
func messageIDOf(data []byte) (int, bool) {
	rest, ok := bytes.CutPrefix(data, messageOK)
	if !ok {
		return 0, false
	}
	end := bytes.IndexAny(rest, ",}")
	if end <= 0 {
		return 0, false
	}
	id, err := strconv.Atoi(string(rest[:end]))
	if err != nil || id <= 0 {
		return 0, false
	}
	return id, true
}

// hideToken takes the token out of a failed request's URL, as the client
// library does: errors are logged.
func (d *Direct) hideToken(err error) error {
	var u *url.Error
	if errors.As(err, &u) {
		u.URL = strings.ReplaceAll(u.URL, d.token, "***")
	}
	return err
}
