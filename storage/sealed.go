package storage

import "slices"

// sealed lists every table with sealed values and its sealed columns, in
// the order Rekey visits them.
var sealed = []struct {
	table   string
	columns []string
}{
	{"inbox", []string{"payload"}},
	{"inbox_dead", []string{"payload"}},
	{"outbox", []string{"chat_id", "payload"}},
	{"cases", []string{"reporter_chat", "answers"}},
	{"attachments", []string{"file_id", "file_unique_id", "content", "caption"}},
	{"additions", []string{"text"}},
	{"notes", []string{"text"}},
	{"notifications", []string{"chat_id"}},
	{"reviewers", []string{"telegram_id", "name"}},
	{"invites", []string{"name"}},
	{"rota", []string{"doc"}},
}

// SealedTables names every table holding sealed values, in the order Rekey
// visits them; OldKeyValues counts each.
func SealedTables() []string {
	out := make([]string, len(sealed))
	for i, t := range sealed {
		out[i] = t.table
	}
	return out
}

// SealedColumns names the sealed columns of each table of SealedTables.
func SealedColumns() map[string][]string {
	out := make(map[string][]string, len(sealed))
	for _, t := range sealed {
		out[t.table] = slices.Clone(t.columns)
	}
	return out
}
