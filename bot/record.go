package bot

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/outbox"
	"github.com/tipline/tipline/reply"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/voices"
)

// Recording the prompts, by an admin, in Telegram: /record lists the
// languages with how many prompts each has, a language lists its prompts
// (✅ recorded, ⭕ missing, ⚠️ stale), a prompt shows the exact text to
// read, the admin answers with a voice message, the bot plays it back
// with "keep" or "record again". Keeping it stores Telegram's file id,
// the duration, who, when and the hash of the text read (audited).

// recording is what an admin is recording: a prompt in a language, and
// the voice message they sent for it, until they keep it.
type recording struct {
	Lang     string `json:"lang"`
	Key      string `json:"key"`
	FileID   string `json:"file_id,omitempty"`
	Duration int    `json:"duration,omitempty"`
}

// Actions of the recording buttons. A prompt is named by its place in
// voices.Prompts, so a button stays within Telegram's 64 bytes.
const (
	actRecord      = "rec:"
	actRecordLang  = "rec:l:" // + language: its list
	actRecordPick  = "rec:p:" // + language + ":" + index: record that one
	actRecordKeep  = "rec:keep"
	actRecordAgain = "rec:again"
)

// recordMessage handles a message that is about recording: /record, and
// while recording a voice message for the prompt chosen (or words, which
// are not). false hands the message to the reviewer's desk (and ends a
// recording left half-done).
func (b *Bot) recordMessage(ctx context.Context, u *models.Update, in incoming, rv tipline.Reviewer, st *reviewerState, out *outbox.Batch) (bool, error) {
	switch {
	case in.input.Kind == flows.InputCommand && in.input.Text == "record":
		return true, b.recordDo(ctx, "record", nil, rv, st, out)
	case in.input.Kind == flows.InputVoice && st.Recording != nil && u.Message != nil && u.Message.Voice != nil:
		return true, b.recordDo(ctx, "voice", u.Message.Voice, rv, st, out)
	case in.input.Kind == flows.InputText && st.Recording != nil:
		b.sayTo(out, rv, reply.Message{Lines: []reply.Text{{ID: "rv_record_voice_needed"}}})
		return true, nil
	}
	st.Recording = nil
	return false, nil
}

// recordDo carries out a recording step for an admin: act is "record", a
// recording button's action (verified by the caller: it starts with
// actRecord), or "voice" with the voice message sent.
func (b *Bot) recordDo(ctx context.Context, act string, voice *models.Voice, rv tipline.Reviewer, st *reviewerState, out *outbox.Batch) error {
	if !rv.Admin {
		b.sayTo(out, rv, reply.Message{Lines: []reply.Text{{ID: "rv_record_admins_only"}}})
		return nil
	}
	switch {
	case act == "record":
		st.Recording = nil
		return b.recordLanguages(ctx, rv, out)
	case strings.HasPrefix(act, actRecordLang):
		st.Recording = nil
		return b.recordList(ctx, rv, strings.TrimPrefix(act, actRecordLang), out)
	case strings.HasPrefix(act, actRecordPick):
		lang, idx, _ := strings.Cut(strings.TrimPrefix(act, actRecordPick), ":")
		i, err := strconv.Atoi(idx)
		prompts := voices.Prompts()
		if err != nil || i < 0 || i >= len(prompts) || !slices.Contains(tipline.Languages, lang) {
			return b.recordLanguages(ctx, rv, out)
		}
		st.Recording = &recording{Lang: lang, Key: prompts[i]}
		b.recordRead(rv, *st.Recording, out)
	case act == "voice":
		st.Recording.FileID = voice.FileID
		st.Recording.Duration = voice.Duration
		b.recordPlayBack(rv, *st.Recording, out)
	case act == actRecordAgain && st.Recording != nil:
		st.Recording.FileID, st.Recording.Duration = "", 0
		b.recordRead(rv, *st.Recording, out)
	case act == actRecordKeep && st.Recording != nil && st.Recording.FileID != "":
		r := *st.Recording
		v := storage.VoicePrompt{
			Key: r.Key, Lang: r.Lang, FileID: r.FileID, Duration: r.Duration, RecordedBy: rv.ID,
			RecordedAt: b.cfg.Now(), TextHash: voices.TextHash(b.render.cat, r.Lang, r.Key),
		}
		if err := b.store.SaveVoicePrompt(ctx, v, tipline.ReviewerActor(rv.ID), storage.ActionVoiceRecorded); err != nil {
			return fmt.Errorf("keep recording: %w", err)
		}
		b.forgetVoiceCache()
		b.log.Info("a prompt was recorded", "reviewer", rv.ID, "prompt", r.Key, "lang", r.Lang)
		st.Recording = nil
		b.sayTo(out, rv, reply.Message{Lines: []reply.Text{{ID: "rv_record_kept", Data: map[string]any{"Name": reply.Text{ID: "language_name_" + r.Lang}}}}})
		return b.recordList(ctx, rv, r.Lang, out)
	default:
		// An old button of a recording kept or left: the languages again.
		st.Recording = nil
		return b.recordLanguages(ctx, rv, out)
	}
	return nil
}

