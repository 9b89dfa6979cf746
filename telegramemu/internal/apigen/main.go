// Command apigen keeps the telegramemu emulator's tables of Bot API methods,
// types and fields. It works in two steps, so the repository never needs the
// Bot API description itself:
//
//  1. With -spec, it reads the machine-readable Bot API description (api.json)
//     and keeps only facts in facts.json: method, parameter and type names,
//     type strings, required flags and the fixed tag values of union members,
//     with the Bot API version and the sha256 of the file it read. Description
//     sentences are never kept.
//  2. It renders apifacts_gen.go from facts.json alone.
//
// Refresh from a new api.json (go generate in telegramemu runs this):
//
//	go run ./internal/apigen -spec ../../shared/telegram-bot-api/api.json
//
// Regenerate apifacts_gen.go from the committed facts.json only:
//
//	go run ./internal/apigen
//
// TestGeneratedIsCurrent fails when the committed apifacts_gen.go is not what
// facts.json renders to.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
)

// facts is what the repository keeps of the Bot API description: names,
// types and required flags, never its prose.
type facts struct {
	// Version is the Bot API version of the description, "Bot API 10.1".
	Version string `json:"version"`
	// SourceSHA256 is the hex sha256 of the api.json the facts came from.
	SourceSHA256 string `json:"source_sha256"`
	// Methods maps a method name to its parameters, in documented order.
	Methods map[string][]factField `json:"methods"`
	// Types maps a type name to its fields or, for a union, its members.
	Types map[string]factType `json:"types"`
}

// factType is one Bot API type.
type factType struct {
	Subtypes []string    `json:"subtypes,omitempty"`
	Fields   []factField `json:"fields,omitempty"`
}

// factField is one parameter of a method or one field of a type.
type factField struct {
	Name     string   `json:"name"`
	Types    []string `json:"types"`
	Required bool     `json:"required,omitempty"`
	// Const is the only value the tag field of a union member may take.
	Const string `json:"const,omitempty"`
}

// spec is the part of api.json the generator reads.
type spec struct {
	Version string            `json:"version"`
	Methods map[string]object `json:"methods"`
	Types   map[string]object `json:"types"`
}

// object is a method or a type in api.json: its fields (parameters) or, for
// a union type, the types it may be.
type object struct {
	Name      string   `json:"name"`
	Fields    []field  `json:"fields"`
	Subtypes  []string `json:"subtypes"`
	SubtypeOf []string `json:"subtype_of"`
}

// field is one parameter of a method or one field of a type in api.json.
type field struct {
	Name        string   `json:"name"`
	Types       []string `json:"types"`
	Required    bool     `json:"required"`
	Description string   `json:"description"`
}

// discriminator finds the fixed value of a union member's tag field
// ("must be chat", `always "emoji"`); it reads a value, not a sentence.
var discriminator = regexp.MustCompile(`(?:must be|always) "?([a-z0-9_]+)"?\.?$`)

func main() {
	specPath := flag.String("spec", "", "path of api.json; when set, facts.json is first rewritten from it")
	factsPath := flag.String("facts", filepath.Join("internal", "apigen", "facts.json"), "path of facts.json")
	outPath := flag.String("out", "apifacts_gen.go", "path of the generated Go file")
	flag.Parse()
	if err := run(*specPath, *factsPath, *outPath); err != nil {
		log.Fatalf("apigen: %v", err)
	}
}

func run(specPath, factsPath, outPath string) error {
	if specPath != "" {
		f, err := readSpec(specPath)
		if err != nil {
			return err
		}
		if err := writeFacts(factsPath, f); err != nil {
			return err
		}
	}
	f, err := readFacts(factsPath)
	if err != nil {
		return err
	}
	src, err := render(f)
	if err != nil {
		return err
	}
	if err := os.WriteFile(outPath, src, 0o644); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// readSpec reads api.json and keeps its facts.
func readSpec(path string) (*facts, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read spec: %w", err)
	}
	var s spec
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("decode spec: %w", err)
	}
	if len(s.Methods) == 0 || len(s.Types) == 0 {
		return nil, fmt.Errorf("spec %s has no methods or types", path)
	}
	sum := sha256.Sum256(raw)
	f := &facts{
		Version:      s.Version,
		SourceSHA256: hex.EncodeToString(sum[:]),
		Methods:      make(map[string][]factField, len(s.Methods)),
		Types:        make(map[string]factType, len(s.Types)),
	}
	for name, m := range s.Methods {
		f.Methods[name] = keepFields(m.Fields, false)
	}
	for name, t := range s.Types {
		f.Types[name] = factType{
			Subtypes: t.Subtypes,
			Fields:   keepFields(t.Fields, len(t.SubtypeOf) > 0),
		}
	}
	return f, nil
}

