package rules

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// CheckAddition refuses an addition the store should not keep.
func CheckAddition(key string, a tipline.Addition) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: addition without an idempotency key", tipline.ErrInvalid)
	case a.Actor == "":
		return fmt.Errorf("%w: addition without an actor", tipline.ErrInvalid)
	case a.Text == "" && len(a.Attachments) == 0:
		return fmt.Errorf("%w: empty addition", tipline.ErrInvalid)
	}
	return nil
}

// CheckClassification refuses an unknown kind of exploitation or risk.
func CheckClassification(e tipline.Exploitation, r tipline.Risk) error {
	if !e.Valid() {
		return fmt.Errorf("%w: unknown kind of exploitation", tipline.ErrInvalid)
	}
	if !r.Valid() {
		return fmt.Errorf("%w: unknown risk level", tipline.ErrInvalid)
	}
	return nil
}

// CheckNewCase refuses a case the store could not find again.
func CheckNewCase(c tipline.NewCase) error {
	switch {
	case c.DraftID == "":
		return fmt.Errorf("%w: case without a draft id", tipline.ErrInvalid)
	case c.Reference == "":
		return fmt.Errorf("%w: case without a reference", tipline.ErrInvalid)
	}
	return nil
}

// CheckOutcome refuses an outcome that is not one of tipline.Outcomes.
func CheckOutcome(o tipline.Outcome) error {
	if !slices.Contains(tipline.Outcomes, o) {
		return fmt.Errorf("%w: unknown outcome", tipline.ErrInvalid)
	}
	return nil
}

// CheckNote refuses a note the store should not keep.
func CheckNote(n tipline.Note) error {
	switch {
	case n.Author == "":
		return fmt.Errorf("%w: note without an author", tipline.ErrInvalid)
	case n.Kind != tipline.NoteInternal && n.Kind != tipline.NoteToReporter && n.Kind != tipline.NoteFromReporter:
		return fmt.Errorf("%w: unknown note kind", tipline.ErrInvalid)
	case n.Text == "":
		return fmt.Errorf("%w: empty note", tipline.ErrInvalid)
	}
	return nil
}

// CheckFind refuses a look-up with nothing to look for.
func CheckFind(q tipline.FindQuery) error {
	if q.Reference == "" && strings.TrimSpace(q.Place) == "" && q.Near == nil {
		return fmt.Errorf("%w: nothing to look for", tipline.ErrInvalid)
	}
	if q.WithinKm < 0 || q.WithinKm > 500 {
		return fmt.Errorf("%w: radius must be between 0 and 500 km", tipline.ErrInvalid)
	}
	return nil
}

// CheckLimit refuses a limit no call could pass or a window that never ends.
func CheckLimit(limit int, window time.Duration) error {
	switch {
	case limit < 1:
		return fmt.Errorf("%w: rate limit below 1", tipline.ErrInvalid)
	case window <= 0:
		return fmt.Errorf("%w: rate limit window not positive", tipline.ErrInvalid)
	}
	return nil
}

// CheckEntry refuses an outbox entry the sender could not deliver.
func CheckEntry(e storage.OutboxEntry) error {
	if e.Key == "" || e.ChatKey == "" || e.Method == "" || e.Lane < tipline.LaneCallback || e.Lane > tipline.LaneBulk {
		return fmt.Errorf("outbox entry %q: %w", e.Key, tipline.ErrInvalid)
	}
	return nil
}

// MaxPartnerName bounds a partner's name.
const MaxPartnerName = 200

// CheckPartner refuses a partner the store should not keep.
func CheckPartner(name string, kind tipline.PartnerKind, country string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return fmt.Errorf("%w: partner without a name", tipline.ErrInvalid)
	case len(name) > MaxPartnerName:
		return fmt.Errorf("%w: partner name longer than %d bytes", tipline.ErrInvalid, MaxPartnerName)
	case !kind.Valid():
		return fmt.Errorf("%w: partner kind must be police, ngo or hotline", tipline.ErrInvalid)
	case !slices.Contains(tipline.Countries, country):
		return fmt.Errorf("%w: partner country must be KH or TH", tipline.ErrInvalid)
	}
	return nil
}

