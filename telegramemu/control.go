package telegramemu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxControlWait bounds how long GET /_emulator/messages may wait for a
// change.
const maxControlWait = 30 * time.Second

// controlError is the JSON body of a failed control call.
type controlError struct {
	Error string `json:"error"`
}

// serveControl answers the JSON control API a browser page uses to play the
// users:
//
//	POST /_emulator/users     {id, first_name, last_name, username, language_code}
//	POST /_emulator/send      {user_id, text}                   -> {update_id}
//	POST /_emulator/press     {user_id, message_id, data}       -> {update_id}
//	POST /_emulator/location  {user_id, lat, lon}               -> {update_id}
//	POST /_emulator/edit      {user_id, message_id, text}       -> {update_id}
//	POST /_emulator/photo     multipart: user_id, file, caption -> {update_id}
//	POST /_emulator/voice     multipart: user_id, file, seconds -> {update_id}
//	POST /_emulator/video     multipart: user_id, file, seconds -> {update_id}
//	POST /_emulator/document  multipart: user_id, file          -> {update_id}
//	GET  /_emulator/messages?chat_id=N[&after=K][&version=V&wait=S]
//	                          -> {version, messages}; with wait, blocks up to S
//	                             seconds until the chat's version differs from V
//	GET  /_emulator/files/<file_id> -> the file's bytes
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	route := strings.TrimPrefix(r.URL.Path, "/_emulator/")
	if rest, ok := strings.CutPrefix(route, "files/"); ok {
		s.controlFile(w, r, rest)
		return
	}
	if route == "messages" {
		s.controlMessages(w, r)
		return
	}
	action, ok := map[string]func(*http.Request) (any, error){
		"users":    s.controlUsers,
		"send":     s.controlSend,
		"press":    s.controlPress,
		"location": s.controlLocation,
		"edit":     s.controlEdit,
		"photo":    s.controlUpload("photo"),
		"voice":    s.controlUpload("voice"),
		"video":    s.controlUpload("video"),
		"document": s.controlUpload("document"),
	}[route]
	if !ok {
		writeJSON(w, http.StatusNotFound, controlError{Error: "no such control endpoint"})
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, controlError{Error: "use POST"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	result, err := action(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, controlError{Error: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, result)
}

// updateResult is the answer of a control call that made an update.
type updateResult struct {
	UpdateID int64 `json:"update_id"`
}

var errUnknownUser = errors.New("unknown user: add it with POST /_emulator/users first")

func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("bad JSON: %w", err)
	}
	return nil
}

// knownUser returns the added user with id.
func (s *Server) knownUser(id int64) (User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return User{}, errUnknownUser
	}
	return u, nil
}

func (s *Server) controlUsers(r *http.Request) (any, error) {
	var u User
	if err := decodeBody(r, &u); err != nil {
		return nil, err
	}
	if u.ID <= 0 {
		return nil, errors.New("id must be a positive integer")
	}
	if u.FirstName == "" {
		return nil, errors.New("first_name is required")
	}
	s.AddUser(u)
	return u, nil
}

func (s *Server) controlSend(r *http.Request) (any, error) {
	var in struct {
		UserID int64  `json:"user_id"`
		Text   string `json:"text"`
	}
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	u, err := s.knownUser(in.UserID)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(in.Text) == "" {
		return nil, errors.New("text is empty")
	}
	return updateResult{s.SendText(u, in.Text)}, nil
}

func (s *Server) controlPress(r *http.Request) (any, error) {
	var in struct {
		UserID    int64  `json:"user_id"`
		MessageID int    `json:"message_id"`
		Data      string `json:"data"`
	}
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	u, err := s.knownUser(in.UserID)
	if err != nil {
		return nil, err
	}
	id, err := s.PressButton(u, in.MessageID, in.Data)
	if err != nil {
		return nil, err
	}
	return updateResult{id}, nil
}

func (s *Server) controlLocation(r *http.Request) (any, error) {
	var in struct {
		UserID int64   `json:"user_id"`
		Lat    float64 `json:"lat"`
		Lon    float64 `json:"lon"`
	}
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	u, err := s.knownUser(in.UserID)
	if err != nil {
		return nil, err
	}
	if in.Lat < -90 || in.Lat > 90 || in.Lon < -180 || in.Lon > 180 {
		return nil, errors.New("lat must be within ±90 and lon within ±180")
	}
	return updateResult{s.SendLocation(u, in.Lat, in.Lon)}, nil
}

