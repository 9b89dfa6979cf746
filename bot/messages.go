package bot

import (
	"bytes"
	"errors"
	"strconv"
	"time"
)

// chatMessages are the chat's messages that "Clear this chat" deletes,
// oldest first (the reporter's own, and those sent outside the outbox).
//
// They travel with the session, which is read and written at every
// update, and a chat may keep up to 1000 of them for two days. As objects
// with a timestamp each ({"id":…,"at":"2006-01-02T15:04:05Z"}), a long
// chat's list took over a quarter of the bot's CPU to decode and encode
// in a drive of long chats, and their answers slowed as they went on.
// They are kept as one flat list of numbers instead: the first message's
// id and time (unix seconds), then for each next one how far its id and
// time are from the one before ([id, time, +id, +time, …]). A chat's messages come one after another,
// so most of those are a digit or two: a long chat's list is a sixth of
// the bytes it was, and read without a timestamp to parse.
//
// The list is saved under a name of its own ("msgs"), not the older
// form's ("messages"), so that a process of an earlier version running
// beside this one (an upgrade machine by machine) still reads the
// session: it sees no messages to clear, where a list it could not read
// would have dropped the session, and the draft in it. A session saved
// in the older form is read (chatState.Older, takeOlder).
type chatMessages []messageRef

// MarshalJSON writes the flat form, each message after the first as its
// distance from the one before.
func (ms chatMessages) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 2+len(ms)*22)
	b = append(b, '[')
	var id, at int64
	for i, m := range ms {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(m.ID)-id, 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, m.At.Unix()-at, 10)
		id, at = int64(m.ID), m.At.Unix()
	}
	return append(b, ']'), nil
}

// UnmarshalJSON reads the flat form.
func (ms *chatMessages) UnmarshalJSON(b []byte) error {
	rest := skipSpace(b)
	if string(rest) == "null" {
		*ms = nil
		return nil
	}
	if len(rest) < 2 || rest[0] != '[' {
		return errBadMessages
	}
	out := (*ms)[:0]
	p := skipSpace(rest[1:])
	if len(p) > 0 && p[0] == ']' {
		p = p[1:] // an empty list
	} else {
		if n := (bytes.Count(p, []byte{','}) + 1) / 2; cap(out) < n {
			out = make(chatMessages, 0, n)
		}
		var pair [2]int64 // the last message's id and time
		n := 0
		for {
			end := 0
			for end < len(p) && (p[end] == '-' || p[end] >= '0' && p[end] <= '9') {
				end++
			}
			v, err := strconv.ParseInt(string(p[:end]), 10, 64)
			if err != nil {
				return errBadMessages
			}
			pair[n] += v
			if n++; n == 2 {
				out = append(out, messageRef{ID: int(pair[0]), At: time.Unix(pair[1], 0)})
				n = 0
			}
			p = skipSpace(p[end:])
			if len(p) > 0 && p[0] == ']' && n == 0 {
				p = p[1:]
				break
			}
			if len(p) == 0 || p[0] != ',' {
				return errBadMessages
			}
			p = skipSpace(p[1:])
		}
	}
	if len(skipSpace(p)) != 0 {
		return errBadMessages
	}
	*ms = out
	return nil
}

var errBadMessages = errors.New("bot: the chat's message list is not [id, time, +id, +time, …]")

// skipSpace drops JSON's white space from the front of b.
func skipSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	return b
}

// takeOlder moves the messages an earlier version saved, as objects, to
// the flat list, where they are saved from now on.
func (s *chatState) takeOlder() {
	if len(s.Older) > 0 {
		s.Messages = append(chatMessages(s.Older), s.Messages...)
		s.Older = nil
	}
}
