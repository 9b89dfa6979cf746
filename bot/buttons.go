package bot

import (
	"crypto/hmac"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
)

// Button data travels through Telegram and comes back in callback_data,
// which anyone can forge or forward. So each action is signed for the one
// user it was shown to (G9): "ACTION~MAC", where MAC covers the user id and
// the action. Telegram allows 64 bytes.

const (
	buttonSep     = "~"
	buttonMACSize = 9 // 12 base64 characters, 72 bits
	maxButtonData = 64
)

var errBadButton = errors.New("bot: button data does not verify")

// sigLen is the length of an encoded button signature.
var sigLen = base64.RawURLEncoding.EncodedLen(buttonMACSize)

// buttonSigner signs and checks button data.
type buttonSigner interface {
	SignButton(data string, n int) []byte
}

// signButton signs a reporter's button action for one user.
func signButton(k buttonSigner, userID int64, action string) string {
	return signFor(k, "reporter", userID, action)
}

// verifyButton returns the action of signed data pressed by userID.
func verifyButton(k buttonSigner, userID int64, data string) (string, error) {
	return verifyFor(k, "reporter", userID, data)
}

// signFor signs an action for one user in a namespace ("reporter" or
// "reviewer"), so a token of one kind never passes for the other.
func signFor(k buttonSigner, namespace string, userID int64, action string) string {
	mac := k.SignButton(buttonMessage(namespace, userID, action), buttonMACSize)
	s := action + buttonSep + base64.RawURLEncoding.EncodeToString(mac)
	if len(s) > maxButtonData {
		// Actions are constants of ours; one this long is a programming error.
		panic("bot: button action too long: " + action)
	}
	return s
}

func verifyFor(k buttonSigner, namespace string, userID int64, data string) (string, error) {
	i := strings.LastIndex(data, buttonSep)
	if i <= 0 || len(data) > maxButtonData {
		return "", errBadButton
	}
	action, sig := data[:i], data[i+1:]
	if len(sig) != sigLen {
		return "", errBadButton // the decoder would skip \r and \n: signed data must be unique
	}
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || len(mac) != buttonMACSize {
		return "", errBadButton
	}
	if !hmac.Equal(mac, k.SignButton(buttonMessage(namespace, userID, action), buttonMACSize)) {
		return "", errBadButton
	}
	return action, nil
}

func buttonMessage(namespace string, userID int64, action string) string {
	return namespace + ":" + strconv.FormatInt(userID, 10) + ":" + action
}
