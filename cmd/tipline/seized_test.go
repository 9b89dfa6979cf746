package main

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	bin "encoding/binary"
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/storage/storagetest"
)

// TestSeizedServer plays someone who takes the whole server: a pg_dump,
// every Redis key and value, and the root key. With the key they decrypt
// every sealed value they find, without needing to know which column or
// key it came from. They must find no Telegram id of a reporter who
// declined contact, withdrew it, or whose case was closed; the open case
// of a reporter who allows contact shows that the decryption works.
func TestSeizedServer(t *testing.T) {
	e := newOnCallEnv(t, "Primary Pich")
	e.startOnCall()
	rv := e.reviewers[0]

	declined := e.reporter(7_300_200_001, "km")
	declined.fileTipSending(canaryAnswers("declined"), "send:anon")

	withdrew := e.reporter(7_300_200_002, "th")
	wref := withdrew.fileTipSending(canaryAnswers("withdrew"), "send:contact")
	e.emu.SendText(withdrew.User, "/start")
	withdrew.press("menu:mine")
	withdrew.press("nocontact:" + string(wref))
	withdrew.MarkSeen()

	closed := e.reporter(7_300_200_003, "en")
	cref := closed.fileTipSending(canaryAnswers("closed"), "send:contact")
	rv.take(cref)
	rv.closeAs(cref, tipline.OutcomeNoAction)
	rv.waitText(regexp.MustCompile(`closed: No action needed`))

	open := e.reporter(7_300_200_004, "en")
	open.fileTipSending(canaryAnswers("open"), "send:contact")

	// Someone opens the declined reporter's case with its follow-up code.
	declined.Seen = 0
	code := codeRE.FindString(declined.waitText(codeRE).Text)
	holder := e.reporter(7_300_200_005, "en")
	e.emu.SendText(holder.User, "/status")
	holder.expect("menu")
	holder.MarkSeen()
	e.emu.SendText(holder.User, code)
	holder.waitButton("menu")
	waitInboxDone(t, e.testEnv)
	e.settle()

	// No log line links a reporter's pseudonym to a case: such a line
	// outlives /forget and the case.
	for _, line := range strings.Split(e.logs.String(), "\n") {
		if !referenceRE.MatchString(line) {
			continue
		}
		for _, r := range []*reporter{declined, withdrew, closed, open, holder} {
			for _, p := range e.ring.Pseudonyms(r.User.ID) {
				if strings.Contains(line, p) {
					t.Errorf("a log line names a case and a reporter's pseudonym: %s", line)
				}
			}
		}
	}

	dump := storagetest.DumpSchema(t, e.schema)
	redisAll := e.redisEverything()
	plain := decryptEverything(t, e.key, dump+"\n"+redisAll)
	seized := dump + "\n" + redisAll + "\n" + plain

	if !containsID(plain, open.User.ID) {
		t.Fatalf("the decryptor found not even the chat id of a reporter who allows contact: the test proves nothing")
	}
	for name, r := range map[string]*reporter{"declined contact": declined, "withdrew contact": withdrew, "case closed": closed} {
		if containsID(seized, r.User.ID) {
			t.Errorf("a seized server with its key gives the Telegram id of a reporter whose %s", name)
		}
	}
}

// containsID tells whether s holds a Telegram id in decimal or as 8 bytes.
func containsID(s string, id int64) bool {
	var be, le [8]byte
	bin.BigEndian.PutUint64(be[:], uint64(id))
	bin.LittleEndian.PutUint64(le[:], uint64(id))
	return strings.Contains(s, strconv.FormatInt(id, 10)) || strings.Contains(s, string(be[:])) || strings.Contains(s, string(le[:]))
}

var (
	hexBlob    = regexp.MustCompile(`\\x([0-9a-f]{58,})`)
	base64Blob = regexp.MustCompile(`[A-Za-z0-9+/_-]{40,}={0,2}`)
)

// decryptEverything finds every blob in the seized text that could be a
// sealed value (bytea as pg_dump writes it, base64 in Redis) and decrypts it
// with the content key derived from the root key. AES-GCM is counter mode:
// with the key and the nonce stored beside the ciphertext, the plaintext
// comes out without the additional data that binds it to its row, which
// an attacker would not know. It returns every plaintext, one a line.
func decryptEverything(t *testing.T, rootKey, seized string) string {
	t.Helper()
	root, err := keys.ParseRootKey(rootKey)
	if err != nil {
		t.Fatal(err)
	}
	contentKey, err := hkdf.Key(sha256.New, root, nil, keys.PurposeContent, 32)
	if err != nil {
		t.Fatal(err)
	}
	block, err := aes.NewCipher(contentKey)
	if err != nil {
		t.Fatal(err)
	}
	var blobs [][]byte
	for _, m := range hexBlob.FindAllStringSubmatch(seized, -1) {
		if b, err := hex.DecodeString(m[1]); err == nil {
			blobs = append(blobs, b)
		}
	}
	for _, m := range base64Blob.FindAllString(seized, -1) {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(m); err == nil {
				blobs = append(blobs, b)
				break
			}
		}
	}
	blobs = append(blobs, []byte(seized)) // raw bytes, as Redis may hold them
	var out strings.Builder
	for _, b := range blobs {
		// Sealed values may sit anywhere in a blob (a raw Redis value holds
		// several): try every place that starts like one.
		for i := 0; i+5+12+16 <= len(b); i++ {
			if b[i] != 1 {
				continue
			}
			out.Write(ctrOpen(block, b[i+5:]))
			out.WriteByte('\n')
		}
	}
	return out.String()
}

// ctrOpen decrypts a GCM nonce+ciphertext (tag included, and decrypted into
// noise) as counter mode from counter 2, as GCM encrypts.
func ctrOpen(block cipher.Block, sealed []byte) []byte {
	nonce, ct := sealed[:12], sealed[12:]
	iv := make([]byte, 16)
	copy(iv, nonce)
	bin.BigEndian.PutUint32(iv[12:], 2)
	out := make([]byte, len(ct))
	cipher.NewCTR(block, iv).XORKeyStream(out, ct)
	return bytes.Clone(out)
}
