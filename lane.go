package tipline

// Lane orders outgoing messages: a lower lane goes first when Telegram's
// limits leave room for only some.
type Lane int

// The lanes of the outbox.
const (
	// LaneCallback is answers to button presses: not messages, not paced
	// per chat, and never kept waiting behind a chat's replies.
	LaneCallback Lane = 1
	// LaneUrgent is reviewer notifications of urgent cases and anything
	// about an urgent case.
	LaneUrgent Lane = 2
	// LaneReply is replies to reporters and reviewers, and notifications of
	// normal cases.
	LaneReply Lane = 3
	// LaneBulk is work that may wait: Details' files, retention warnings.
	LaneBulk Lane = 4
)
