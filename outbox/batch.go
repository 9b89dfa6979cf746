package outbox

import (
	"encoding/json"
	"strconv"

	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// Processing never calls Telegram: what a step means to say is gathered in
// a Batch of outbox entries, written in the transaction that marks the
// update done (G1, G2). The Sender sends them (dispatch.go).

// The methods an outbox entry can carry.
const (
	MethodSend   = "send"   // a text message, maybe with buttons
	MethodFile   = "file"   // a photo, voice note or video by Telegram file id
	MethodEdit   = "edit"   // new text (and buttons) for a message sent before
	MethodAnswer = "answer" // stop a button's spinner
	MethodDelete = "delete" // delete messages; Clear adds those the bot sent lately
	MethodAlbum  = "album"  // 2 to 10 photos and videos by file id, as one album
	MethodLeave  = "leave"  // leave a group the bot was added to
)

// Payload is what an outbox entry sends, sealed at rest with the entry.
type Payload struct {
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
	Files []AlbumFile `json:"fs,omitempty"`
}

// AlbumFile is one photo or video of an album entry.
type AlbumFile struct {
	Kind    string `json:"k"`
	ID      string `json:"f"`
	Caption string `json:"c,omitempty"` // the reporter's words sent with it
}

// Batch gathers one piece of work's outbox entries, keyed by the work
// (an update, a routing job) and their order in it, so that doing the same
// work again adds nothing twice. Its methods are the calls the Sender
// makes; Entries are what the store writes, with the work's own changes,
// in one transaction.
type Batch struct {
	prefix  string
	chatKey func(chatID int64) string
	Entries []storage.OutboxEntry
}

// NewBatch starts a batch whose entries are keyed prefix:0, prefix:1...,
// each in the chat chatKey names (keys.Ring.ChatKey: no chat id at rest
// in the key).
func NewBatch(prefix string, chatKey func(chatID int64) string) *Batch {
	return &Batch{prefix: prefix, chatKey: chatKey}
}

// Prefix is the key the batch's entries start with.
func (o *Batch) Prefix() string { return o.prefix }

// add queues one call and returns its key.
func (o *Batch) add(chatID int64, lane tipline.Lane, method string, p Payload, retryUnknown bool, editOf string) string {
	e := newEntry(o.prefix+":"+strconv.Itoa(len(o.Entries)), o.chatKey(chatID), chatID, lane, method, p, retryUnknown, editOf)
	o.Entries = append(o.Entries, e)
	return e.Key
}

func newEntry(key, chatKey string, chatID int64, lane tipline.Lane, method string, p Payload, retryUnknown bool, editOf string) storage.OutboxEntry {
	data, err := json.Marshal(p)
	if err != nil {
		panic("outbox: payload does not marshal: " + err.Error()) // plain data of ours
	}
	return storage.OutboxEntry{
		Key: key, ChatKey: chatKey, ChatID: chatID, Lane: lane, Method: method,
		Payload: data, RetryUnknown: retryUnknown, EditOf: editOf,
	}
}

// AnswerEntry is the answer to a button press: keyed by the press, so
// intake (which queues it with the update) and processing queue it once;
// it waits for nothing, so its chat key is its own.
func AnswerEntry(callbackID string) storage.OutboxEntry {
	key := "cb:" + callbackID
	return newEntry(key, key, 0, tipline.LaneCallback, MethodAnswer, Payload{CallbackID: callbackID}, true, "")
}

// Text queues a message. Reviewer messages are protected from forwarding
// and worth a double when an answer is lost; a reporter's is sent at most
// once.
func (o *Batch) Text(chatID int64, lane tipline.Lane, text string, rows [][]models.InlineKeyboardButton, protect bool) string {
	return o.add(chatID, lane, MethodSend, Payload{Text: text, Rows: rows, Protect: protect}, protect, "")
}

// Answer queues the answer to a button press, first of all.
func (o *Batch) Answer(callbackID string) {
	if callbackID == "" {
		return
	}
	o.Entries = append(o.Entries, AnswerEntry(callbackID))
}

// Edit queues new text for the message another entry sent (editOf), or
// for a message whose id is known.
func (o *Batch) Edit(chatID int64, lane tipline.Lane, editOf string, messageID int, text string, rows [][]models.InlineKeyboardButton) {
	o.add(chatID, lane, MethodEdit, Payload{Text: text, Rows: rows, MessageID: messageID}, true, editOf)
}

// File queues a stored attachment, protected from forwarding, with the
// words its reporter sent with it.
func (o *Batch) File(chatID int64, lane tipline.Lane, a tipline.Attachment) {
	o.add(chatID, lane, MethodFile, Payload{FileID: a.FileID, FileKind: a.Kind, Caption: a.Caption, Protect: true}, true, "")
}

// Album queues 2 to 10 stored photos and videos as one album, protected
// from forwarding: what a reporter sent as an album, and a case's files in
// Details, arrive as one message rather than one by one.
func (o *Batch) Album(chatID int64, lane tipline.Lane, files []AlbumFile) {
	o.add(chatID, lane, MethodAlbum, Payload{Files: files, Protect: true}, true, "")
}

// Clear queues the deletion of the chat's recent messages: those given
// (the reporter's) and every one the bot sent it in the last 48 hours.
func (o *Batch) Clear(chatID int64, ids []int) {
	o.add(chatID, tipline.LaneReply, MethodDelete, Payload{MessageIDs: ids, Clear: true}, true, "")
}

// VoicePrompt queues a recorded prompt: the voice by its Telegram file id,
// the words as its caption, the buttons under it. Like any message to a
// reporter it is sent at most once, and "Clear this chat" deletes it.
func (o *Batch) VoicePrompt(chatID int64, lane tipline.Lane, fileID, caption string, rows [][]models.InlineKeyboardButton) {
	o.add(chatID, lane, MethodFile, Payload{FileID: fileID, FileKind: "voice", Text: caption, Rows: rows}, false, "")
}

// Leave queues leaving a group chat.
func (o *Batch) Leave(chatID int64) {
	o.add(chatID, tipline.LaneReply, MethodLeave, Payload{}, false, "")
}
