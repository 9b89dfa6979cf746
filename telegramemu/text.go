package telegramemu

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"
)

// Telegram's length limits, counted in UTF-16 code units after entity
// parsing.
const (
	maxTextLen     = 4096
	maxCaptionLen  = 1024
	maxCallbackLen = 200
)

// utf16Len counts UTF-16 code units, the unit of Telegram's limits and
// entity offsets.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// formatted is a text after parse_mode was applied.
type formatted struct {
	text     string
	entities []models.MessageEntity
}

// parseFormatted applies parse_mode to a text or caption, or takes the
// explicit entities when there is no parse_mode.
func parseFormatted(text, parseMode, entitiesJSON string) (formatted, *apiError) {
	if !utf8.ValidString(text) {
		return formatted{}, badRequest("text must be encoded in UTF-8")
	}
	switch strings.ToLower(parseMode) {
	case "":
		f := formatted{text: text}
		if entitiesJSON != "" {
			x, err := decodeJSONValue(entitiesJSON)
			if err == nil {
				f.entities = entitiesFrom(x)
			}
		}
		return f, nil
	case "html":
		plain, ents, err := parseHTML(text)
		if err != nil {
			return formatted{}, badRequest("can't parse entities: %v", err)
		}
		return formatted{text: plain, entities: ents}, nil
	case "markdownv2":
		plain, err := parseMarkdownV2(text)
		if err != nil {
			return formatted{}, badRequest("can't parse entities: %v", err)
		}
		return formatted{text: plain}, nil
	case "markdown":
		plain, err := parseMarkdown(text)
		if err != nil {
			return formatted{}, badRequest("can't parse entities: %v", err)
		}
		return formatted{text: plain}, nil
	}
	return formatted{}, badRequest("unsupported parse_mode")
}

// entitiesFrom converts validated MessageEntity JSON to models.
func entitiesFrom(x any) []models.MessageEntity {
	arr, _ := x.([]any)
	var out []models.MessageEntity
	for _, e := range arr {
		obj, _ := e.(map[string]any)
		if obj == nil {
			continue
		}
		me := models.MessageEntity{}
		if s, ok := obj["type"].(string); ok {
			me.Type = models.MessageEntityType(s)
		}
		me.Offset = jsonInt(obj["offset"])
		me.Length = jsonInt(obj["length"])
		me.URL, _ = obj["url"].(string)
		me.Language, _ = obj["language"].(string)
		me.CustomEmojiID, _ = obj["custom_emoji_id"].(string)
		out = append(out, me)
	}
	return out
}

func jsonInt(x any) int {
	switch v := x.(type) {
	case interface{ Int64() (int64, error) }:
		n, _ := v.Int64()
		return int(n)
	case float64:
		return int(v)
	}
	return 0
}

// openTag is an HTML start tag waiting for its end tag.
type openTag struct {
	name   string
	entity models.MessageEntity // Type "" when the tag makes no entity
	start  int                  // UTF-16 offset in the plain text
}

// htmlEntityTypes maps the tags of Telegram's HTML style to entity types.
var htmlEntityTypes = map[string]models.MessageEntityType{
	"b": models.MessageEntityTypeBold, "strong": models.MessageEntityTypeBold,
	"i": models.MessageEntityTypeItalic, "em": models.MessageEntityTypeItalic,
	"u": models.MessageEntityTypeUnderline, "ins": models.MessageEntityTypeUnderline,
	"s": models.MessageEntityTypeStrikethrough, "strike": models.MessageEntityTypeStrikethrough,
	"del": models.MessageEntityTypeStrikethrough, "tg-spoiler": models.MessageEntityTypeSpoiler,
	"span": models.MessageEntityTypeSpoiler, "a": models.MessageEntityTypeTextLink,
	"code": models.MessageEntityTypeCode, "pre": models.MessageEntityTypePre,
	"blockquote": models.MessageEntityTypeBlockquote, "tg-emoji": models.MessageEntityTypeCustomEmoji,
}