// keepFields drops everything but the facts; the first field of a union
// member carries its fixed tag value.
func keepFields(fields []field, unionMember bool) []factField {
	if len(fields) == 0 {
		return nil
	}
	out := make([]factField, len(fields))
	for i, fl := range fields {
		out[i] = factField{Name: fl.Name, Types: fl.Types, Required: fl.Required}
		if unionMember && i == 0 {
			if m := discriminator.FindStringSubmatch(fl.Description); m != nil {
				out[i].Const = m[1]
			}
		}
	}
	return out
}

// writeFacts writes facts.json with one field a line, so a refresh reads
// as a short diff.
func writeFacts(path string, f *facts) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "{\n  \"version\": %s,\n  \"source_sha256\": %s,\n", strconv.Quote(f.Version), strconv.Quote(f.SourceSHA256))
	b.WriteString("  \"methods\": {")
	for i, name := range sortedKeys(f.Methods) {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "\n    %s: ", strconv.Quote(name))
		if err := writeFactFields(&b, f.Methods[name], "    "); err != nil {
			return err
		}
	}
	b.WriteString("\n  },\n  \"types\": {")
	for i, name := range sortedKeys(f.Types) {
		if i > 0 {
			b.WriteString(",")
		}
		t := f.Types[name]
		fmt.Fprintf(&b, "\n    %s: {", strconv.Quote(name))
		if len(t.Subtypes) > 0 {
			sub, err := json.Marshal(t.Subtypes)
			if err != nil {
				return fmt.Errorf("encode facts: %w", err)
			}
			fmt.Fprintf(&b, "\"subtypes\": %s", sub)
		}
		if len(t.Fields) > 0 {
			if len(t.Subtypes) > 0 {
				b.WriteString(", ")
			}
			b.WriteString("\"fields\": ")
			if err := writeFactFields(&b, t.Fields, "    "); err != nil {
				return err
			}
		}
		b.WriteString("}")
	}
	b.WriteString("\n  }\n}\n")
	if !json.Valid(b.Bytes()) {
		return fmt.Errorf("encode facts: wrote invalid JSON")
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write facts: %w", err)
	}
	return nil
}

// writeFactFields writes a JSON array of fields, one a line.
func writeFactFields(b *bytes.Buffer, fields []factField, indent string) error {
	if len(fields) == 0 {
		b.WriteString("[]")
		return nil
	}
	b.WriteString("[")
	for i, fl := range fields {
		raw, err := json.Marshal(fl)
		if err != nil {
			return fmt.Errorf("encode facts: %w", err)
		}
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(b, "\n%s  %s", indent, raw)
	}
	fmt.Fprintf(b, "\n%s]", indent)
	return nil
}

func readFacts(path string) (*facts, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read facts: %w", err)
	}
	var f facts
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("decode facts %s: %w", path, err)
	}
	if len(f.Methods) == 0 || len(f.Types) == 0 {
		return nil, fmt.Errorf("facts %s has no methods or types", path)
	}
	return &f, nil
}

// render writes the Go tables for facts.
func render(f *facts) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("// Code generated by go run ./internal/apigen from internal/apigen/facts.json; DO NOT EDIT.\n\n")
	b.WriteString("package telegramemu\n\n")
	fmt.Fprintf(&b, "// apiVersion is the Bot API version the tables below describe.\nconst apiVersion = %s\n\n", strconv.Quote(f.Version))

	b.WriteString("// apiMethods holds every Bot API method and its parameters.\n")
	b.WriteString("var apiMethods = map[string][]apiField{\n")
	for _, name := range sortedKeys(f.Methods) {
		fmt.Fprintf(&b, "%s: {\n", strconv.Quote(name))
		writeFields(&b, f.Methods[name])
		b.WriteString("},\n")
	}
	b.WriteString("}\n\n")

	b.WriteString("// apiTypes holds every Bot API type: its fields, or for a union the types it may be.\n")
	b.WriteString("var apiTypes = map[string]apiType{\n")
	for _, name := range sortedKeys(f.Types) {
		t := f.Types[name]
		fmt.Fprintf(&b, "%s: {", strconv.Quote(name))
		if len(t.Subtypes) > 0 {
			b.WriteString("Subtypes: []string{")
			for i, st := range t.Subtypes {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(strconv.Quote(st))
			}
			b.WriteString("}")
		}
		if len(t.Fields) > 0 {
			if len(t.Subtypes) > 0 {
				b.WriteString(", ")
			}
			b.WriteString("Fields: []apiField{\n")
			writeFields(&b, t.Fields)
			b.WriteString("}")
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")

	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("format generated code: %w", err)
	}
	return src, nil
}

// writeFields writes the field literals.
func writeFields(b *bytes.Buffer, fields []factField) {
	for _, f := range fields {
		fmt.Fprintf(b, "{Name: %s, Types: []string{", strconv.Quote(f.Name))
		for j, t := range f.Types {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Quote(t))
		}
		b.WriteString("}")
		if f.Required {
			b.WriteString(", Required: true")
		}
		if f.Const != "" {
			fmt.Fprintf(b, ", Const: %s", strconv.Quote(f.Const))
		}
		b.WriteString("},\n")
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
