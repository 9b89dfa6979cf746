package storage

// Audit actions of classification, referral and duplicates.
const (
	// ActionClassifiedPrefix is followed by "<exploitation>:<risk>"
	// ("classified_sale:high").
	ActionClassifiedPrefix = "classified_"
	// ActionReferredPrefix is followed by the partner's id ("referred:3");
	// it comes right after the "closed_partner" event of the same close.
	ActionReferredPrefix = "referred:"
	// ActionDuplicateOfPrefix, on the newer case, is followed by the older
	// case's reference; it comes right after "closed_duplicate".
	ActionDuplicateOfPrefix = "duplicate_of:"
	// ActionDuplicateLinkedPrefix, on the older case, is followed by the
	// newer case's reference.
	ActionDuplicateLinkedPrefix = "duplicate_linked:"
	// ActionReporterBlockedPrefix is followed by the reason of a block
	// made with one ("reporter_blocked:spam").
	ActionReporterBlockedPrefix = ActionReporterBlocked + ":"
	// ActionUrgencyRaised records that a classification of "in danger now"
	// made a normal case urgent.
	ActionUrgencyRaised = "urgency_urgent"
)

// Reads: what a reviewer opened, so that a lost phone's reach can be
// listed (tipline audit --reviewer ID --since 7d). They are not part of a
// case's story (the timeline leaves them out).
const (
	// ActionViewedPrefix is followed by what was read: ReadDetails,
	// ReadWords, ReadFiles or ReadFound ("viewed:details").
	ActionViewedPrefix = "viewed:"
	ReadDetails        = "details" // Details: the answers and the timeline
	ReadWords          = "words"   // a part of the long words ("Read all")
	ReadFiles          = "files"   // a page of files
	ReadFound          = "found"   // listed by /find
)

// ActionTakeOverWhyPrefix is followed by why a reviewer took a case over
// from another ("take_over_why:unreachable"); it comes right after the
// "reassigned_to_ID" event of the take-over.
const ActionTakeOverWhyPrefix = "take_over_why:"

// ActionContactWithdrawn is recorded when a reporter withdraws their
// consent to be written to.
const ActionContactWithdrawn = "contact_withdrawn"

// Audit actions of custody changes.
const (
	// ActionReassignedPrefix is followed by the id of the reviewer who now
	// has the case ("reassigned_to_7"); the actor is who did it: the
	// reviewer themselves (a take-over) or tipline.ActorOperator.
	ActionReassignedPrefix = "reassigned_to_"
	// ActionReturnedToRouting records, by tipline.ActorSystem, that a case went back
	// to routing because its reviewer was disabled.
	ActionReturnedToRouting = "returned_to_routing"
)

// ActionExportedPrefix starts the audit action of an export; the format
// follows ("exported_pfif", "exported_csv"), and the partner whose key
// received it when it went to one ("exported_csv:partner:3").
const ActionExportedPrefix = "exported_"

// ActionMovedOnPrefix records, by tipline.ActorSystem, that a case's next routing
// level was brought forward because Telegram refused to reach a reviewer
// it was sent to; the reviewer's id follows ("moved_on_unreachable_7").
const ActionMovedOnPrefix = "moved_on_unreachable_"
