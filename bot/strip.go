package bot

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// identityFields are the fields of a Telegram update that name a person or
// say how to reach them: names, usernames, phone numbers and contact
// cards, of the sender or of anyone the message quotes, forwards or
// mentions. The bot never uses them, and SECURITY.md promises they are
// never stored, not even sealed.
var identityFields = map[string]bool{
	"first_name":          true,
	"last_name":           true,
	"username":            true,
	"usernames":           true,
	"active_usernames":    true,
	"phone_number":        true,
	"vcard":               true,
	"contact":             true,
	"bio":                 true,
	"sender_user_name":    true,
	"forward_sender_name": true,
	"author_signature":    true,
}

// stripIdentity returns the update raw without identityFields, at any
// depth; every other field is kept as it came (numbers digit for digit),
// so processing reads the update as before. It is the one place an update
// loses them: intake strips each update before the inbox seals it, so
// neither the inbox nor the dead letters (a copy of an inbox row) ever
// hold them.
func stripIdentity(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("strip update: %w", err)
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(withoutIdentity(v)); err != nil {
		return nil, fmt.Errorf("strip update: %w", err)
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n")), nil
}

// withoutIdentity removes identityFields from every object within v.
func withoutIdentity(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, inner := range x {
			if identityFields[k] {
				delete(x, k)
				continue
			}
			x[k] = withoutIdentity(inner)
		}
	case []any:
		for i := range x {
			x[i] = withoutIdentity(x[i])
		}
	}
	return v
}
