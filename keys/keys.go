// Package keys derives every secret Tipline uses from one root key
// (TIPLINE_SECRET_KEY): a subkey per purpose, derived with HKDF, so that a
// key for signing buttons can never decrypt a report. It seals data with
// AES-256-GCM, tagging each ciphertext with the id of the key that made it,
// so keys can rotate while old data stays readable.
package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"sync"

	"golang.org/x/crypto/argon2"
)

// Purposes of derived subkeys. Each is an HKDF "info" string.
const (
	PurposeContent   = "tipline/content/v1"
	PurposePseudonym = "tipline/pseudonym/v1"
	PurposeButtons   = "tipline/buttons/v1"
	PurposeFollowUp  = "tipline/followup/v1"
	// PurposeContentHash keys the hash by which a case's identical
	// attachment contents are stored once.
	PurposeContentHash = "tipline/content-hash/v1"
)

// RootKeySize is the size of TIPLINE_SECRET_KEY once decoded.
const RootKeySize = 32

// version of the sealed format: 1 byte version, 4 bytes key id, 12 bytes nonce, ciphertext.
const sealVersion = 1

// ErrUndecryptable means a ciphertext was made with a key we no longer
// have, or was changed.
var ErrUndecryptable = errors.New("keys: cannot decrypt: unknown key or damaged data")

type rootKey struct {
	id      uint32
	content cipher.AEAD
	pseudo  *macKey
	buttons *macKey
	follow  []byte
	hash    []byte
}

// Ring holds the current root key and any previous ones still needed to read
// old data.
type Ring struct {
	current  *rootKey
	previous map[uint32]*rootKey
}

// ParseRootKey decodes a base64 root key (standard or URL alphabet, padded or not).
func ParseRootKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != RootKeySize {
				return nil, fmt.Errorf("must be %d bytes once decoded, got %d", RootKeySize, len(b))
			}
			return b, nil
		}
	}
	return nil, errors.New("must be base64 (for example: openssl rand -base64 32)")
}

// NewRing builds a ring from the current root key and previous ones.
func NewRing(current []byte, previous ...[]byte) (*Ring, error) {
	cur, err := derive(current)
	if err != nil {
		return nil, err
	}
	r := &Ring{current: cur, previous: map[uint32]*rootKey{}}
	for _, p := range previous {
		k, err := derive(p)
		if err != nil {
			return nil, err
		}
		if k.id != cur.id {
			r.previous[k.id] = k
		}
	}
	return r, nil
}

// NewRandomRing returns a ring with a fresh random key. The sandbox uses it;
// data sealed with it is unreadable once the process ends.
func NewRandomRing() *Ring {
	b := make([]byte, RootKeySize)
	if _, err := rand.Read(b); err != nil {
		panic("keys: crypto/rand failed: " + err.Error())
	}
	r, err := NewRing(b)
	if err != nil {
		panic(err)
	}
	return r
}

func derive(root []byte) (*rootKey, error) {
	if len(root) != RootKeySize {
		return nil, fmt.Errorf("keys: root key must be %d bytes, got %d", RootKeySize, len(root))
	}
	sub := func(purpose string) []byte {
		k, err := hkdf.Key(sha256.New, root, nil, purpose, 32)
		if err != nil {
			panic("keys: hkdf: " + err.Error()) // only fails for an impossible length
		}
		return k
	}
	idKey := sub("tipline/key-id/v1")
	block, err := aes.NewCipher(sub(PurposeContent))
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	return &rootKey{
		id:      binary.BigEndian.Uint32(idKey[:4]),
		content: aead,
		pseudo:  newMACKey(sub(PurposePseudonym)),
		buttons: newMACKey(sub(PurposeButtons)),
		follow:  sub(PurposeFollowUp),
		hash:    sub(PurposeContentHash),
	}, nil
}

// KeyID is the id of the current key, as stored in front of each ciphertext.
func (r *Ring) KeyID() uint32 { return r.current.id }