func (s *Server) controlEdit(r *http.Request) (any, error) {
	var in struct {
		UserID    int64  `json:"user_id"`
		MessageID int    `json:"message_id"`
		Text      string `json:"text"`
	}
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	u, err := s.knownUser(in.UserID)
	if err != nil {
		return nil, err
	}
	return updateResult{s.EditText(u, in.MessageID, in.Text)}, nil
}

// controlUpload handles the multipart media endpoints.
func (s *Server) controlUpload(kind string) func(*http.Request) (any, error) {
	return func(r *http.Request) (any, error) {
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			return nil, fmt.Errorf("bad multipart form: %w", err)
		}
		userID, err := strconv.ParseInt(r.FormValue("user_id"), 10, 64)
		if err != nil {
			return nil, errors.New("user_id must be an integer")
		}
		u, err := s.knownUser(userID)
		if err != nil {
			return nil, err
		}
		file, header, err := r.FormFile("file")
		if err != nil {
			return nil, fmt.Errorf("file part: %w", err)
		}
		defer file.Close()
		data, err := io.ReadAll(file)
		if err != nil {
			return nil, fmt.Errorf("read file part: %w", err)
		}
		if len(data) == 0 {
			return nil, errors.New("file is empty")
		}
		seconds := 0
		if v := r.FormValue("seconds"); v != "" {
			if seconds, err = strconv.Atoi(v); err != nil || seconds < 0 {
				return nil, errors.New("seconds must be a non-negative integer")
			}
		}
		var id int64
		switch kind {
		case "photo":
			id = s.SendPhoto(u, data, r.FormValue("caption"))
		case "voice":
			id = s.SendVoice(u, data, seconds)
		case "video":
			id = s.SendVideo(u, data, seconds)
		default:
			id = s.SendDocument(u, header.Filename, data)
		}
		return updateResult{id}, nil
	}
}

// messagesResult is the answer of GET /_emulator/messages.
type messagesResult struct {
	Version  int64     `json:"version"`
	Messages []Message `json:"messages"`
}

func (s *Server) controlMessages(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeJSON(w, http.StatusMethodNotAllowed, controlError{Error: "use GET"})
		return
	}
	q := r.URL.Query()
	chatID, err := strconv.ParseInt(q.Get("chat_id"), 10, 64)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, controlError{Error: "chat_id must be an integer"})
		return
	}
	after, seen, wait := 0, int64(-1), 0
	if v := q.Get("after"); v != "" {
		if after, err = strconv.Atoi(v); err != nil {
			writeJSON(w, http.StatusBadRequest, controlError{Error: "after must be an integer"})
			return
		}
	}
	if v := q.Get("version"); v != "" {
		if seen, err = strconv.ParseInt(v, 10, 64); err != nil {
			writeJSON(w, http.StatusBadRequest, controlError{Error: "version must be an integer"})
			return
		}
	}
	if v := q.Get("wait"); v != "" {
		if wait, err = strconv.Atoi(v); err != nil || wait < 0 {
			writeJSON(w, http.StatusBadRequest, controlError{Error: "wait must be a non-negative integer"})
			return
		}
	}
	if _, err := s.knownUser(chatID); err != nil {
		writeJSON(w, http.StatusBadRequest, controlError{Error: err.Error()})
		return
	}
	if wait > 0 && seen >= 0 {
		ctx, cancel := context.WithTimeout(r.Context(), min(time.Duration(wait)*time.Second, maxControlWait))
		defer cancel()
		s.waitVersion(ctx, chatID, seen)
	}
	s.mu.Lock()
	msgs, version := s.messagesLocked(chatID, after)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, messagesResult{Version: version, Messages: msgs})
}

// waitVersion waits until the chat's version differs from seen or ctx ends.
func (s *Server) waitVersion(ctx context.Context, chatID, seen int64) {
	for {
		s.mu.Lock()
		var v int64
		if c, ok := s.chats[chatID]; ok {
			v = c.version
		}
		ch := s.changed
		s.mu.Unlock()
		if v != seen || !s.waitChange(ctx, ch, nil) {
			return
		}
	}
}

func (s *Server) controlFile(w http.ResponseWriter, r *http.Request, fileID string) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeJSON(w, http.StatusMethodNotAllowed, controlError{Error: "use GET"})
		return
	}
	s.mu.Lock()
	f, ok := s.files[fileID]
	s.mu.Unlock()
	if !ok || f.data == nil {
		writeJSON(w, http.StatusNotFound, controlError{Error: "no such file"})
		return
	}
	serveBytes(w, f)
}
