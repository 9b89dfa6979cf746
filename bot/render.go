package bot

import (
	"strings"
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
	for i, line := range rep.Lines {
		s := r.text(lang, line)
		sep := "\n\n"
		if line.Item {
			sep = "\n"
		}
		if i > 0 && utf16Len(b.String())+utf16Len(sep)+utf16Len(s) > maxMessageLen {
			parts = append(parts, b.String())
			b.Reset()
		}
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		b.WriteString(s)
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
