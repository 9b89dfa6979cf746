package telegramemu

import "strings"

// Refresh the Bot API facts from the spec (internal/apigen/facts.json keeps
// names, types and required flags only) and regenerate apifacts_gen.go;
// "go run ./internal/apigen" alone regenerates from facts.json.
//go:generate go run ./internal/apigen -spec ../../shared/telegram-bot-api/api.json

// apiField is one parameter of a method or one field of a type, as the
// Bot API documents it.
type apiField struct {
	Name string
	// Types lists the accepted types; a value matching any one is valid.
	// Examples: "Integer", "InputFile", "Array of Array of InlineKeyboardButton".
	Types    []string
	Required bool
	// Const is the only value the tag field of a union member may take,
	// such as "chat" for BotCommandScopeChat.type.
	Const string
}

// apiType is a Bot API object type: either its fields or, for a union such
// as BotCommandScope, the types a value may be.
type apiType struct {
	Fields   []apiField
	Subtypes []string
}

// methodNames maps a lower-case method name to its documented spelling:
// Telegram matches method names without regard to case.
var methodNames = func() map[string]string {
	m := make(map[string]string, len(apiMethods))
	for name := range apiMethods {
		m[strings.ToLower(name)] = name
	}
	return m
}()

// canonicalMethod returns the documented spelling of a method name and
// whether the Bot API has such a method.
func canonicalMethod(name string) (string, bool) {
	c, ok := methodNames[strings.ToLower(name)]
	return c, ok
}

// fieldOf returns the field called name in fields.
func fieldOf(fields []apiField, name string) (apiField, bool) {
	for _, f := range fields {
		if f.Name == name {
			return f, true
		}
	}
	return apiField{}, false
}
