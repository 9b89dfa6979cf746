package locales

import (
	"time"

	"github.com/tipline/tipline/locales/script"
)

// The text helpers moved to package script. These wrappers keep code written
// against the old names building while branches merge; call script directly.

// Digits is script.Digits.
//
// Deprecated: use script.Digits.
func Digits(s string) string { return script.Digits(s) }

// Clean is script.Clean.
//
// Deprecated: use script.Clean.
func Clean(s string) string { return script.Clean(s) }

// Truncate is script.Truncate.
//
// Deprecated: use script.Truncate.
func Truncate(s string, max int) string { return script.Truncate(s, max) }

// Length is script.Length.
//
// Deprecated: use script.Length.
func Length(s string) int { return script.Length(s) }

// Phone is script.Phone.
//
// Deprecated: use script.Phone.
func Phone(s, defaultCountry string) (string, bool) { return script.Phone(s, defaultCountry) }

// Age is script.Age.
//
// Deprecated: use script.Age.
func Age(s string) (int, bool) { return script.Age(s) }

// Date is script.Date.
//
// Deprecated: use script.Date.
func Date(s string, now time.Time, loc *time.Location) (time.Time, bool) {
	return script.Date(s, now, loc)
}
