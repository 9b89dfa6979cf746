package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestGeneratedIsCurrent renders facts.json again and fails when the committed
// apifacts_gen.go differs: edit facts.json (or refresh it from the spec, see
// the package comment), never the generated file.
func TestGeneratedIsCurrent(t *testing.T) {
	f, err := readFacts("facts.json")
	if err != nil {
		t.Fatal(err)
	}
	want, err := render(f)
	if err != nil {
		t.Fatal(err)
	}
	gen := filepath.Join("..", "..", "apifacts_gen.go")
	got, err := os.ReadFile(gen)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is not what facts.json renders to; run go run ./internal/apigen in telegramemu", gen)
	}
}

// TestFactsNamedTheirSource checks that facts.json says which Bot API
// version and which exact file it was taken from.
func TestFactsNamedTheirSource(t *testing.T) {
	f, err := readFacts("facts.json")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^Bot API \d+\.\d+$`).MatchString(f.Version) {
		t.Errorf("version = %q, want like \"Bot API 10.1\"", f.Version)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(f.SourceSHA256) {
		t.Errorf("source_sha256 = %q, want 64 hex digits", f.SourceSHA256)
	}
}

// TestSpecKeepsNoProse reads a small description and checks that only facts
// are kept: no description sentence, the union member's tag value found.
func TestSpecKeepsNoProse(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "api.json")
	const raw = `{"version": "Bot API 1.0",
 "methods": {"sendMessage": {"name": "sendMessage", "fields": [
   {"name": "chat_id", "types": ["Integer", "String"], "required": true, "description": "Unique identifier for the target chat"},
   {"name": "text", "types": ["String"], "required": true, "description": "Text of the message, 1-4096 characters"}]}},
 "types": {
  "BotCommandScope": {"name": "BotCommandScope", "subtypes": ["BotCommandScopeChat"]},
  "BotCommandScopeChat": {"name": "BotCommandScopeChat", "subtype_of": ["BotCommandScope"], "fields": [
   {"name": "type", "types": ["String"], "required": true, "description": "Scope type, must be chat"},
   {"name": "chat_id", "types": ["Integer", "String"], "required": true, "description": "Unique identifier for the target chat"}]}}}`
	if err := os.WriteFile(spec, []byte(raw), 0o644); err != nil {
		t.Fatal(err)
	}
	factsPath := filepath.Join(dir, "facts.json")
	if err := run(spec, factsPath, filepath.Join(dir, "apifacts_gen.go")); err != nil {
		t.Fatal(err)
	}
	kept, err := os.ReadFile(factsPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, prose := range []string{"Unique identifier", "characters", "Scope type", "description"} {
		if bytes.Contains(kept, []byte(prose)) {
			t.Errorf("facts.json keeps %q from the description", prose)
		}
	}
	f, err := readFacts(factsPath)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Types["BotCommandScopeChat"].Fields[0].Const; got != "chat" {
		t.Errorf("BotCommandScopeChat.type const = %q, want \"chat\"", got)
	}
	if got := f.Types["BotCommandScopeChat"].Fields[1].Const; got != "" {
		t.Errorf("BotCommandScopeChat.chat_id const = %q, want none", got)
	}
	if len(f.SourceSHA256) != 64 {
		t.Errorf("source_sha256 = %q, want a sha256", f.SourceSHA256)
	}
}
