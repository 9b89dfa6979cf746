package tipline

// Answer keys in NewCase.Answers: what a reporter answered, by question.

// Answer keys of a tip.
const (
	AnswerWhat     = "what"
	AnswerDanger   = "danger"
	AnswerWhere    = "where"
	AnswerWhen     = "when"
	AnswerChildren = "children"
	AnswerAges     = "ages"
	AnswerAdults   = "adults"
	AnswerMedia    = "media"
	// AnswerHappening is the reporter's optional one-tap answer to "What is
	// happening?": an Exploitation code, or absent when skipped.
	AnswerHappening = "happening"
)

// Answer keys of a missing-child report.
const (
	AnswerName      = "name"
	AnswerAge       = "age"
	AnswerSex       = "sex"
	AnswerPhotos    = "photos"
	AnswerSeenWhen  = "seen_when"
	AnswerSeenWhere = "seen_where"
	AnswerClothes   = "clothes"
	AnswerRelation  = "relation"
	AnswerPolice    = "police"
	AnswerPhone     = "phone"
	AnswerAppeal    = "appeal"
)

// AnswerWritten holds a reporter's words that answer no question: what
// they typed before choosing a missing-child report, or a text too long
// for a short answer (a place, a name). It is sent with the report, beside
// the answers, so nothing the reporter wrote is lost.
const AnswerWritten = "written"

// PlaceAnswers are the answers that hold a place in the reporter's words,
// which a look-up by place searches.
var PlaceAnswers = []string{AnswerWhere, AnswerSeenWhere}
