package telegramemu

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// validateParams checks a call against the generated facts: no unknown
// parameter, every required one present, every value of a documented type,
// JSON-serialized objects checked field by field.
func validateParams(method string, r *request) *apiError {
	fields := apiMethods[method]
	attached := attachNames(r.params)
	for _, name := range sortedNames(r.params) {
		if _, ok := fieldOf(fields, name); !ok {
			return badRequest("unknown parameter %q", name)
		}
	}
	for _, name := range sortedUploads(r.files) {
		f, ok := fieldOf(fields, name)
		if !ok {
			if attached[name] {
				continue
			}
			return badRequest("unknown parameter %q", name)
		}
		if !hasType(f.Types, "InputFile") {
			return badRequest("parameter %q must be of type %s, not a file", name, strings.Join(f.Types, " or "))
		}
	}
	for _, f := range fields {
		v, isValue := r.params[f.Name]
		_, isFile := r.files[f.Name]
		switch {
		case isFile:
			continue
		case !isValue:
			if f.Required {
				return badRequest("parameter %q is required", f.Name)
			}
			continue
		}
		if err := validateParam(f, v, r.files); err != nil {
			return err
		}
	}
	return nil
}

// validateParam checks one form value against the types a parameter accepts.
func validateParam(f apiField, v string, files map[string]upload) *apiError {
	var first *apiError
	for _, t := range f.Types {
		err := validateParamAs(f, t, v, files)
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
	}
	if len(f.Types) > 1 && isPrimitiveList(f.Types) {
		return badRequest("parameter %q must be of type %s", f.Name, strings.Join(f.Types, " or "))
	}
	if len(f.Types) > 1 {
		return validateJSONParam(f, v)
	}
	return first
}

func validateParamAs(f apiField, t, v string, files map[string]upload) *apiError {
	switch t {
	case "String":
		return nil
	case "Integer":
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return badRequest("parameter %q must be of type Integer", f.Name)
		}
		return nil
	case "Float":
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return badRequest("parameter %q must be of type Float", f.Name)
		}
		return nil
	case "Boolean":
		if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
			return badRequest("parameter %q must be of type Boolean", f.Name)
		}
		return nil
	case "InputFile":
		if name, ok := strings.CutPrefix(v, "attach://"); ok {
			if _, ok := files[name]; ok {
				return nil
			}
			return badRequest("parameter %q refers to a missing file part %q", f.Name, name)
		}
		return badRequest("parameter %q must be an uploaded file", f.Name)
	}
	return validateJSONParam(apiField{Name: f.Name, Types: []string{t}}, v)
}

// validateJSONParam parses a JSON-serialized parameter and checks it.
func validateJSONParam(f apiField, v string) *apiError {
	if strings.TrimSpace(v) == "null" && !f.Required {
		// go-telegram/bot sends "null" for an unset interface-typed
		// parameter without omitempty (setChatMenuButton.menu_button).
		return nil
	}
	x, err := decodeJSONValue(v)
	if err != nil {
		return badRequest("can't parse %s JSON object", f.Name)
	}
	jv := jsonValidator{param: f.Name}
	return jv.value(x, f.Types, "")
}

func decodeJSONValue(v string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(v))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, fmt.Errorf("decode JSON: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("decode JSON: trailing data")
	}
	return x, nil
}

// jsonValidator checks a decoded JSON value against type facts.
type jsonValidator struct {
	param string
}

func (jv jsonValidator) fail(format string, args ...any) *apiError {
	return badRequest("can't parse %s: %s", jv.param, fmt.Sprintf(format, args...))
}

