package bot

import (
	"crypto/hmac"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/reply"
)

// maxMessageLen is Telegram's limit on a message's text, in UTF-16 units.
const maxMessageLen = 4096

// outgoing is one rendered message.
type outgoing struct {
	text   string
	markup *models.InlineKeyboardMarkup
}

// renderer turns flow replies into Telegram messages in one language, with
// buttons signed for the user they are shown to.
type renderer struct {
	cat    *locales.Catalog
	signer buttonSigner
}

func (r renderer) text(lang string, t reply.Text) string { return r.cat.Render(lang, t) }

// rows are the message's buttons, if any.
func (o outgoing) rows() [][]models.InlineKeyboardButton {
	if o.markup == nil {
		return nil
	}
	return o.markup.InlineKeyboard
}

// reporterSigner signs buttons as a reporter's, for userID.
func (r renderer) reporterSigner(userID int64) func(reply.Button) string {
	return func(btn reply.Button) string { return signButton(r.signer, userID, btn.Action) }
}

// render returns one or more messages for a reply, in lang, with each
// button's callback data made by sign: a reply too long for one message is
// split between lines, and the buttons go with the last part. It serves the
// reporter's side (flows) and the reviewer's (review) alike.
func (r renderer) render(lang string, rep reply.Message, sign func(reply.Button) string) []outgoing {
	var parts []string
	var b strings.Builder
	n := 0 // b's length in UTF-16 units
	for i, line := range rep.Lines {
		s := r.text(lang, line)
		sep := "\n\n"
		if line.Item {
			sep = "\n"
		}
		ns := utf16Len(s)
		if i > 0 && n+len(sep)+ns > maxMessageLen { // sep is ASCII: one unit a byte
			parts = append(parts, b.String())
			b.Reset()
			n = 0
		}
		if b.Len() > 0 {
			b.WriteString(sep)
			n += len(sep)
		}
		b.WriteString(s)
		n += ns
	}
	parts = append(parts, b.String())
	out := make([]outgoing, 0, len(parts))
	for _, p := range parts {
		for _, chunk := range splitLong(p) {
			out = append(out, outgoing{text: chunk})
		}
	}
	if len(out) == 0 {
		out = append(out, outgoing{text: "…"}) // Telegram refuses an empty text
	}
	if len(rep.Buttons) > 0 {
		kb := &models.InlineKeyboardMarkup{}
		for _, row := range rep.Buttons {
			var kr []models.InlineKeyboardButton
			for _, btn := range row {
				kr = append(kr, models.InlineKeyboardButton{
					Text:         r.text(lang, btn.Label),
					CallbackData: sign(btn),
				})
			}
			kb.InlineKeyboard = append(kb.InlineKeyboard, kr)
		}
		out[len(out)-1].markup = kb
	}
	return out
}