// CheckRecipient refuses an empty or overlong partner key (the caller
// checks it is an age public key).
func CheckRecipient(r string) error {
	switch {
	case r == "":
		return fmt.Errorf("%w: empty partner key", tipline.ErrInvalid)
	case len(r) > 200 || strings.ContainsAny(r, " \t\n"):
		return fmt.Errorf("%w: not one key", tipline.ErrInvalid)
	}
	return nil
}

// PartnerExportAction is the audit action of an export to a partner:
// "exported_FORMAT:partner:ID".
func PartnerExportAction(format string, partnerID int64) string {
	return storage.ActionExportedPrefix + format + ":partner:" + strconv.FormatInt(partnerID, 10)
}

// CheckInvite refuses an invite the store should not keep.
func CheckInvite(codeHash []byte, name string, expires time.Time) error {
	switch {
	case len(codeHash) == 0:
		return fmt.Errorf("%w: invite without a code hash", tipline.ErrInvalid)
	case name == "":
		return fmt.Errorf("%w: invite without a name", tipline.ErrInvalid)
	case expires.IsZero():
		return fmt.Errorf("%w: invite without an expiry", tipline.ErrInvalid)
	}
	return nil
}

// CheckLang refuses an empty language.
func CheckLang(lang string) error {
	if lang == "" {
		return fmt.Errorf("%w: no language", tipline.ErrInvalid)
	}
	return nil
}

// CheckRota refuses a rota document that is not JSON.
func CheckRota(doc []byte) error {
	if !json.Valid(doc) {
		return fmt.Errorf("%w: rota is not JSON", tipline.ErrInvalid)
	}
	return nil
}

// CheckJob refuses a job the store could not run.
func CheckJob(level int, runAt time.Time) error {
	switch {
	case level < 0:
		return fmt.Errorf("%w: negative level", tipline.ErrInvalid)
	case runAt.IsZero():
		return fmt.Errorf("%w: job without a time", tipline.ErrInvalid)
	}
	return nil
}

// maxMarkValue is the most a marker may hold: a marker is a flag or a
// short setting (a language, a few sealed references), never content.
const maxMarkValue = 256

// CheckMarkValue refuses a marker value that is empty or longer than a
// short setting.
func CheckMarkValue(v string) error {
	if v == "" || len(v) > maxMarkValue {
		return fmt.Errorf("%w: marker value empty or over %d bytes", tipline.ErrInvalid, maxMarkValue)
	}
	return nil
}

// CheckMarkTTL refuses a marker that would never expire or is already gone.
func CheckMarkTTL(ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("%w: marker time to live not positive", tipline.ErrInvalid)
	}
	return nil
}

// CheckMarks refuses markers a session's save may not write (one set for
// no time, or with too long a value), as Mark and MarkWith refuse them.
func CheckMarks(marks []storage.Mark) error {
	for _, m := range marks {
		if m.TTL == 0 {
			continue // removed
		}
		if err := CheckMarkTTL(m.TTL); err != nil {
			return err
		}
		if err := CheckMarkValue(MarkValue(m)); err != nil {
			return err
		}
	}
	return nil
}

// MarkValue is what a marker holds: its value, or "1" as Mark sets.
func MarkValue(m storage.Mark) string {
	if m.Value == "" {
		return "1"
	}
	return m.Value
}

// CheckSession refuses a session over storage.MaxSessionBytes, before it
// is sealed and stored.
func CheckSession(data []byte) error {
	if len(data) > storage.MaxSessionBytes {
		return fmt.Errorf("%d bytes: %w", len(data), storage.ErrSessionTooLarge)
	}
	return nil
}
