package postgres

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// The additional data of each sealed value names its table, row and column.

func inboxPayloadAAD(updateID int64) string {
	return "inbox/" + strconv.FormatInt(updateID, 10) + "/payload"
}

func caseAAD(draftID, column string) string {
	return "cases/" + draftID + "/" + column
}

func attachmentAAD(draftID string, position int, column string) string {
	return "attachments/" + draftID + "/" + strconv.Itoa(position) + "/" + column
}

// additionKey is how an addition's idempotency key is stored: hashed, so
// that a key of any length and any bytes fits.
func additionKey(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// additionAAD names an addition by its case's draft and its stored
// idempotency key, which are unique together.
func additionAAD(draftID string, storedKey []byte, column string) string {
	return "additions/" + draftID + "/" + hex.EncodeToString(storedKey) + "/" + column
}

// inviteAAD names an invite by its code hash, its primary key.
func inviteAAD(codeHash []byte, column string) string {
	return "invites/" + hex.EncodeToString(codeHash) + "/" + column
}

func reviewerAAD(id int64, column string) string {
	return "reviewers/" + strconv.FormatInt(id, 10) + "/" + column
}

func notificationAAD(id int64, column string) string {
	return "notifications/" + strconv.FormatInt(id, 10) + "/" + column
}

func noteAAD(id int64, column string) string {
	return "notes/" + strconv.FormatInt(id, 10) + "/" + column
}

// rotaAAD names the one row of the rota table.
const rotaAAD = "rota/doc"