// value checks x against any one of types.
func (jv jsonValidator) value(x any, types []string, path string) *apiError {
	if len(types) == 1 {
		return jv.typed(x, types[0], path)
	}
	var errs []*apiError
	for _, t := range types {
		err := jv.typed(x, t, path)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	// Report the failure of the type the value most resembles: the object
	// type that knows the most of its keys.
	best, bestScore := 0, -1
	obj, _ := x.(map[string]any)
	for i, t := range types {
		score := 0
		if at, ok := apiTypes[t]; ok && obj != nil {
			for k := range obj {
				if _, ok := fieldOf(at.Fields, k); ok {
					score++
				}
			}
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	if bestScore <= 0 && obj == nil {
		return jv.fail("%s must be of type %s", fieldPath(path), strings.Join(types, " or "))
	}
	return errs[best]
}

func (jv jsonValidator) typed(x any, t string, path string) *apiError {
	if elem, ok := strings.CutPrefix(t, "Array of "); ok {
		arr, ok := x.([]any)
		if !ok {
			return jv.fail("%s must be an Array", fieldPath(path))
		}
		for i, e := range arr {
			if err := jv.typed(e, elem, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	}
	switch t {
	case "String":
		if _, ok := x.(string); !ok {
			return jv.fail("%s must be of type String", fieldPath(path))
		}
		return nil
	case "Integer":
		n, ok := x.(json.Number)
		if !ok {
			return jv.fail("%s must be of type Integer", fieldPath(path))
		}
		if _, err := n.Int64(); err != nil {
			return jv.fail("%s must be of type Integer", fieldPath(path))
		}
		return nil
	case "Float":
		n, ok := x.(json.Number)
		if !ok {
			return jv.fail("%s must be of type Float", fieldPath(path))
		}
		if _, err := n.Float64(); err != nil {
			return jv.fail("%s must be of type Float", fieldPath(path))
		}
		return nil
	case "Boolean", "True":
		if _, ok := x.(bool); !ok {
			return jv.fail("%s must be of type Boolean", fieldPath(path))
		}
		return nil
	case "InputFile":
		// Inside JSON a file is named by file_id, URL or attach://<part>.
		if _, ok := x.(string); !ok {
			return jv.fail("%s must be a file reference String", fieldPath(path))
		}
		return nil
	}
	at, ok := apiTypes[t]
	if !ok {
		return jv.fail("%s has the undocumented type %s", fieldPath(path), t)
	}
	if len(at.Subtypes) > 0 {
		return jv.union(x, t, at, path)
	}
	return jv.object(x, t, at, path)
}

// union checks a value of a union type: by its tag field when the members
// have one, else against every member.
func (jv jsonValidator) union(x any, t string, at apiType, path string) *apiError {
	obj, isObj := x.(map[string]any)
	if isObj {
		for _, st := range at.Subtypes {
			member, ok := apiTypes[st]
			if !ok || len(member.Fields) == 0 || member.Fields[0].Const == "" {
				continue
			}
			tag := member.Fields[0]
			if v, ok := obj[tag.Name].(string); ok && v == tag.Const {
				return jv.object(x, st, member, path)
			}
		}
		if tagged, tagName := unionTag(at); tagged {
			v, present := obj[tagName]
			if !present {
				return jv.fail("%s is required", fieldPath(join(path, tagName)))
			}
			return jv.fail("%s has an unsupported value %v for %s", fieldPath(join(path, tagName)), v, t)
		}
	}
	return jv.value(x, at.Subtypes, path)
}

// unionTag reports whether the members of a union are told apart by a tag
// field, and its name.
func unionTag(at apiType) (bool, string) {
	for _, st := range at.Subtypes {
		member, ok := apiTypes[st]
		if ok && len(member.Fields) > 0 && member.Fields[0].Const != "" {
			return true, member.Fields[0].Name
		}
	}
	return false, ""
}

func (jv jsonValidator) object(x any, t string, at apiType, path string) *apiError {
	obj, ok := x.(map[string]any)
	if !ok {
		return jv.fail("%s must be an object of type %s", fieldPath(path), t)
	}
	for _, k := range sortedKeys(obj) {
		if _, ok := fieldOf(at.Fields, k); !ok {
			return jv.fail("unknown field %q in %s", join(path, k), t)
		}
	}
	for _, f := range at.Fields {
		v, present := obj[f.Name]
		if !present || v == nil {
			if f.Required {
				return jv.fail("%s is required in %s", fieldPath(join(path, f.Name)), t)
			}
			continue
		}
		if err := jv.value(v, f.Types, join(path, f.Name)); err != nil {
			return err
		}
		if f.Const != "" && v != f.Const {
			return jv.fail("%s must be %q", fieldPath(join(path, f.Name)), f.Const)
		}
	}
	if t == "InlineKeyboardButton" {
		return checkInlineButton(obj)
	}
	return nil
}

// inlineActions are the fields of which an inline keyboard button must use
// exactly one.
var inlineActions = []string{
	"url", "callback_data", "web_app", "login_url", "switch_inline_query",
	"switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
	"copy_text", "callback_game", "pay",
}

// checkInlineButton applies the rules the type facts cannot express:
// callback_data is 1-64 bytes, a URL is http(s) or tg://, and the button does
// something. go-telegram/bot sends every button with "copy_text":{"text":""}
// (a value field); an empty copy_text is therefore not counted as an action.
func checkInlineButton(obj map[string]any) *apiError {
	if text, _ := obj["text"].(string); strings.TrimSpace(text) == "" {
		return badRequest("BUTTON_TEXT_INVALID")
	}
	actions := 0
	emptyCopy := false
	for _, a := range inlineActions {
		v, ok := obj[a]
		if !ok || v == nil {
			continue
		}
		if a == "copy_text" {
			if ct, _ := v.(map[string]any); ct != nil && ct["text"] == "" {
				emptyCopy = true
				continue
			}
		}
		actions++
	}
	if data, ok := obj["callback_data"].(string); ok {
		if len(data) == 0 || len(data) > 64 {
			return badRequest("BUTTON_DATA_INVALID")
		}
	}
	if u, ok := obj["url"].(string); ok {
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https" && pu.Scheme != "tg") || (pu.Scheme != "tg" && pu.Host == "") {
			return badRequest("BUTTON_URL_INVALID")
		}
	}
	if actions == 0 {
		if emptyCopy {
			// What go-telegram/bot sends for a button whose callback_data
			// was left empty (and so omitted).
			return badRequest("BUTTON_DATA_INVALID")
		}
		return badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
	}
	return nil
}

// attachNames lists the file parts that parameters refer to as attach://name.
func attachNames(params map[string]string) map[string]bool {
	m := map[string]bool{}
	for _, v := range params {
		for rest := v; ; {
			i := strings.Index(rest, "attach://")
			if i < 0 {
				break
			}
			rest = rest[i+len("attach://"):]
			end := strings.IndexAny(rest, "\"' ,}]")
			if end < 0 {
				end = len(rest)
			}
			m[rest[:end]] = true
		}
	}
	return m
}

func hasType(types []string, t string) bool {
	for _, x := range types {
		if x == t {
			return true
		}
	}
	return false
}

func isPrimitiveList(types []string) bool {
	for _, t := range types {
		switch t {
		case "String", "Integer", "Float", "Boolean", "InputFile":
		default:
			return false
		}
	}
	return true
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func fieldPath(path string) string {
	if path == "" {
		return "the value"
	}
	return "field " + strconv.Quote(path)
}

func sortedNames(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortedUploads(m map[string]upload) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