// Seal encrypts plaintext under the current key. aad binds the ciphertext to
// its place (for example "case:TL-7K3Q-9XDM:answers"), so a ciphertext
// copied to another row does not decrypt.
func (r *Ring) Seal(plaintext []byte, aad string) []byte {
	k := r.current
	out := make([]byte, 5, 5+k.content.NonceSize()+len(plaintext)+k.content.Overhead())
	out[0] = sealVersion
	binary.BigEndian.PutUint32(out[1:5], k.id)
	nonce := make([]byte, k.content.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic("keys: crypto/rand failed: " + err.Error())
	}
	out = append(out, nonce...)
	return k.content.Seal(out, nonce, plaintext, []byte(aad))
}

// Open decrypts what Seal made, with the current or a previous key.
func (r *Ring) Open(sealed []byte, aad string) ([]byte, error) {
	id, ok := SealedKeyID(sealed)
	if !ok {
		return nil, ErrUndecryptable
	}
	k := r.current
	if id != k.id {
		if k = r.previous[id]; k == nil {
			return nil, ErrUndecryptable
		}
	}
	ns := k.content.NonceSize()
	if len(sealed) < 5+ns+k.content.Overhead() {
		return nil, ErrUndecryptable
	}
	pt, err := k.content.Open(nil, sealed[5:5+ns], sealed[5+ns:], []byte(aad))
	if err != nil {
		return nil, ErrUndecryptable
	}
	return pt, nil
}

// IsCurrent tells whether a ciphertext was sealed with the current key.
func (r *Ring) IsCurrent(sealed []byte) bool {
	id, ok := SealedKeyID(sealed)
	return ok && id == r.current.id
}

// Reseal opens what Seal made under any key of the ring and seals it again
// under the current key, with the same additional data. A ciphertext
// already under the current key is returned as it is, not opened, with
// changed false.
func (r *Ring) Reseal(sealed []byte, aad string) (out []byte, changed bool, err error) {
	if r.IsCurrent(sealed) {
		return sealed, false, nil
	}
	plain, err := r.Open(sealed, aad)
	if err != nil {
		return nil, false, err
	}
	return r.Seal(plain, aad), true, nil
}

// SealedKeyID tells which key sealed a ciphertext.
func SealedKeyID(sealed []byte) (uint32, bool) {
	if len(sealed) < 5 || sealed[0] != sealVersion {
		return 0, false
	}
	return binary.BigEndian.Uint32(sealed[1:5]), true
}

// Pseudonym returns the keyed pseudonym of a Telegram user: the same user
// always maps to the same value, and the value cannot be turned back into
// the id without the key.
func (r *Ring) Pseudonym(userID int64) string {
	return r.mac(r.current.pseudo, "user:"+strconv.FormatInt(userID, 10), 16)
}

// Pseudonyms returns the user's pseudonym under the current key, first,
// then under each previous key: what was stored for the user before a key
// rotation, until it is re-keyed.
func (r *Ring) Pseudonyms(userID int64) []string {
	msg := "user:" + strconv.FormatInt(userID, 10)
	out := []string{r.mac(r.current.pseudo, msg, 16)}
	for _, k := range r.previous {
		out = append(out, r.mac(k.pseudo, msg, 16))
	}
	return out
}

// ReviewerKeys returns the keyed lookup value of a reviewer's Telegram id
// under the current key, first, then under each previous key. It is not
// the user's pseudonym as a reporter (Pseudonym): a reviewer who once
// reported, or a dump read beside the logs, must not link the two.
func (r *Ring) ReviewerKeys(userID int64) []string {
	msg := "reviewer:" + strconv.FormatInt(userID, 10)
	out := []string{r.mac(r.current.pseudo, msg, 16)}
	for _, k := range r.previous {
		out = append(out, r.mac(k.pseudo, msg, 16))
	}
	return out
}