// recordLanguages is /record's first screen: a button per language with
// how many of its prompts are recorded.
func (b *Bot) recordLanguages(ctx context.Context, rv tipline.Reviewer, out *outbox.Batch) error {
	recs, err := b.store.VoicePrompts(ctx, "")
	if err != nil {
		return fmt.Errorf("list recordings: %w", err)
	}
	var rows [][]reply.Button
	for _, l := range tipline.Languages {
		c := voices.Count(voices.Coverage(b.render.cat, l, recs))
		rows = append(rows, []reply.Button{{Label: reply.Text{ID: "rv_record_language", Data: map[string]any{
			"Name": reply.Text{ID: "language_name_" + l}, "N": c.Recorded, "Max": len(voices.Prompts()),
		}}, Action: actRecordLang + l}})
	}
	b.sayTo(out, rv, reply.Message{Lines: []reply.Text{{ID: "rv_record_choose"}}, Buttons: rows})
	return nil
}

// recordList lists a language's prompts, each a button with its status
// and its first words in that language.
func (b *Bot) recordList(ctx context.Context, rv tipline.Reviewer, lang string, out *outbox.Batch) error {
	if !slices.Contains(tipline.Languages, lang) {
		return b.recordLanguages(ctx, rv, out)
	}
	recs, err := b.store.VoicePrompts(ctx, lang)
	if err != nil {
		return fmt.Errorf("list recordings: %w", err)
	}
	icons := map[voices.Status]string{voices.Recorded: "✅", voices.Missing: "⭕", voices.Stale: "⚠️"}
	var rows [][]reply.Button
	for i, e := range voices.Coverage(b.render.cat, lang, recs) {
		rows = append(rows, []reply.Button{{Label: reply.Text{ID: "rv_record_item", Data: map[string]any{
			"Label": icons[e.Status], "Value": firstWords(b.render.cat.Text(lang, e.Key, nil), 40),
		}}, Action: actRecordPick + lang + ":" + strconv.Itoa(i)}})
	}
	b.sayTo(out, rv, reply.Message{
		Lines:   []reply.Text{{ID: "rv_record_list", Data: map[string]any{"Name": reply.Text{ID: "language_name_" + lang}}}},
		Buttons: rows,
	})
	return nil
}

// recordRead shows the exact text to read, in the prompt's language.
func (b *Bot) recordRead(rv tipline.Reviewer, r recording, out *outbox.Batch) {
	b.sayTo(out, rv, reply.Message{
		Lines: []reply.Text{
			{ID: "rv_record_read"},
			{ID: "rv_record_text", Data: map[string]any{"Text": b.render.cat.Text(r.Lang, r.Key, nil)}},
		},
		Buttons: [][]reply.Button{{{Label: reply.Text{ID: "button_record_list"}, Action: actRecordLang + r.Lang}}},
	})
}

// recordPlayBack sends the admin's voice message back to them, with keep
// and record again under it.
func (b *Bot) recordPlayBack(rv tipline.Reviewer, r recording, out *outbox.Batch) {
	m := reply.Message{
		Lines: []reply.Text{{ID: "rv_record_check"}},
		Buttons: [][]reply.Button{{
			{Label: reply.Text{ID: "button_record_keep"}, Action: actRecordKeep},
			{Label: reply.Text{ID: "button_record_again"}, Action: actRecordAgain},
		}},
	}
	ms := b.render.render(orEnglish(rv.Lang), m, func(btn reply.Button) string { return b.signReviewer(rv.TelegramID, btn.Action) })
	out.VoicePrompt(rv.TelegramID, tipline.LaneReply, r.FileID, ms[0].text, ms[0].rows())
}

// sayTo queues a message to a reviewer, in their language, its buttons
// signed for them.
func (b *Bot) sayTo(out *outbox.Batch, rv tipline.Reviewer, m reply.Message) {
	for _, o := range b.render.render(orEnglish(rv.Lang), m, func(btn reply.Button) string { return b.signReviewer(rv.TelegramID, btn.Action) }) {
		out.Text(rv.TelegramID, tipline.LaneReply, o.text, o.rows(), true)
	}
}

// firstWords is the start of a text, on one line, at most n characters.
func firstWords(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