// parseHTML parses Telegram's HTML formatting: only the documented tags,
// properly nested, and the entities &lt; &gt; &amp; &quot; and numeric ones.
// It returns the plain text and its entities.
func parseHTML(s string) (string, []models.MessageEntity, error) {
	var out strings.Builder
	var ents []models.MessageEntity
	var stack []openTag
	off := 0
	for i := 0; i < len(s); {
		switch s[i] {
		case '<':
			if i+1 < len(s) && !isTagStart(s[i+1]) {
				return "", nil, fmt.Errorf("Unsupported start tag \"\" at byte offset %d", i)
			}
			end := tagEnd(s, i)
			if end < 0 {
				return "", nil, fmt.Errorf("Unclosed start tag at byte offset %d", i)
			}
			inner := s[i+1 : end]
			if rest, ok := strings.CutPrefix(inner, "/"); ok {
				name := strings.ToLower(strings.TrimSpace(rest))
				if len(stack) == 0 {
					return "", nil, fmt.Errorf("Unexpected end tag at byte offset %d", i)
				}
				top := stack[len(stack)-1]
				if name != top.name {
					return "", nil, fmt.Errorf("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", i, top.name, name)
				}
				stack = stack[:len(stack)-1]
				if top.entity.Type != "" && off > top.start {
					e := top.entity
					e.Offset, e.Length = top.start, off-top.start
					ents = append(ents, e)
				}
			} else {
				t, err := startTag(inner, i, stack)
				if err != nil {
					return "", nil, err
				}
				t.start = off
				stack = append(stack, t)
			}
			i = end + 1
		case '&':
			r, n := htmlCharRef(s[i:])
			if n == 0 {
				out.WriteByte('&')
				off++
				i++
				continue
			}
			out.WriteRune(r)
			off += utf16Len(string(r))
			i += n
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			out.WriteString(s[i : i+n])
			off += utf16Len(string(r))
			i += n
		}
	}
	if len(stack) > 0 {
		return "", nil, fmt.Errorf("Can't find end tag corresponding to start tag \"%s\"", stack[len(stack)-1].name)
	}
	sort.SliceStable(ents, func(a, b int) bool {
		if ents[a].Offset != ents[b].Offset {
			return ents[a].Offset < ents[b].Offset
		}
		return ents[a].Length > ents[b].Length
	})
	return out.String(), ents, nil
}

func isTagStart(c byte) bool {
	return c == '/' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// tagEnd finds the '>' closing the tag that starts at i, skipping quoted
// attribute values.
func tagEnd(s string, i int) int {
	var quote byte
	for j := i + 1; j < len(s); j++ {
		c := s[j]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return j
		case c == '<':
			return -1
		}
	}
	return -1
}

// startTag parses the inside of a start tag.
func startTag(inner string, at int, stack []openTag) (openTag, error) {
	name, attrs := splitTag(inner)
	name = strings.ToLower(name)
	typ, ok := htmlEntityTypes[name]
	if !ok {
		return openTag{}, fmt.Errorf("Unsupported start tag \"%s\" at byte offset %d", name, at)
	}
	t := openTag{name: name, entity: models.MessageEntity{Type: typ}}
	switch name {
	case "span":
		if attrs["class"] != "tg-spoiler" {
			return openTag{}, fmt.Errorf("Tag \"span\" must have class \"tg-spoiler\" at byte offset %d", at)
		}
	case "a":
		href, ok := attrs["href"]
		if !ok || href == "" {
			t.entity.Type = ""
			break
		}
		t.entity.URL = href
	case "tg-emoji":
		id, ok := attrs["emoji-id"]
		if !ok {
			return openTag{}, fmt.Errorf("Tag \"tg-emoji\" must have attribute \"emoji-id\" at byte offset %d", at)
		}
		t.entity.CustomEmojiID = id
	case "blockquote":
		if _, ok := attrs["expandable"]; ok {
			t.entity.Type = models.MessageEntityTypeExpandableBlockquote
		}
	case "code":
		if len(stack) > 0 && stack[len(stack)-1].name == "pre" {
			// <pre><code class="language-go"> gives the pre a language
			// and no entity of its own.
			if lang, ok := strings.CutPrefix(attrs["class"], "language-"); ok {
				stack[len(stack)-1].entity.Language = lang
			}
			t.entity.Type = ""
		}
	}
	return t, nil
}

// splitTag splits "a href=\"x\" expandable" into the name and attributes.
func splitTag(inner string) (string, map[string]string) {
	inner = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(inner), "/"))
	i := strings.IndexAny(inner, " \t\r\n")
	if i < 0 {
		return inner, map[string]string{}
	}
	name, rest := inner[:i], inner[i:]
	attrs := map[string]string{}
	for {
		rest = strings.TrimLeft(rest, " \t\r\n")
		if rest == "" {
			return name, attrs
		}
		j := strings.IndexAny(rest, "= \t\r\n")
		if j < 0 {
			attrs[strings.ToLower(rest)] = ""
			return name, attrs
		}
		key := strings.ToLower(rest[:j])
		rest = strings.TrimLeft(rest[j:], " \t\r\n")
		if !strings.HasPrefix(rest, "=") {
			attrs[key] = ""
			continue
		}
		rest = strings.TrimLeft(rest[1:], " \t\r\n")
		var val string
		if rest != "" && (rest[0] == '"' || rest[0] == '\'') {
			q := rest[0]
			k := strings.IndexByte(rest[1:], q)
			if k < 0 {
				val, rest = rest[1:], ""
			} else {
				val, rest = rest[1:1+k], rest[2+k:]
			}
		} else {
			k := strings.IndexAny(rest, " \t\r\n")
			if k < 0 {
				k = len(rest)
			}
			val, rest = rest[:k], rest[k:]
		}
		attrs[key] = unescapeHTML(val)
	}
}

