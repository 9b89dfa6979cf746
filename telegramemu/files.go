package telegramemu

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/gif"  // photos may be GIF
	_ "image/jpeg" // photos are mostly JPEG
	_ "image/png"  // or PNG
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/go-telegram/bot/models"
)

// maxDownloadBytes is the largest file getFile lets a bot download.
const maxDownloadBytes = 20 << 20

// fileKind is what a stored file is used as.
type fileKind string

const (
	kindPhoto    fileKind = "photo"
	kindVoice    fileKind = "voice"
	kindVideo    fileKind = "video"
	kindDocument fileKind = "document"
	kindSticker  fileKind = "sticker"
)

// storedFile is a file on the emulated Telegram servers.
type storedFile struct {
	id       string
	uniqueID string
	kind     fileKind
	path     string
	name     string
	mimeType string
	data     []byte // nil for a file sent by URL, which is never fetched
	width    int
	height   int
	sizes    []*storedFile // for a photo: all its sizes, smallest first
}

// filePrefixes start the ids of each kind, as Telegram's ids do.
var filePrefixes = map[fileKind]string{
	kindPhoto: "AgACAgIAAxkBAAI", kindVoice: "AwACAgIAAxkBAAI", kindVideo: "BAACAgIAAxkBAAI",
	kindDocument: "BQACAgIAAxkBAAI", kindSticker: "CAACAgIAAxkBAAI",
}

var fileDirs = map[fileKind]string{
	kindPhoto: "photos", kindVoice: "voice", kindVideo: "videos", kindDocument: "documents", kindSticker: "stickers",
}

var fileExts = map[fileKind]string{
	kindPhoto: ".jpg", kindVoice: ".oga", kindVideo: ".mp4", kindDocument: "", kindSticker: ".webp",
}

// newFileLocked stores data as a new file.
func (s *Server) newFileLocked(kind fileKind, name string, data []byte) *storedFile {
	s.fileSeq++
	n := s.fileSeq
	ext := fileExts[kind]
	if kind == kindDocument {
		ext = path.Ext(name)
	}
	f := &storedFile{
		id:       fmt.Sprintf("%s%06dAAQ", filePrefixes[kind], n),
		uniqueID: fmt.Sprintf("AQADAg%06d", n),
		kind:     kind,
		path:     fmt.Sprintf("%s/file_%d%s", fileDirs[kind], n, ext),
		name:     name,
		data:     data,
	}
	switch kind {
	case kindVoice:
		f.mimeType = "audio/ogg"
	case kindVideo:
		f.mimeType = "video/mp4"
	case kindDocument:
		f.mimeType = mime.TypeByExtension(ext)
		if f.mimeType == "" && data != nil {
			f.mimeType = http.DetectContentType(data)
		}
		if f.mimeType == "" {
			f.mimeType = "application/octet-stream"
		}
	}
	s.files[f.id] = f
	s.filePaths[f.path] = f
	return f
}

// newPhotoLocked stores a photo in two sizes, as Telegram keeps a thumbnail
// beside the original. Both sizes hold the original bytes.
func (s *Server) newPhotoLocked(data []byte, width, height int) *storedFile {
	thumbW, thumbH := scaleTo(width, height, 90)
	thumb := s.newFileLocked(kindPhoto, "", data)
	thumb.width, thumb.height = thumbW, thumbH
	full := s.newFileLocked(kindPhoto, "", data)
	full.width, full.height = width, height
	sizes := []*storedFile{thumb, full}
	thumb.sizes, full.sizes = sizes, sizes
	return full
}

func scaleTo(w, h, box int) (int, int) {
	if w <= box && h <= box {
		return w, h
	}
	if w >= h {
		return box, max(1, h*box/max(w, 1))
	}
	return max(1, w*box/max(h, 1)), box
}

