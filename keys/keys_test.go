package keys

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"sync"
	"testing"
)

func root(t *testing.T) []byte {
	t.Helper()
	b := make([]byte, RootKeySize)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSealOpen(t *testing.T) {
	r, err := NewRing(root(t))
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("ក្មេងស្រី is in danger")
	sealed := r.Seal(msg, "cases/d1/answers")
	if bytes.Contains(sealed, msg[:6]) {
		t.Fatal("plaintext visible in the ciphertext")
	}
	got, err := r.Open(sealed, "cases/d1/answers")
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("open = %q, %v", got, err)
	}
	if _, err := r.Open(sealed, "cases/d2/answers"); !errors.Is(err, ErrUndecryptable) {
		t.Errorf("opened under another row's AAD: %v", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := r.Open(sealed, "cases/d1/answers"); !errors.Is(err, ErrUndecryptable) {
		t.Errorf("opened a changed ciphertext: %v", err)
	}
	if _, err := r.Open([]byte{1, 2}, ""); !errors.Is(err, ErrUndecryptable) {
		t.Errorf("short input: %v", err)
	}
}

func TestRotation(t *testing.T) {
	oldKey, newKey := root(t), root(t)
	oldRing, _ := NewRing(oldKey)
	sealed := oldRing.Seal([]byte("report"), "a")
	if id, _ := SealedKeyID(sealed); id != oldRing.KeyID() {
		t.Fatalf("ciphertext tagged %x, want key %x", id, oldRing.KeyID())
	}
	rotated, _ := NewRing(newKey, oldKey)
	if got, err := rotated.Open(sealed, "a"); err != nil || string(got) != "report" {
		t.Fatalf("old data after rotation: %q, %v", got, err)
	}
	if id, _ := SealedKeyID(rotated.Seal([]byte("x"), "a")); id != rotated.KeyID() || id == oldRing.KeyID() {
		t.Error("new data not sealed under the new key")
	}
	withoutOld, _ := NewRing(newKey)
	if _, err := withoutOld.Open(sealed, "a"); !errors.Is(err, ErrUndecryptable) {
		t.Errorf("old data opened without the old key: %v", err)
	}
}

func TestSubkeysAreSeparate(t *testing.T) {
	k := root(t)
	r, _ := NewRing(k)
	r2, _ := NewRing(k)
	if r.Pseudonym(42) != r2.Pseudonym(42) {
		t.Error("pseudonym not stable for the same key")
	}
	if r.Pseudonym(42) == r.Pseudonym(43) || r.Pseudonym(42) == r.ChatKey(42) {
		t.Error("pseudonyms collide")
	}
	other, _ := NewRing(root(t))
	if r.Pseudonym(42) == other.Pseudonym(42) {
		t.Error("pseudonym does not depend on the key")
	}
	if bytes.Equal(r.SignButton("x", 9), r.FollowUpKey()[:9]) || bytes.Equal(r.FollowUpKey(), r.current.pseudo.key) {
		t.Error("subkeys not separate")
	}
}

func TestParseRootKey(t *testing.T) {
	k := root(t)
	for _, s := range []string{base64.StdEncoding.EncodeToString(k), base64.RawURLEncoding.EncodeToString(k)} {
		got, err := ParseRootKey(s)
		if err != nil || !bytes.Equal(got, k) {
			t.Errorf("ParseRootKey(%q) = %v", s, err)
		}
	}
	for _, bad := range []string{"", "not base64!", base64.StdEncoding.EncodeToString(k[:16])} {
		if _, err := ParseRootKey(bad); err == nil {
			t.Errorf("ParseRootKey(%q) accepted", bad)
		}
	}
}

func TestFollowUpHash(t *testing.T) {
	oldKey, newKey := root(t), root(t)
	old, _ := NewRing(oldKey)
	h := old.FollowUpHash("1234567812345678")
	if bytes.Contains(h, []byte("1234567812345678")) || len(h) != 32 {
		t.Fatal("hash holds the code")
	}
	if !bytes.Equal(h, old.FollowUpHash("1234567812345678")) {
		t.Fatal("hash not deterministic: codes could not be looked up")
	}
	if bytes.Equal(h, old.FollowUpHash("1234567812345679")) {
		t.Fatal("different codes, same hash")
	}
	rotated, _ := NewRing(newKey, oldKey)
	found := false
	for _, x := range rotated.FollowUpHashes("1234567812345678") {
		found = found || bytes.Equal(x, h)
	}
	if !found {
		t.Error("a code from before a key rotation no longer opens its case")
	}
}

// TestMACReused: a keyed hash kept for reuse gives the HMAC of a fresh
// one, however often and from however many goroutines it is used.
func TestMACReused(t *testing.T) {
	r, err := NewRing(root(t))
	if err != nil {
		t.Fatal(err)
	}
	fresh := func(key []byte, msg string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(msg))
		return m.Sum(nil)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				id := int64(g*1000 + i)
				if got, want := r.Pseudonym(id), hex.EncodeToString(fresh(r.current.pseudo.key, "user:"+strconv.FormatInt(id, 10))[:16]); got != want {
					t.Errorf("Pseudonym(%d) = %s, want %s", id, got, want)
				}
				if got, want := r.ChatKey(id), hex.EncodeToString(fresh(r.current.pseudo.key, "chat:"+strconv.FormatInt(id, 10))[:16]); got != want {
					t.Errorf("ChatKey(%d) = %s, want %s", id, got, want)
				}
				data := "reporter:" + strconv.FormatInt(id, 10) + ":menu"
				if got, want := r.SignButton(data, 9), fresh(r.current.buttons.key, data)[:9]; !bytes.Equal(got, want) {
					t.Errorf("SignButton(%q) = %x, want %x", data, got, want)
				}
			}
		})
	}
	wg.Wait()
}