// htmlCharRef decodes a character reference at the start of s and returns
// the rune and its length in bytes, or 0 when there is none Telegram knows.
func htmlCharRef(s string) (rune, int) {
	semi := strings.IndexByte(s, ';')
	if semi < 0 || semi > 12 {
		return 0, 0
	}
	ref := s[1:semi]
	switch ref {
	case "lt":
		return '<', semi + 1
	case "gt":
		return '>', semi + 1
	case "amp":
		return '&', semi + 1
	case "quot":
		return '"', semi + 1
	}
	if num, ok := strings.CutPrefix(ref, "#"); ok {
		base := 10
		if h, ok := strings.CutPrefix(strings.ToLower(num), "x"); ok {
			num, base = h, 16
		}
		n, err := strconv.ParseUint(num, base, 32)
		if err != nil || n == 0 || n > utf8.MaxRune {
			return 0, 0
		}
		return rune(n), semi + 1
	}
	return 0, 0
}

func unescapeHTML(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == '&' {
			if r, n := htmlCharRef(s[i:]); n > 0 {
				b.WriteRune(r)
				i += n
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// markdownV2Reserved are the characters MarkdownV2 requires to be escaped
// outside of entity markup.
const markdownV2Reserved = "_*[]()~`>#+-=|{}.!"

// parseMarkdownV2 checks MarkdownV2 text the way Telegram does for the
// common mistakes (a reserved character not escaped, an entity left open)
// and returns the plain text.
func parseMarkdownV2(s string) (string, error) {
	var out strings.Builder
	open := map[string]int{} // marker -> byte offset where it opened
	inCode, inPre, inLinkText, inLinkURL := false, false, false, false
	lineStart := true
	for i := 0; i < len(s); {
		c := s[i]
		if c == '\\' {
			if i+1 >= len(s) {
				return "", fmt.Errorf("Can't parse entities: character '\\' at the end of the text")
			}
			r, n := utf8.DecodeRuneInString(s[i+1:])
			if !inLinkURL {
				out.WriteRune(r)
			}
			i += 1 + n
			lineStart = false
			continue
		}
		switch {
		case inPre:
			if strings.HasPrefix(s[i:], "```") {
				inPre = false
				i += 3
				continue
			}
		case inCode:
			if c == '`' {
				inCode = false
				i++
				continue
			}
		case inLinkURL:
			if c == ')' {
				inLinkURL = false
			}
			i++
			continue
		case strings.HasPrefix(s[i:], "```"):
			inPre = true
			i += 3
			continue
		case c == '`':
			inCode, open["`"] = true, i
			i++
			continue
		case strings.HasPrefix(s[i:], "||") || strings.HasPrefix(s[i:], "__"):
			toggle(open, s[i:i+2], i)
			i += 2
			continue
		case c == '*' || c == '_' || c == '~':
			toggle(open, s[i:i+1], i)
			i++
			continue
		case c == '[':
			if inLinkText {
				return "", fmt.Errorf("Character '[' is reserved and must be escaped with the preceding '\\'")
			}
			inLinkText, open["["] = true, i
			i++
			continue
		case c == ']' && inLinkText:
			inLinkText = false
			delete(open, "[")
			if strings.HasPrefix(s[i+1:], "(") {
				inLinkURL = true
				i += 2
				continue
			}
			i++
			continue
		case c == '>' && lineStart:
			i++
			continue
		case strings.IndexByte(markdownV2Reserved, c) >= 0:
			return "", fmt.Errorf("Character '%c' is reserved and must be escaped with the preceding '\\'", c)
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		out.WriteRune(r)
		lineStart = r == '\n'
		i += n
	}
	if inCode || inPre {
		return "", fmt.Errorf("Can't find end of Code entity at byte offset %d", open["`"])
	}
	first := -1
	for _, at := range open {
		if first < 0 || at < first {
			first = at
		}
	}
	if first >= 0 {
		return "", fmt.Errorf("Can't find end of the entity starting at byte offset %d", first)
	}
	return out.String(), nil
}

func toggle(open map[string]int, marker string, at int) {
	if _, ok := open[marker]; ok {
		delete(open, marker)
		return
	}
	open[marker] = at
}

// parseMarkdown checks legacy Markdown: every *, _, ` and [ opened is
// closed. It returns the plain text.
func parseMarkdown(s string) (string, error) {
	var out strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '*', '_', '`':
			marker := string(c)
			if c == '`' && strings.HasPrefix(s[i:], "```") {
				marker = "```"
			}
			end := strings.Index(s[i+len(marker):], marker)
			if end < 0 {
				return "", fmt.Errorf("Can't find end of the entity starting at byte offset %d", i)
			}
			out.WriteString(s[i+len(marker) : i+len(marker)+end])
			i += 2*len(marker) + end
			continue
		case '[':
			close := strings.IndexByte(s[i:], ']')
			if close < 0 {
				return "", fmt.Errorf("Can't find end of the entity starting at byte offset %d", i)
			}
			out.WriteString(s[i+1 : i+close])
			i += close + 1
			if strings.HasPrefix(s[i:], "(") {
				paren := strings.IndexByte(s[i:], ')')
				if paren < 0 {
					return "", fmt.Errorf("Can't find end of the entity starting at byte offset %d", i)
				}
				i += paren + 1
			}
			continue
		}
		out.WriteByte(c)
		i++
	}
	return out.String(), nil
}