// photoSizes renders a photo's sizes for a message.
func photoSizes(f *storedFile) []models.PhotoSize {
	sizes := f.sizes
	if len(sizes) == 0 {
		sizes = []*storedFile{f}
	}
	out := make([]models.PhotoSize, 0, len(sizes))
	for _, p := range sizes {
		out = append(out, models.PhotoSize{FileID: p.id, FileUniqueID: p.uniqueID, Width: p.width, Height: p.height, FileSize: len(p.data)})
	}
	return out
}

// inputFileLocked resolves an InputFile parameter: an upload, a file_id of
// the same kind, or an http(s) URL.
func (s *Server) inputFileLocked(r *request, param string, kind fileKind) (*storedFile, *apiError) {
	up, isUpload := r.files[param]
	v := r.params[param]
	if name, ok := strings.CutPrefix(v, "attach://"); ok && !isUpload {
		up, isUpload = r.files[name]
	}
	if isUpload {
		if len(up.data) == 0 {
			return nil, badRequest("file must be non-empty")
		}
		if kind == kindPhoto {
			cfg, _, err := image.DecodeConfig(bytes.NewReader(up.data))
			if err != nil {
				return nil, badRequest("IMAGE_PROCESS_FAILED")
			}
			if cfg.Width+cfg.Height > 10000 || cfg.Width > 20*cfg.Height || cfg.Height > 20*cfg.Width {
				return nil, badRequest("PHOTO_INVALID_DIMENSIONS")
			}
			return s.newPhotoLocked(up.data, cfg.Width, cfg.Height), nil
		}
		return s.newFileLocked(kind, up.filename, up.data), nil
	}
	if u, err := url.Parse(v); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		if kind == kindPhoto {
			return s.newPhotoLocked(nil, 1280, 960), nil
		}
		return s.newFileLocked(kind, path.Base(u.Path), nil), nil
	}
	f, ok := s.files[v]
	if !ok {
		return nil, badRequest("wrong file identifier/HTTP URL specified")
	}
	if f.kind != kind {
		return nil, badRequest("can't use file of type %s as %s", titleKind(f.kind), titleKind(kind))
	}
	return f, nil
}

func titleKind(k fileKind) string {
	s := string(k)
	return strings.ToUpper(s[:1]) + s[1:]
}

// getFile answers getFile: the file's path for the download URL.
func (s *Server) getFile(_ context.Context, r *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[r.params["file_id"]]
	if !ok {
		return nil, badRequest("invalid file_id")
	}
	if len(f.data) > maxDownloadBytes {
		return nil, badRequest("file is too big")
	}
	return models.File{FileID: f.id, FileUniqueID: f.uniqueID, FileSize: int64(len(f.data)), FilePath: f.path}, nil
}

// serveFileDownload serves /file/bot<token>/<file_path>.
func (s *Server) serveFileDownload(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/file/bot")
	token, filePath, _ := strings.Cut(rest, "/")
	if token != s.cfg.token {
		writeError(w, errUnauthorized)
		return
	}
	s.mu.Lock()
	found := s.filePaths[filePath]
	s.mu.Unlock()
	if found == nil || found.data == nil {
		writeError(w, errNotFound)
		return
	}
	serveBytes(w, found)
}

func serveBytes(w http.ResponseWriter, f *storedFile) {
	ct := f.mimeType
	if ct == "" {
		ct = http.DetectContentType(f.data)
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", fmt.Sprint(len(f.data)))
	if _, err := w.Write(f.data); err != nil {
		return // the client left
	}
}

// FileBytes returns the bytes of a stored file: uploaded by the bot or sent
// by a simulated user. A file sent by URL has none.
func (s *Server) FileBytes(fileID string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[fileID]
	if !ok || f.data == nil {
		return nil, false
	}
	return bytes.Clone(f.data), true
}

// imageSize reports the dimensions of an image a simulated user sends; data
// that is no image gets a typical camera size, since tests often send
// placeholder bytes.
func imageSize(data []byte) (int, int) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width == 0 || cfg.Height == 0 {
		return 1280, 960
	}
	return cfg.Width, cfg.Height
}
