package sandbox

import (
	"strings"
	"testing"
)

// TestScriptPlaysVoiceMessages: a voice message in the chat (a recorded
// question, or a reporter's voice note) gets an audio player fed by the
// emulator's file link, and its caption (the question's words) shows
// under it.
func TestScriptPlaysVoiceMessages(t *testing.T) {
	b, err := static.ReadFile("static/app.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`const audio = el("audio", "msg-audio");`,
		`audio.controls = true;`,
		`audio.src = emulator.fileURL(id);`,
		`audio.dataset.testid = "voice-player";`,
		`const text = String(m.text || m.caption || "");`,
		// The sandbox's admin records with the browser's microphone.
		`navigator.mediaDevices.getUserMedia({ audio: true })`,
		`emulator.sendVoice(this.user.id, file, seconds)`,
		`microphone: true,`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("app.js lacks %s", want)
		}
	}
}
