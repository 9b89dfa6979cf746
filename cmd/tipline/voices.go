package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/postgres"
	"github.com/tipline/tipline/voices"
)

// voicesManifest is the manifest of `tipline voices export`: every
// recording with its file, the hash of the text it reads, and the bot it
// was recorded with (a file id works only for the bot that made it).
type voicesManifest struct {
	Version    int                  `json:"version"`
	BotID      int64                `json:"bot_id"`
	Exported   time.Time            `json:"exported"`
	Recordings []voicesManifestItem `json:"recordings"`
}

type voicesManifestItem struct {
	Key        string    `json:"key"`
	Lang       string    `json:"lang"`
	File       string    `json:"file"` // relative to the manifest
	SHA256     string    `json:"sha256"`
	FileID     string    `json:"file_id"`
	Duration   int       `json:"duration"`
	TextHash   string    `json:"text_hash"`
	RecordedAt time.Time `json:"recorded_at"`
}

const voicesManifestName = "manifest.json"

// voices is `tipline voices [export DIR | import DIR]`.
func (m *Main) voices(ctx context.Context, args []string) error {
	const about = `Without arguments, lists per language how many prompts are recorded,
stale (the text changed since) or missing. "export DIR" writes every
recording (fetched through the Bot API) and a manifest with the text
hashes to DIR; "import DIR" stores them here. Needs DATABASE_URL and
TIPLINE_SECRET_KEY; export and import need TELEGRAM_BOT_TOKEN too.`
	rest, err := m.operands("voices", about, args)
	if err != nil {
		return err
	}
	switch {
	case len(rest) == 0:
		return m.voicesCoverage(ctx)
	case len(rest) == 2 && rest[0] == "export":
		return m.voicesExport(ctx, rest[1])
	case len(rest) == 2 && rest[0] == "import":
		return m.voicesImport(ctx, rest[1])
	}
	return errors.New("usage: tipline voices [export DIR | import DIR] (see tipline voices -h)")
}

// voicesCoverage prints each language's counts, then the stale prompts
// and the missing ones by name.
func (m *Main) voicesCoverage(ctx context.Context) error {
	db, _, err := m.openAdminStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	recs, err := db.VoicePrompts(ctx, "")
	if err != nil {
		return err
	}
	cat := locales.MustLoad()
	for _, l := range tipline.Languages {
		es := voices.Coverage(cat, l, recs)
		c := voices.Count(es)
		fmt.Fprintf(m.Stdout, "%s  %d recorded  %d stale  %d missing\n", l, c.Recorded, c.Stale, c.Missing)
		var missing []string
		for _, e := range es {
			switch e.Status {
			case voices.Stale:
				fmt.Fprintf(m.Stdout, "    stale    %s (the text changed: record it again with /record)\n", e.Key)
			case voices.Missing:
				missing = append(missing, e.Key)
			}
		}
		if len(missing) > 0 {
			fmt.Fprintf(m.Stdout, "    missing  %s\n", strings.Join(missing, " "))
		}
	}
	return nil
}

// voicesAPI opens the Bot API for export and import.
func (m *Main) voicesAPI(ctx context.Context) (*postgres.Store, *tgbot.Bot, int64, error) {
	cfg, err := loadConfig(m.Getenv, need{token: true, database: true, key: true})
	if err != nil {
		return nil, nil, 0, err
	}
	db, _, err := m.openAdminStore(ctx)
	if err != nil {
		return nil, nil, 0, err
	}
	api, err := tgbot.New(cfg.BotToken, tgbot.WithServerURL(cfg.APIURL), tgbot.WithSkipGetMe())
	if err != nil {
		db.Close()
		return nil, nil, 0, fmt.Errorf("TELEGRAM_BOT_TOKEN: %w", err)
	}
	me, err := api.GetMe(ctx)
	if err != nil {
		db.Close()
		return nil, nil, 0, errors.New("voices: Telegram's getMe failed: check TELEGRAM_BOT_TOKEN")
	}
	return db, api, me.ID, nil
}

// voicesExport writes every recording and the manifest to dir.
func (m *Main) voicesExport(ctx context.Context, dir string) error {
	db, api, botID, err := m.voicesAPI(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	recs, err := db.VoicePrompts(ctx, "")
	if err != nil {
		return err
	}
	// The directory is made here, as the README's `voices export /root/voices/` expects.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("voices export: %w", err)
	}
	man := voicesManifest{Version: 1, BotID: botID, Exported: time.Now().UTC()}
	for _, r := range recs {
		data, err := downloadFile(ctx, api, r.FileID)
		if err != nil {
			return fmt.Errorf("voices export %s/%s: %w", r.Lang, r.Key, err)
		}
		rel := filepath.Join(r.Lang, r.Key+".ogg")
		if err := os.MkdirAll(filepath.Join(dir, r.Lang), 0o755); err != nil {
			return fmt.Errorf("voices export: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, rel), data, 0o644); err != nil {
			return fmt.Errorf("voices export: %w", err)
		}
		sum := sha256.Sum256(data)
		man.Recordings = append(man.Recordings, voicesManifestItem{
			Key: r.Key, Lang: r.Lang, File: filepath.ToSlash(rel), SHA256: hex.EncodeToString(sum[:]),
			FileID: r.FileID, Duration: r.Duration, TextHash: r.TextHash, RecordedAt: r.RecordedAt.UTC(),
		})
	}
	js, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, voicesManifestName), append(js, '\n'), 0o644); err != nil {
		return fmt.Errorf("voices export: %w", err)
	}
	fmt.Fprintf(m.Stdout, "Exported %d recordings to %s.\n", len(man.Recordings), dir)
	return nil
}

