package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// maxDownload is the Bot API's limit on files a bot may download.
const maxDownload = tipline.MaxDownload

// fetchGiveUp is how many failed downloads of one file the bot makes
// before it gives up on it for good; a file over maxDownload is given up at
// once. Both are kept in the database (AttachmentFetchFailed), so files
// that keep failing never stop the files after them.
const fetchGiveUp = 8

// errTooLarge is a file the Bot API will never let the bot download.
var errTooLarge = errors.New("download: file over 20 MB")

// fetchRetry is how long to wait after the nth failed download of a file:
// 1, 2, 4 … minutes, at most 6 hours.
func fetchRetry(n int) time.Duration {
	return min(time.Minute<<min(max(n-1, 0), 10), 6*time.Hour)
}

func (b *Bot) fetchSoon() {
	select {
	case b.fetchWake <- struct{}{}:
	default:
	}
}

// fetchLoop keeps a copy of every attachment: Telegram's file ids work only
// for this bot and files may vanish from Telegram, so the bytes are fetched
// with getFile and stored encrypted.
func (b *Bot) fetchLoop(ctx context.Context) {
	for {
		b.fetchPending(ctx)
		select {
		case <-ctx.Done():
			return
		case <-b.fetchWake:
		case <-time.After(30 * time.Second):
		}
	}
}

// FetchAttachments fetches the bytes of attachments not stored yet, once.
func (b *Bot) FetchAttachments(ctx context.Context) { b.fetchPending(ctx) }

func (b *Bot) fetchPending(ctx context.Context) {
	pending, err := b.store.AttachmentsToFetch(ctx, 20)
	if err != nil {
		if ctx.Err() == nil {
			b.log.Error("list attachments to fetch", "err", err)
		}
		return
	}
	for _, p := range pending {
		if ctx.Err() != nil {
			return
		}
		if err := b.fetchOne(ctx, p); err != nil {
			b.fetchFailed(ctx, p, err)
		}
	}
}

func (b *Bot) fetchOne(ctx context.Context, p storage.PendingAttachment) error {
	var link string
	err := b.call(ctx, "getFile", func(ctx context.Context) error {
		f, err := b.api.GetFile(ctx, &tgbot.GetFileParams{FileID: p.FileID})
		if err != nil {
			return err
		}
		link = b.api.FileDownloadLink(f)
		return nil
	})
	if tooBig(err) {
		return errTooLarge // Telegram will never hand it over: not retried
	}
	if err != nil {
		return err
	}
	data, err := b.download(ctx, link)
	if err != nil {
		return err
	}
	if err := b.store.SaveAttachmentContent(ctx, p.Reference, p.FileUniqueID, data); err != nil {
		return fmt.Errorf("save attachment: %w", err)
	}
	return nil
}

// tooBig tells getFile's answer for a file over the download limit.
func tooBig(err error) bool {
	return err != nil && strings.Contains(err.Error(), "file is too big")
}

// download fetches a file. The link holds the bot token, so no error from
// here may carry the URL.
func (b *Bot) download(ctx context.Context, link string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return nil, errors.New("download: bad link")
	}
	resp, err := b.cfg.HTTPClient.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("download: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download: status %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxDownload+1))
	if err != nil {
		return nil, fmt.Errorf("download: read: %w", err)
	}
	if len(data) > maxDownload {
		return nil, errTooLarge
	}
	return data, nil
}

// fetchFailed records a failed download in the store: tried again later,
// or given up after fetchGiveUp failures or for a file too large.
func (b *Bot) fetchFailed(ctx context.Context, p storage.PendingAttachment, err error) {
	n := p.Attempts + 1
	retry := fetchRetry(n)
	if n >= fetchGiveUp || errors.Is(err, errTooLarge) {
		retry = 0
	}
	if b.obs != nil {
		b.obs.AttachmentFailed()
	}
	if _, serr := b.store.AttachmentFetchFailed(ctx, p.Reference, p.FileUniqueID, retry); serr != nil {
		b.log.Error("record a failed download", "case", p.Reference, "err", serr)
	}
	if retry == 0 {
		b.log.Error("attachment given up: the reviewer can still ask the reporter for it", "case", p.Reference, "kind", p.Kind, "attempts", n, "err", err)
		return
	}
	b.log.Warn("attachment not fetched; will try again", "case", p.Reference, "kind", p.Kind, "attempts", n, "retry_in", retry, "err", err)
}