// ContentHashes returns the keyed hash of an attachment's content under the
// current key, first, then under each previous key. Keyed, so that a dump
// does not tell whether a known photo is in it; the store keeps identical
// contents of a case once.
func (r *Ring) ContentHashes(content []byte) [][]byte {
	sum := func(k []byte) []byte {
		m := hmac.New(sha256.New, k)
		m.Write(content)
		return m.Sum(nil)
	}
	out := [][]byte{sum(r.current.hash)}
	for _, k := range r.previous {
		out = append(out, sum(k.hash))
	}
	return out
}

// ChatKey returns the keyed name of a chat, used to key sessions and the
// inbox without storing the chat id in clear.
func (r *Ring) ChatKey(chatID int64) string {
	return r.mac(r.current.pseudo, "chat:"+strconv.FormatInt(chatID, 10), 16)
}

// GroupKey returns the keyed name of one album (Telegram's media_group_id)
// in a chat, so the inbox can tell an album's parts apart without keeping
// Telegram's id.
func (r *Ring) GroupKey(chatID int64, mediaGroupID string) string {
	return r.mac(r.current.pseudo, "group:"+strconv.FormatInt(chatID, 10)+":"+mediaGroupID, 16)
}

// SignButton returns a short MAC over button data, for callback_data.
func (r *Ring) SignButton(data string, n int) []byte {
	return r.current.buttons.sum(data)[:n]
}

// FollowUpKey is the subkey for hashing follow-up codes.
func (r *Ring) FollowUpKey() []byte { return r.current.follow }

func (r *Ring) mac(key *macKey, msg string, n int) string {
	return hex.EncodeToString(key.sum(msg)[:n])
}

// macKey is an HMAC-SHA256 key with its keyed hashes kept for reuse: a
// hash is keyed once, not at every pseudonym, chat key and button of every
// update.
type macKey struct {
	key  []byte
	pool sync.Pool // of *keyedHash
}

// keyedHash is a keyed hash and room for a message to it.
type keyedHash struct {
	h   hash.Hash
	msg []byte
}

func newMACKey(key []byte) *macKey {
	return &macKey{key: key, pool: sync.Pool{New: func() any { return &keyedHash{h: hmac.New(sha256.New, key)} }}}
}

// sum is the HMAC of msg.
func (k *macKey) sum(msg string) []byte {
	m := k.pool.Get().(*keyedHash)
	m.h.Reset()
	m.msg = append(m.msg[:0], msg...)
	m.h.Write(m.msg)
	out := m.h.Sum(make([]byte, 0, sha256.Size))
	k.pool.Put(m)
	return out
}

// Argon2id parameters for follow-up codes: OWASP's minimum for Argon2id
// (19 MiB, two passes). A code has 16 random digits (53 bits); the slow hash
// makes guessing from a stolen database expensive, and the salt, derived
// from the secret key, makes it impossible without the key.
const (
	followUpTime    = 2
	followUpMemory  = 19 * 1024 // KiB
	followUpThreads = 1
	followUpLen     = 32
)

// FollowUpHash is the slow hash of a follow-up code under the current key:
// the only form in which a code is stored.
func (r *Ring) FollowUpHash(code string) []byte {
	return followUpHash(r.current, code)
}

// FollowUpHashes are the code's hashes under the current and every previous
// key, to find cases filed before a key rotation. Only the hash of a code is
// stored, so re-keying cannot bring it under a new key: a code given before
// a rotation works only while the key it was given under stays among the
// previous keys (TIPLINE_PREVIOUS_SECRET_KEYS), and stops working once that
// key is removed.
func (r *Ring) FollowUpHashes(code string) [][]byte {
	out := [][]byte{followUpHash(r.current, code)}
	for _, k := range r.previous {
		out = append(out, followUpHash(k, code))
	}
	return out
}

func followUpHash(k *rootKey, code string) []byte {
	m := hmac.New(sha256.New, k.follow)
	m.Write([]byte("salt"))
	salt := m.Sum(nil)[:16]
	return argon2.IDKey([]byte(code), salt, followUpTime, followUpMemory, followUpThreads, followUpLen)
}
