package bot

import (
	"encoding/json"
	"strconv"

	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// Processing never calls Telegram: what a step means to say is gathered in
// a batch of outbox entries, written in the transaction that marks the
// update done (G1, G2). The dispatcher sends them (dispatch.go).

// The methods an outbox entry can carry.
const (
	methodSend   = "send"   // a text message, maybe with buttons
	methodFile   = "file"   // a photo, voice note or video by Telegram file id
	methodEdit   = "edit"   // new text (and buttons) for a message sent before
	methodAnswer = "answer" // stop a button's spinner
	methodDelete = "delete" // delete messages; Clear adds those the bot sent lately
	methodAlbum  = "album"  // 2 to 10 photos and videos by file id, as one album
)

// payload is what an outbox entry sends, sealed at rest with the entry.
type payload struct {
	Text    string                          `json:"t,omitempty"`
	Rows    [][]models.InlineKeyboardButton `json:"k,omitempty"`
	Protect bool                            `json:"p,omitempty"`
	// MessageID is the message an edit changes when it was known at once.
	MessageID int `json:"m,omitempty"`
	// MessageIDs are messages to delete; Clear adds every message the bot
	// sent the chat in the last 48 hours.
	MessageIDs []int  `json:"ms,omitempty"`
	Clear      bool   `json:"c,omitempty"`
	CallbackID string `json:"q,omitempty"`
	FileID     string `json:"f,omitempty"`
	FileKind   string `json:"fk,omitempty"`
	// Caption is the reporter's words sent with a file, shown with it.
	Caption string `json:"fc,omitempty"`
	// Files are an album's photos and videos.
	Files []albumFile `json:"fs,omitempty"`
}

// albumFile is one photo or video of an album entry.
type albumFile struct {
	Kind    string `json:"k"`
	ID      string `json:"f"`
	Caption string `json:"c,omitempty"` // the reporter's words sent with it
}

// batch gathers one piece of work's outbox entries, keyed by the work
// (an update, a routing job) and their order in it, so that doing the same
// work again adds nothing twice.
type batch struct {
	prefix  string
	chatKey func(chatID int64) string
	entries []storage.OutboxEntry
}

func (b *Bot) newBatch(prefix string) *batch {
	return &batch{prefix: prefix, chatKey: b.ring.ChatKey}
}

func updateBatchPrefix(updateID int64) string { return "u:" + strconv.FormatInt(updateID, 10) }

// add queues one call and returns its key.
func (o *batch) add(chatID int64, lane tipline.Lane, method string, p payload, retryUnknown bool, editOf string) string {
	e := newEntry(o.prefix+":"+strconv.Itoa(len(o.entries)), o.chatKey(chatID), chatID, lane, method, p, retryUnknown, editOf)
	o.entries = append(o.entries, e)
	return e.Key
}

func newEntry(key, chatKey string, chatID int64, lane tipline.Lane, method string, p payload, retryUnknown bool, editOf string) storage.OutboxEntry {
	data, err := json.Marshal(p)
	if err != nil {
		panic("bot: payload does not marshal: " + err.Error()) // plain data of ours
	}
	return storage.OutboxEntry{
		Key: key, ChatKey: chatKey, ChatID: chatID, Lane: lane, Method: method,
		Payload: data, RetryUnknown: retryUnknown, EditOf: editOf,
	}
}

// answerEntry is the answer to a button press: keyed by the press, so
// intake (which queues it with the update) and processing queue it once;
// it waits for nothing, so its chat key is its own.
func answerEntry(callbackID string) storage.OutboxEntry {
	key := "cb:" + callbackID
	return newEntry(key, key, 0, tipline.LaneCallback, methodAnswer, payload{CallbackID: callbackID}, true, "")
}

// text queues a message. Reviewer messages are protected from forwarding
// and worth a double when an answer is lost; a reporter's is sent at most
// once.
func (o *batch) text(chatID int64, lane tipline.Lane, text string, rows [][]models.InlineKeyboardButton, protect bool) string {
	return o.add(chatID, lane, methodSend, payload{Text: text, Rows: rows, Protect: protect}, protect, "")
}

// answer queues the answer to a button press, first of all.
func (o *batch) answer(callbackID string) {
	if callbackID == "" {
		return
	}
	o.entries = append(o.entries, answerEntry(callbackID))
}

// edit queues new text for the message another entry sent (editOf), or
// for a message whose id is known.
func (o *batch) edit(chatID int64, lane tipline.Lane, editOf string, messageID int, text string, rows [][]models.InlineKeyboardButton) {
	o.add(chatID, lane, methodEdit, payload{Text: text, Rows: rows, MessageID: messageID}, true, editOf)
}

// file queues a stored attachment, protected from forwarding, with the
// words its reporter sent with it.
func (o *batch) file(chatID int64, lane tipline.Lane, a tipline.Attachment) {
	o.add(chatID, lane, methodFile, payload{FileID: a.FileID, FileKind: a.Kind, Caption: a.Caption, Protect: true}, true, "")
}

// album queues 2 to 10 stored photos and videos as one album, protected
// from forwarding: what a reporter sent as an album, and a case's files in
// Details, arrive as one message rather than one by one.
func (o *batch) album(chatID int64, lane tipline.Lane, files []albumFile) {
	o.add(chatID, lane, methodAlbum, payload{Files: files, Protect: true}, true, "")
}

// clear queues the deletion of the chat's recent messages: those given
// (the reporter's) and every one the bot sent it in the last 48 hours.
func (o *batch) clear(chatID int64, ids []int) {
	o.add(chatID, tipline.LaneReply, methodDelete, payload{MessageIDs: ids, Clear: true}, true, "")
}
