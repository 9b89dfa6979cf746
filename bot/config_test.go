package bot

import (
	"strings"
	"testing"
	"time"
)

// TestNewRefusesMissingSettings: the operator's settings have one source,
// cmd/tipline's config; a Config without them is refused, never quietly
// filled with values of bot's own.
func TestNewRefusesMissingSettings(t *testing.T) {
	_, err := New(Config{Token: "123456:test-token", APIURL: "http://127.0.0.1:1", Lease: time.Minute}, Parts{})
	if err == nil {
		t.Fatal("New accepted a config without the operator's settings")
	}
	for _, name := range []string{"Workers", "Location", "Policy", "Retention", "SessionTTL"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
	if strings.Contains(err.Error(), "Lease") || strings.Contains(err.Error(), "APIURL") {
		t.Errorf("error %q names a setting that was given", err)
	}
}