// downloadFile fetches a file through getFile and the Bot API's file link.
func downloadFile(ctx context.Context, api *tgbot.Bot, fileID string) ([]byte, error) {
	f, err := api.GetFile(ctx, &tgbot.GetFileParams{FileID: fileID})
	if err != nil {
		return nil, fmt.Errorf("getFile: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, api.FileDownloadLink(f), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, errors.New("download failed") // the error would carry the token in the URL
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download: HTTP %d", resp.StatusCode)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 20<<20))
}

// voicesImport stores the recordings of an export. A file id is kept
// when the export comes from this same bot (Telegram's file ids belong to
// the bot that received the file); from another bot, each file is
// uploaded again, as a voice message to the first active admin's chat
// (a bot can upload in no other way), its new file id kept and the
// message deleted. Each keeps the text hash of its export: a recording of
// a text this deployment words differently is stale here.
func (m *Main) voicesImport(ctx context.Context, dir string) error {
	raw, err := os.ReadFile(filepath.Join(dir, voicesManifestName))
	if err != nil {
		return fmt.Errorf("voices import: %w", err)
	}
	var man voicesManifest
	if err := json.Unmarshal(raw, &man); err != nil || man.Version != 1 {
		return fmt.Errorf("voices import: %s is not a manifest of tipline voices export", voicesManifestName)
	}
	db, api, botID, err := m.voicesAPI(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	var uploadTo int64
	if man.BotID != botID {
		if uploadTo, err = firstAdminChat(ctx, db); err != nil {
			return err
		}
	}
	uploaded := 0
	for _, it := range man.Recordings {
		if !voices.IsPrompt(it.Key) || !slices.Contains(tipline.Languages, it.Lang) {
			fmt.Fprintf(m.Stderr, "skipped %s/%s: not a prompt of this version\n", it.Lang, it.Key)
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(it.File)))
		if err != nil {
			return fmt.Errorf("voices import: %w", err)
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != it.SHA256 {
			return fmt.Errorf("voices import: %s does not match its checksum in the manifest", it.File)
		}
		fileID := it.FileID
		if uploadTo != 0 {
			if fileID, err = uploadVoice(ctx, api, uploadTo, it, data); err != nil {
				return fmt.Errorf("voices import %s/%s: %w", it.Lang, it.Key, err)
			}
			uploaded++
		}
		v := storage.VoicePrompt{Key: it.Key, Lang: it.Lang, FileID: fileID, Duration: it.Duration, RecordedAt: it.RecordedAt, TextHash: it.TextHash}
		if err := db.SaveVoicePrompt(ctx, v, "operator", storage.ActionVoiceImported); err != nil {
			return err
		}
	}
	fmt.Fprintf(m.Stdout, "Imported %d recordings (%d uploaded again: they came from another bot).\n", len(man.Recordings), uploaded)
	return m.voicesCoverage(ctx)
}

// firstAdminChat is the chat a re-uploaded recording goes through.
func firstAdminChat(ctx context.Context, db *postgres.Store) (int64, error) {
	all, err := db.Reviewers(ctx)
	if err != nil {
		return 0, err
	}
	for _, r := range all {
		if r.Admin && r.Active && r.TelegramID != 0 {
			return r.TelegramID, nil
		}
	}
	return 0, errors.New("voices import: these recordings come from another bot and must be uploaded again through an admin's chat; register an admin first (tipline reviewers invite --admin)")
}

// uploadVoice sends a recording to chatID as a voice message, takes its
// new file id and deletes the message.
func uploadVoice(ctx context.Context, api *tgbot.Bot, chatID int64, it voicesManifestItem, data []byte) (string, error) {
	msg, err := api.SendVoice(ctx, &tgbot.SendVoiceParams{
		ChatID: chatID, Duration: it.Duration,
		Voice: &models.InputFileUpload{Filename: it.Key + ".ogg", Data: bytes.NewReader(data)},
	})
	if err != nil {
		return "", fmt.Errorf("sendVoice: %w", err)
	}
	if msg.Voice == nil {
		return "", errors.New("sendVoice: Telegram did not take it as a voice message")
	}
	if _, err := api.DeleteMessage(ctx, &tgbot.DeleteMessageParams{ChatID: chatID, MessageID: msg.ID}); err != nil {
		return "", fmt.Errorf("deleteMessage: %w", err)
	}
	return msg.Voice.FileID, nil
}
