// Package locales holds every word a user reads, in Khmer, Thai and
// English, as go-i18n message files embedded in the binary, and renders them.
package locales

import (
	"embed"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/nicksnyder/go-i18n/v2/i18n/template"
	"golang.org/x/text/language"

	"github.com/tipline/tipline/reply"
)

//go:embed *.toml
var files embed.FS

// Languages are the languages we ship, English first (the fallback).
var Languages = []string{"en", "km", "th"}

// Catalog renders messages by ID in a language.
type Catalog struct {
	bundle *i18n.Bundle
	ids    map[string][]string // language → message IDs
	mu     sync.Mutex
	locs   map[string]*i18n.Localizer
}

// Load parses the embedded message files.
func Load() (*Catalog, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	c := &Catalog{bundle: b, ids: map[string][]string{}, locs: map[string]*i18n.Localizer{}}
	for _, lang := range Languages {
		data, err := files.ReadFile(lang + ".toml")
		if err != nil {
			return nil, fmt.Errorf("locales: %w", err)
		}
		mf, err := b.ParseMessageFileBytes(data, lang+".toml")
		if err != nil {
			return nil, fmt.Errorf("locales: %s.toml: %w", lang, err)
		}
		for _, m := range mf.Messages {
			c.ids[lang] = append(c.ids[lang], m.ID)
		}
		slices.Sort(c.ids[lang])
	}
	return c, nil
}

// MustLoad is Load for tests and start-up, where the embedded files are known good.
func MustLoad() *Catalog {
	c, err := Load()
	if err != nil {
		panic(err)
	}
	return c
}

// IDs lists the message IDs defined in a language, sorted.
func (c *Catalog) IDs(lang string) []string { return slices.Clone(c.ids[lang]) }

// Has tells whether a language defines a message ID.
func (c *Catalog) Has(lang, id string) bool {
	_, found := slices.BinarySearch(c.ids[lang], id)
	return found
}

// Raw returns a message's template text in one language, without fallback.
func (c *Catalog) Raw(lang, id string) (string, bool) {
	if !c.Has(lang, id) {
		return "", false
	}
	s, err := c.localizer(lang).Localize(&i18n.LocalizeConfig{MessageID: id, TemplateParser: template.IdentityParser{}})
	return s, err == nil
}

// Text renders a message in lang, falling back to English, then to the ID
// itself (a test guarantees every ID exists in every language).
//
// A value of reply's in data (a date, an age, a duration…) and a nested
// reply.Text are written in lang first.
func (c *Catalog) Text(lang, id string, data map[string]any) string {
	cloned := false
	for k, v := range data {
		s, ok := c.Value(lang, v)
		if t, isText := v.(reply.Text); isText {
			s, ok = c.Render(lang, t), true
		}
		if ok {
			if !cloned {
				data, cloned = maps.Clone(data), true // the caller's map stays as it was
			}
			data[k] = s
		}
	}
	cfg := &i18n.LocalizeConfig{MessageID: id, TemplateData: data}
	switch n := data["Count"].(type) {
	case int, int64:
		// A count picks the plural form where the language has one
		// ("1 file", "2 files"); Khmer and Thai have only "other".
		cfg.PluralCount = n
	}
	s, err := c.localizer(lang).Localize(cfg)
	if err != nil {
		return id
	}
	return s
}

// Render writes one piece of a reply in lang: its message with its data,
// nested Texts and values written first. It is the one renderer of both
// the reporter's and the reviewer's side. A Text that names its own
// language (reply.Text.Lang) is written in that one.
func (c *Catalog) Render(lang string, t reply.Text) string {
	if t.Lang != "" {
		lang = t.Lang
	}
	return c.Text(lang, t.ID, t.Data)
}

func (c *Catalog) localizer(lang string) *i18n.Localizer {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.locs[lang]
	if !ok {
		l = i18n.NewLocalizer(c.bundle, lang, "en")
		c.locs[lang] = l
	}
	return l
}