// splitLong cuts a text that is still over the limit (one very long line)
// into pieces, at rune boundaries.
func splitLong(s string) []string {
	if utf16Len(s) <= maxMessageLen {
		if strings.TrimSpace(s) == "" {
			return nil
		}
		return []string{s}
	}
	var out []string
	var cur []rune
	n := 0
	for _, r := range s {
		w := utf16.RuneLen(r)
		if n+w > maxMessageLen {
			out = append(out, string(cur))
			cur, n = nil, 0
		}
		cur = append(cur, r)
		n += w
	}
	return append(out, string(cur))
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// Button data travels through Telegram and comes back in callback_data,
// which anyone can forge or forward. So each action is signed for the one
// user it was shown to (G9): "ACTION~MAC", where MAC covers the user id and
// the action. Telegram allows 64 bytes.

const (
	buttonSep     = "~"
	buttonMACSize = 9 // 12 base64 characters, 72 bits
	maxButtonData = 64
)

var (
	errBadButton     = errors.New("bot: button data does not verify")
	errExpiredButton = errors.New("bot: button expired")
)

// sigLen is the length of an encoded button signature.
var sigLen = base64.RawURLEncoding.EncodedLen(buttonMACSize)

// buttonSigner signs and checks button data.
type buttonSigner interface {
	SignButton(data string, n int) []byte
}

// signButton signs a reporter's button action for one user.
func signButton(k buttonSigner, userID int64, action string) string {
	return signFor(k, "reporter", userID, action)
}

// verifyButton returns the action of signed data pressed by userID.
func verifyButton(k buttonSigner, userID int64, data string) (string, error) {
	return verifyFor(k, "reporter", userID, data)
}

// signFor signs an action for one user in a namespace ("reporter" or
// "reviewer"), so a token of one kind never passes for the other.
func signFor(k buttonSigner, namespace string, userID int64, action string) string {
	mac := k.SignButton(buttonMessage(namespace, userID, action), buttonMACSize)
	s := action + buttonSep + base64.RawURLEncoding.EncodeToString(mac)
	if len(s) > maxButtonData {
		// Actions are constants of ours; one this long is a programming error.
		panic("bot: button action too long: " + action)
	}
	return s
}

func verifyFor(k buttonSigner, namespace string, userID int64, data string) (string, error) {
	i := strings.LastIndex(data, buttonSep)
	if i <= 0 || len(data) > maxButtonData {
		return "", errBadButton
	}
	action, sig := data[:i], data[i+1:]
	if len(sig) != sigLen {
		return "", errBadButton // the decoder would skip \r and \n: signed data must be unique
	}
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || len(mac) != buttonMACSize {
		return "", errBadButton
	}
	if !hmac.Equal(mac, k.SignButton(buttonMessage(namespace, userID, action), buttonMACSize)) {
		return "", errBadButton
	}
	return action, nil
}

func buttonMessage(namespace string, userID int64, action string) string {
	return namespace + ":" + strconv.FormatInt(userID, 10) + ":" + action
}

// Reviewer buttons also say which state of the case they were made for and
// until when they work: the signed action is "ACTION!VERSION!EXPIRY", where
// VERSION is the case's version (review.Version; empty for a button that
// only shows the case) and EXPIRY the Unix minute, base 36, after which the
// button no longer works. So a button that was forwarded, kept for weeks,
// or made before the case changed hands cannot act on the case now.

// reviewerButtonTTL is how long a reviewer button works.
const reviewerButtonTTL = 7 * 24 * time.Hour

// reviewerFieldSep separates the action, the version and the expiry; no
// action, reference or version contains it.
const reviewerFieldSep = "!"

// reviewerPress is a verified reviewer button.
type reviewerPress struct {
	Action  string // "out:TL-7K3Q-9XDM:police"
	Version string // the case version it was made for
}

// signReviewerButton signs a reviewer action for one user, for a version of
// the case, until expires.
func signReviewerButton(k buttonSigner, userID int64, action, version string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix()/60, 36)
	return signFor(k, "reviewer", userID, action+reviewerFieldSep+version+reviewerFieldSep+exp)
}

// verifyReviewerButton checks signed reviewer data pressed by userID at now.
func verifyReviewerButton(k buttonSigner, userID int64, data string, now time.Time) (reviewerPress, error) {
	signed, err := verifyFor(k, "reviewer", userID, data)
	if err != nil {
		return reviewerPress{}, err
	}
	rest, exp, ok := cutLast(signed, reviewerFieldSep)
	if !ok {
		return reviewerPress{}, errBadButton
	}
	action, version, ok := cutLast(rest, reviewerFieldSep)
	if !ok || action == "" {
		return reviewerPress{}, errBadButton
	}
	minute, err := strconv.ParseInt(exp, 36, 64)
	if err != nil {
		return reviewerPress{}, errBadButton
	}
	if now.Unix()/60 > minute {
		return reviewerPress{}, errExpiredButton
	}
	return reviewerPress{Action: action, Version: version}, nil
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}
