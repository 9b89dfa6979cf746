package bot

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/storage/memory"
)

// longChat is a chat's message list at its bound: 1000 messages over two
// days.
func longChat() chatMessages {
	ms := make(chatMessages, 1000)
	for i := range ms {
		ms[i] = messageRef{ID: 100_000 + i, At: fuzzNow.Add(time.Duration(i) * 2 * time.Minute)}
	}
	return ms
}

// TestChatMessagesKeepTheirForm: the chat's messages are written as one
// flat list, each after the first as its distance from the one before,
// and read back as they were (to the second); an empty list and null read
// as none.
func TestChatMessagesKeepTheirForm(t *testing.T) {
	for _, ms := range []chatMessages{
		{{ID: 42, At: fuzzNow}},
		{{ID: 1, At: fuzzNow}, {ID: 2147483647, At: fuzzNow.Add(47 * time.Hour)}},
		longChat(),
	} {
		data, err := json.Marshal(chatState{Messages: ms})
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf(`"msgs":[%d,%d`, ms[0].ID, ms[0].At.Unix())
		if !strings.Contains(string(data), want) {
			t.Fatalf("saved as %.80s…, want the flat form %s…", data, want)
		}
		var st chatState
		if err := json.Unmarshal(data, &st); err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(st.Messages, ms, func(a, b messageRef) bool { return a.ID == b.ID && a.At.Equal(b.At) }) {
			t.Fatalf("read back %d messages, not the %d saved", len(st.Messages), len(ms))
		}
	}
	long, err := json.Marshal(longChat())
	if err != nil {
		t.Fatal(err)
	}
	if len(long) > 8*1000 { // the older form took 40 a message
		t.Errorf("a chat of 1000 messages two minutes apart takes %d bytes, want a few a message", len(long))
	}
	for _, raw := range []string{`{}`, `{"msgs":[]}`, `{"msgs":null}`, `{"msgs": [ ] }`, `{"messages":[]}`} {
		var st chatState
		if err := json.Unmarshal([]byte(raw), &st); err != nil || len(st.Messages) != 0 {
			t.Errorf("%s: %v, %d messages; want none", raw, err, len(st.Messages))
		}
	}
	var st chatState
	if err := json.Unmarshal([]byte(`{"msgs":[ 7 , 1741944413 ,1,1 ]}`), &st); err != nil || len(st.Messages) != 2 || st.Messages[1].ID != 8 {
		t.Errorf("spaced list: %v, %+v", err, st.Messages)
	}
}

// TestChatMessagesReadTheOlderForm: a session saved before the flat form
// (objects with a timestamp each, under "messages") is read, the draft
// and all, its messages before any added since, and saved again in the
// flat form only.
func TestChatMessagesReadTheOlderForm(t *testing.T) {
	old := `{"flow":{"lang":"km","state":"menu"},"last_update_id":9,` +
		`"messages":[{"id":42,"at":"2025-03-14T09:26:53Z"},{"id":43,"at":"2025-03-14T09:27:10.5+07:00"}]}`
	b := newFuzzBot(t, memory.New(nil), fuzzSecret)
	if err := b.sessions.Save(t.Context(), "chat-a", []byte(old)); err != nil {
		t.Fatal(err)
	}
	st, fresh, err := b.loadSession(t.Context(), "chat-a")
	if err != nil || fresh {
		t.Fatalf("a session in the older form: %v (fresh %v)", err, fresh)
	}
	if st.Flow.Lang != "km" || st.Flow.State != flows.StateMenu || st.LastUpdateID != 9 {
		t.Errorf("the rest of the session: %+v", st)
	}
	if len(st.Messages) != 2 || st.Messages[0].ID != 42 || !st.Messages[0].At.Equal(fuzzNow) ||
		st.Messages[1].ID != 43 || st.Messages[1].At.Unix() != fuzzNow.Add(17*time.Second-7*time.Hour).Unix() || st.Older != nil {
		t.Errorf("messages read as %+v (older %+v)", st.Messages, st.Older)
	}
	data, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(`"msgs":[42,%d,1,-25183]`, fuzzNow.Unix()); !strings.Contains(string(data), want) || strings.Contains(string(data), `"messages"`) {
		t.Errorf("saved again as %s, want %s and nothing else", data, want)
	}

	// A message the guard answered joins them, after the older ones.
	b.keepGuardedMessage(t.Context(), "chat-a", messageRef{ID: 44, At: fuzzNow})
	if st, _, _ = b.loadSession(t.Context(), "chat-a"); len(st.Messages) != 3 || st.Messages[0].ID != 42 || st.Messages[2].ID != 44 {
		t.Errorf("after the guard's message: %+v", st.Messages)
	}
}

