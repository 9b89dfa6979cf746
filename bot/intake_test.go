package bot

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"
)

// TestStripIdentity: an update loses every name, username, phone number
// and contact card, the sender's and those it quotes or forwards, and
// keeps what processing reads (ids digit for digit, the words, the
// language) — the security review's M1 probe update among them.
func TestStripIdentity(t *testing.T) {
	raw := `{"update_id":9001,"message":{"message_id":7,"date":1764500000,
		"chat":{"id":555000111,"type":"private","first_name":"Sreymom","last_name":"Chan","username":"sreymom_pp"},
		"from":{"id":555000111,"is_bot":false,"first_name":"Sreymom","username":"sreymom_pp","language_code":"km"},
		"text":"the girl is at the karaoke on street 63",
		"contact":{"phone_number":"+85512345678","first_name":"Neighbour","vcard":"BEGIN:VCARD"},
		"forward_origin":{"type":"hidden_user","sender_user_name":"Uncle Sok","date":1},
		"reply_to_message":{"message_id":3,"date":1,"chat":{"id":555000111,"type":"private"},
			"from":{"id":-1001234567890123,"is_bot":true,"first_name":"Tipline","username":"tipline_bot"}}}}`
	got, err := stripIdentity([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"Sreymom", "Chan", "sreymom_pp", "+85512345678", "Neighbour", "VCARD", "Uncle Sok", "tipline_bot", "first_name", "contact"} {
		if strings.Contains(string(got), secret) {
			t.Errorf("the stripped update still holds %q: %s", secret, got)
		}
	}
	var u models.Update
	if err := json.Unmarshal(got, &u); err != nil {
		t.Fatalf("the stripped update does not decode: %v", err)
	}
	m := u.Message
	if u.ID != 9001 || m == nil || m.Chat.ID != 555000111 || m.From.ID != 555000111 || m.From.LanguageCode != "km" ||
		m.Text != "the girl is at the karaoke on street 63" || m.ReplyToMessage == nil || m.ReplyToMessage.From.ID != -1001234567890123 {
		t.Errorf("the stripped update lost what processing reads: %s", got)
	}
	if _, err := stripIdentity([]byte(`{"update_id":`)); err == nil {
		t.Error("a broken update was stripped without an error")
	}
}
