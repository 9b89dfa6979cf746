package storage

import "time"

// VoicePrompt is one recording of a prompt (a catalogue message a reporter
// can listen to) in one language, made by the team through the bot. It is
// the team's voice, not a reporter's data: it is kept in the clear and
// leaves the server only through "tipline voices export".
type VoicePrompt struct {
	// Key is the catalogue message ID the recording reads ("q_what").
	Key  string
	Lang string
	// FileID is Telegram's id of the voice note, which the bot sends again
	// as it is (no upload per reporter).
	FileID   string
	Duration int // seconds
	// RecordedBy is the reviewer (an admin) who recorded it; 0 for an import.
	RecordedBy int64
	RecordedAt time.Time
	// TextHash is the hash of the catalogue text the recording reads
	// (voices.TextHash): when the text changes, the recording is stale
	// and is not played until recorded again.
	TextHash string
}

// VoiceEvent is one line of the recordings' audit trail: who recorded,
// imported or removed which prompt, when.
type VoiceEvent struct {
	Key, Lang string
	Actor     string // "reviewer:7", or "operator" for an import
	Action    string // ActionVoiceRecorded, ActionVoiceImported, ActionVoiceRemoved
	At        time.Time
}

// Audit actions of the recordings.
const (
	ActionVoiceRecorded = "voice_recorded"
	ActionVoiceImported = "voice_imported"
	ActionVoiceRemoved  = "voice_removed"
)