// TestChatMessagesLeaveEarlierVersionsASession: a process of the version
// before the flat form, running beside this one during an upgrade, reads a
// session this one saved (as its own chatState would), draft and all: it
// only sees no messages to clear.
func TestChatMessagesLeaveEarlierVersionsASession(t *testing.T) {
	type earlierRef struct {
		ID int       `json:"id"`
		At time.Time `json:"at"`
	}
	type earlierState struct {
		Flow         flows.Session `json:"flow"`
		LastUpdateID int64         `json:"last_update_id,omitempty"`
		Messages     []earlierRef  `json:"messages,omitempty"`
	}
	data, err := json.Marshal(chatState{Flow: flows.Session{Lang: "th", State: flows.StateMenu}, LastUpdateID: 5, Messages: longChat()})
	if err != nil {
		t.Fatal(err)
	}
	var st earlierState
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatalf("an earlier version cannot read the session: %v", err)
	}
	if st.Flow.Lang != "th" || st.Flow.State != flows.StateMenu || st.LastUpdateID != 5 || len(st.Messages) != 0 {
		t.Errorf("an earlier version read %+v", st)
	}
}

// TestChatMessagesRefuseWhatTheyAreNot: a list that is not pairs of whole
// numbers is an error (the session is then dropped as unreadable, as any
// session that cannot be read), never a guess.
func TestChatMessagesRefuseWhatTheyAreNot(t *testing.T) {
	for _, raw := range []string{
		`[1]`, `[1,2,3]`, `[1.5,2]`, `[1,"2"]`, `[1,2e3]`, `{}`, `"1,2"`, `[[1,2]]`, `[1,,2]`, `[1,2,]`, `[true,1]`,
		`[1,99999999999999999999]`,
	} {
		var st chatState
		if err := json.Unmarshal([]byte(`{"msgs":`+raw+`}`), &st); err == nil {
			t.Errorf("%s read as %+v, want an error", raw, st.Messages)
		}
	}
}

// BenchmarkLongChatSession reads and writes the session of a chat with the
// most messages it keeps, in the flat form and in the older one: what
// every update of such a chat costs.
func BenchmarkLongChatSession(b *testing.B) {
	st := chatState{Flow: flows.Session{Lang: "km", State: flows.StateMenu}, LastUpdateID: 1, Messages: longChat()}
	b.Run("flat", func(b *testing.B) { benchRoundTrip(b, st) })
	b.Run("objects", func(b *testing.B) {
		type older struct {
			Flow     flows.Session `json:"flow"`
			Messages []messageRef  `json:"messages"`
		}
		benchRoundTrip(b, older{Flow: st.Flow, Messages: st.Messages})
	})
}

// benchRoundTrip encodes v and decodes it again, as a session is saved
// and read.
func benchRoundTrip[T any](b *testing.B, v T) {
	for b.Loop() {
		data, err := json.Marshal(v)
		if err != nil {
			b.Fatal(err)
		}
		var back T
		if err := json.Unmarshal(data, &back); err != nil {
			b.Fatal(err)
		}
	}
}
