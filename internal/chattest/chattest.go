// Package chattest drives one Telegram user's chat with the bot over the
// Bot API emulator (telegramemu), for the end-to-end tests and benchmarks:
// wait for a button, press it, wait for a message, print the transcript.
// It is the one place the tests read the bot's signed button data.
package chattest

import (
	"fmt"
	"strings"
	"time"

	"github.com/tipline/tipline/telegramemu"
)

// Chat is one user's chat with the bot. Its methods return what they
// found; they never stop a test, so a benchmark may drive many chats from
// goroutines of their own.
type Chat struct {
	Emu  *telegramemu.Server
	User telegramemu.User
	// Seen is the id of the newest bot message already used: waits look
	// only at newer ones.
	Seen int
	// Poll is how often a wait looks again (2 ms when zero).
	Poll time.Duration
}

// New adds u to the emulator and gives their chat.
func New(emu *telegramemu.Server, u telegramemu.User) *Chat {
	emu.AddUser(u)
	return &Chat{Emu: emu, User: u}
}

// IsButton tells whether a button's data is action's: a reporter's button
// carries "~MAC" after the action, a reviewer's "!VERSION!EXPIRY" before
// it.
func IsButton(data, action string) bool {
	return strings.HasPrefix(data, action+"~") || strings.HasPrefix(data, action+"!")
}

// ButtonIn finds the newest message after seen with a button for action,
// and that button's data.
func ButtonIn(msgs []telegramemu.Message, seen int, action string) (telegramemu.Message, string, bool) {
	for i := len(msgs) - 1; i >= 0 && msgs[i].ID > seen; i-- {
		for _, row := range msgs[i].Buttons {
			for _, b := range row {
				if IsButton(b.Data, action) {
					return msgs[i], b.Data, true
				}
			}
		}
	}
	return telegramemu.Message{}, "", false
}

func (c *Chat) poll() time.Duration {
	if c.Poll > 0 {
		return c.Poll
	}
	return 2 * time.Millisecond
}

// BotMessages are the bot's messages in the chat, oldest first.
func (c *Chat) BotMessages() []telegramemu.Message { return c.Emu.BotMessages(c.User.ID) }

// WaitButton waits up to timeout for a bot message newer than Seen with a
// button for action, and gives that message and the button's data.
func (c *Chat) WaitButton(action string, timeout time.Duration) (telegramemu.Message, string, bool) {
	deadline := time.Now().Add(timeout)
	for {
		if m, data, ok := ButtonIn(c.BotMessages(), c.Seen, action); ok {
			return m, data, true
		}
		if !time.Now().Before(deadline) {
			return telegramemu.Message{}, "", false
		}
		time.Sleep(c.poll())
	}
}

// Press waits up to timeout for the button for action, presses it and
// makes its message Seen; it gives the update id of the press.
func (c *Chat) Press(action string, timeout time.Duration) (int64, error) {
	m, data, ok := c.WaitButton(action, timeout)
	if !ok {
		return 0, fmt.Errorf("user %d: no button %q within %v", c.User.ID, action, timeout)
	}
	c.Seen = m.ID
	id, err := c.Emu.PressButton(c.User, m.ID, data)
	if err != nil {
		return 0, fmt.Errorf("user %d: press %s: %w", c.User.ID, action, err)
	}
	return id, nil
}

// WaitMessage waits up to timeout for a bot message newer than after that
// match accepts, the newest such.
func (c *Chat) WaitMessage(after int, timeout time.Duration, match func(telegramemu.Message) bool) (telegramemu.Message, bool) {
	deadline := time.Now().Add(timeout)
	for {
		msgs := c.BotMessages()
		for i := len(msgs) - 1; i >= 0 && msgs[i].ID > after; i-- {
			if match(msgs[i]) {
				return msgs[i], true
			}
		}
		if !time.Now().Before(deadline) {
			return telegramemu.Message{}, false
		}
		time.Sleep(c.poll())
	}
}

// WaitNew waits up to timeout for any bot message newer than after, and
// gives how long that took.
func (c *Chat) WaitNew(after int, timeout time.Duration) (time.Duration, bool) {
	start := time.Now()
	_, ok := c.WaitMessage(after, timeout, func(telegramemu.Message) bool { return true })
	return time.Since(start), ok
}

// LastBotID is the id of the bot's newest message in the chat, 0 for none.
func (c *Chat) LastBotID() int {
	msgs := c.BotMessages()
	if len(msgs) == 0 {
		return 0
	}
	return msgs[len(msgs)-1].ID
}

// MarkSeen makes every bot message so far Seen.
func (c *Chat) MarkSeen() {
	if id := c.LastBotID(); id > c.Seen {
		c.Seen = id
	}
}

// Transcript is the whole chat, one message a line, for a failure's
// message.
func (c *Chat) Transcript() string {
	var b strings.Builder
	for _, m := range c.Emu.Messages(c.User.ID) {
		who := "user"
		if m.FromBot {
			who = "bot "
		}
		fmt.Fprintf(&b, "  %d %s: %s\n", m.ID, who, strings.ReplaceAll(m.Text, "\n", " / "))
	}
	return b.String()
}
