package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/oncall"
	"github.com/tipline/tipline/outbox"
)

// testConfig is a complete Config for tests that build a Bot. The program
// takes these settings from cmd/tipline's config; any valid values serve
// here. It never contacts Telegram: the API URL is a closed port.
func testConfig() Config {
	return Config{
		Token:  "123456:test-token",
		APIURL: "http://127.0.0.1:1",
		// The operator's settings.
		Workers: 2, Lease: time.Minute,
		Pacing: outbox.DefaultPacing,
		Limits: flows.DefaultLimits, Emergency: flows.DefaultEmergency,
		Location: time.UTC, SessionTTL: time.Hour, CodeTries: 5, Policy: oncall.DefaultPolicy(),
		ReportsPerHour: 3, ReportsPerDay: 10, MessagesPerMinute: 60,
		Retention: 90 * 24 * time.Hour, AuditRetention: 730 * 24 * time.Hour, DeadLetterTTL: 14 * 24 * time.Hour,
		RouteTick: time.Second, UnroutedCheck: time.Minute,
	}
}

// TestNewRefusesMissingSettings: the operator's settings have one source,
// cmd/tipline's config; a Config without them is refused, never quietly
// filled with values of bot's own.
func TestNewRefusesMissingSettings(t *testing.T) {
	_, err := New(Config{Token: "123456:test-token", APIURL: "http://127.0.0.1:1", Lease: time.Minute}, Parts{})
	if err == nil {
		t.Fatal("New accepted a config without the operator's settings")
	}
	for _, name := range []string{"Workers", "Location", "Policy", "Retention", "SessionTTL", "DeadLetterTTL"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
	if strings.Contains(err.Error(), "Lease") || strings.Contains(err.Error(), "APIURL") {
		t.Errorf("error %q names a setting that was given", err)
	}
}
