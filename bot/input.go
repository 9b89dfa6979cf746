package bot

import (
	"cmp"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/locales/script"
	"github.com/tipline/tipline/storage"
)

// incoming is an update turned into what the processor needs: the chat it
// belongs to, who sent it, and the flow input.
type incoming struct {
	chatID  int64
	userID  int64
	private bool
	// callbackID is set for a button press, which must always be answered.
	callbackID string
	// pressedMessageID is the message whose button was pressed.
	pressedMessageID int
	// pressData is a press's data as it came, not yet verified: whose
	// button it is (a reviewer's or a reporter's) is known only once the
	// presser is, so verifyPress runs after the reviewer's routing.
	pressData string
	input     flows.Input
	// screened, when set, is what the store knew of the sender at the
	// claim (prefetch.go): then they are not looked up again.
	screened *storage.Screening
}

// decodeUnverified turns an update into a flow input, all but the
// verification of a press: a press stays InputForgedButton (answered, never
// acted on) until verifyPress finds it signed for the presser, so a press
// nobody verified fails closed.
func decodeUnverified(u *models.Update, now time.Time) (incoming, bool) {
	in := incoming{input: flows.Input{Now: now}}
	switch {
	case u.Message != nil:
		m := u.Message
		in.chatID, in.private = m.Chat.ID, m.Chat.Type == models.ChatTypePrivate
		if m.From != nil {
			in.userID = m.From.ID
			in.input.LanguageCode = m.From.LanguageCode
		}
		messageInput(m, &in.input)
	case u.EditedMessage != nil:
		m := u.EditedMessage
		in.chatID, in.private = m.Chat.ID, m.Chat.Type == models.ChatTypePrivate
		if m.From != nil {
			in.userID = m.From.ID
			in.input.LanguageCode = m.From.LanguageCode
		}
		in.input.Kind = flows.InputEdited
		in.input.Text = script.Clean(m.Text)
	case u.CallbackQuery != nil:
		q := u.CallbackQuery
		in.callbackID = q.ID
		in.userID = q.From.ID
		in.input.LanguageCode = q.From.LanguageCode
		// The chat is chosen as rawUpdate.chat chooses it for the inbox's
		// order: the pressed message's chat, or else the presser's own.
		in.chatID, in.private = q.From.ID, true
		if m := q.Message.Message; m != nil {
			in.pressedMessageID = m.ID
			in.private = m.Chat.Type == models.ChatTypePrivate
			in.chatID = cmp.Or(m.Chat.ID, q.From.ID)
		} else if m := q.Message.InaccessibleMessage; m != nil {
			in.pressedMessageID = m.MessageID
			in.private = m.Chat.Type == models.ChatTypePrivate
			in.chatID = cmp.Or(m.Chat.ID, q.From.ID)
		}
		in.pressData = q.Data
		in.input.Kind = flows.InputForgedButton
	default:
		return in, false
	}
	return in, in.chatID != 0 && in.userID != 0
}

// verifyPress checks a press as a reporter's button: data that does not
// verify for the presser stays a forged-button input, which flows answers
// without acting on it. A reviewer's press never comes here: the reviewer's
// side verifies its own buttons (verifyReviewerButton).
func (in *incoming) verifyPress(signer buttonSigner) {
	if in.callbackID == "" {
		return
	}
	if action, err := verifyButton(signer, in.userID, in.pressData); err == nil {
		in.input.Kind, in.input.Text = flows.InputButton, action
	}
}

func messageInput(m *models.Message, in *flows.Input) {
	switch {
	case m.Text != "":
		if cmd, arg, ok := command(m); ok {
			in.Kind, in.Text, in.Arg = flows.InputCommand, cmd, arg
			return
		}
		in.Kind, in.Text = flows.InputText, script.Clean(m.Text)
	case m.Voice != nil:
		in.Kind = flows.InputVoice
		in.Attachment = &tipline.Attachment{Kind: tipline.AttachVoice, FileID: m.Voice.FileID, FileUniqueID: m.Voice.FileUniqueID, Size: m.Voice.FileSize}
	case m.Audio != nil:
		in.Kind = flows.InputVoice
		in.Attachment = &tipline.Attachment{Kind: tipline.AttachVoice, FileID: m.Audio.FileID, FileUniqueID: m.Audio.FileUniqueID, Size: m.Audio.FileSize}
	case len(m.Photo) > 0:
		p := m.Photo[len(m.Photo)-1] // the largest size
		in.Kind = flows.InputPhoto
		in.Attachment = &tipline.Attachment{Kind: tipline.AttachPhoto, FileID: p.FileID, FileUniqueID: p.FileUniqueID, Size: int64(p.FileSize)}
	case m.Video != nil:
		in.Kind = flows.InputVideo
		in.Attachment = &tipline.Attachment{Kind: tipline.AttachVideo, FileID: m.Video.FileID, FileUniqueID: m.Video.FileUniqueID, Size: m.Video.FileSize}
	case m.VideoNote != nil:
		in.Kind = flows.InputVideo
		in.Attachment = &tipline.Attachment{Kind: tipline.AttachVideo, FileID: m.VideoNote.FileID, FileUniqueID: m.VideoNote.FileUniqueID, Size: int64(m.VideoNote.FileSize)}
	case m.Location != nil:
		in.Kind = flows.InputLocation
		in.Location = &tipline.Location{Latitude: m.Location.Latitude, Longitude: m.Location.Longitude}
	case m.Sticker != nil || m.Animation != nil:
		in.Kind = flows.InputSticker
	case m.Document != nil:
		in.Kind = flows.InputDocument
	default:
		in.Kind = flows.InputUnsupported
	}
	if in.Attachment != nil {
		in.Attachment.Caption = caption(m.Caption)
	}
}

// caption is the reporter's words sent with a file, cleaned like typed
// text and kept to tipline.MaxCaption characters (Telegram's own limit).
func caption(s string) string {
	return script.Truncate(strings.TrimSpace(script.Clean(s)), tipline.MaxCaption)
}

// command reads "/name arg" or "/name@bot arg" from a message that starts
// with a bot_command entity.
func command(m *models.Message) (name, arg string, ok bool) {
	if len(m.Entities) == 0 || m.Entities[0].Type != models.MessageEntityTypeBotCommand || m.Entities[0].Offset != 0 {
		if !strings.HasPrefix(m.Text, "/") {
			return "", "", false
		}
	}
	head, rest, _ := strings.Cut(strings.TrimPrefix(m.Text, "/"), " ")
	head, _, _ = strings.Cut(head, "@")
	if head == "" || len(head) > 32 {
		return "", "", false
	}
	return strings.ToLower(head), strings.TrimSpace(rest), true
}
