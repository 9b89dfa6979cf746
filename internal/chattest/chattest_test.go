package chattest

import (
	"testing"

	"github.com/tipline/tipline/telegramemu"
)

// TestIsButton: a reporter's signed data ("ACTION~MAC") and a reviewer's
// ("ACTION!VERSION!EXPIRY~MAC") are the action's; an action that only
// starts the same is not.
func TestIsButton(t *testing.T) {
	for _, tc := range []struct {
		data, action string
		want         bool
	}{
		{"a:yes~AAAAAAAAAAAA", "a:yes", true},
		{"ack:TL-AAAA-CCCC!v1!123~AAAAAAAAAAAA", "ack:TL-AAAA-CCCC", true},
		{"a:yesno~AAAAAAAAAAAA", "a:yes", false},
		{"a:yes", "a:yes", false},
		{"menu:tip~AAAA", "a:yes", false},
	} {
		if got := IsButton(tc.data, tc.action); got != tc.want {
			t.Errorf("IsButton(%q, %q) = %v, want %v", tc.data, tc.action, got, tc.want)
		}
	}
}

// TestButtonIn: the newest message after seen with the button wins; a
// message already seen is not looked at.
func TestButtonIn(t *testing.T) {
	msgs := []telegramemu.Message{
		{ID: 1, Buttons: [][]telegramemu.Button{{{Data: "skip~old"}}}},
		{ID: 2, Buttons: [][]telegramemu.Button{{{Data: "back~b"}, {Data: "skip~new"}}}},
		{ID: 3, Text: "no buttons"},
	}
	if m, data, ok := ButtonIn(msgs, 0, "skip"); !ok || m.ID != 2 || data != "skip~new" {
		t.Errorf("ButtonIn(skip) = %d, %q, %v; want message 2's", m.ID, data, ok)
	}
	if _, _, ok := ButtonIn(msgs, 2, "skip"); ok {
		t.Error("ButtonIn found a button in a message already seen")
	}
}
