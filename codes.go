package tipline

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"regexp"
	"strings"
)

// The secrets Tipline hands out, made and recognised in one place.

// FollowUpCodeDigits is how long a reporter's secret follow-up code is:
// digits only, so it can be read, typed and written down on any phone.
const FollowUpCodeDigits = 16

// NewFollowUpCode returns a follow-up code: FollowUpCodeDigits uniformly
// random digits. Only a slow hash of it is stored.
func NewFollowUpCode() string {
	out := make([]byte, 0, FollowUpCodeDigits)
	var b [1]byte
	for len(out) < FollowUpCodeDigits {
		if _, err := rand.Read(b[:]); err != nil {
			panic("tipline: crypto/rand failed: " + err.Error())
		}
		if b[0] >= 250 { // 250 = 25*10: no modulo bias
			continue
		}
		out = append(out, '0'+b[0]%10)
	}
	return string(out)
}

// inviteRE is what a reviewer invite code looks like.
var inviteRE = regexp.MustCompile(`^TLR-[A-Z2-7]{16}$`)

// NewInviteCode returns a one-time reviewer invite code: TLR- and 16
// characters that survive being read aloud or typed.
func NewInviteCode() string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic("tipline: crypto/rand failed: " + err.Error())
	}
	return "TLR-" + base32.StdEncoding.EncodeToString(b)
}

// ParseInviteCode returns the invite code s holds, however it was typed
// (case, spaces around it), and whether it is one.
func ParseInviteCode(s string) (string, bool) {
	code := strings.ToUpper(strings.TrimSpace(s))
	return code, inviteRE.MatchString(code)
}

// InviteHash is how an invite code is stored: only its hash.
func InviteHash(code string) []byte {
	h := sha256.Sum256([]byte(strings.ToUpper(strings.TrimSpace(code))))
	return h[:]
}
