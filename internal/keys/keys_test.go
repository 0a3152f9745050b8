package keys

import (
	"strings"
	"testing"

	"github.com/pixmill/pixmill/internal/fault"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		key string
		ok  bool
	}{
		{"cat.jpg", true},
		{"photos/2024/cat.jpg", true},
		{"name with spaces & ünïcode.jpg", true},
		{"日本/写真.png", true},
		{"a..b/c...jpg", true}, // dots inside a segment are fine
		{".hidden/x.jpg", true},
		{"percent%2e%2e/x.jpg", true}, // already decoded by the router: literal text here
		{strings.Repeat("k", MaxBytes), true},

		{"", false},
		{strings.Repeat("k", MaxBytes+1), false},
		{"/etc/passwd", false},
		{"../secret", false},
		{"photos/../../secret", false},
		{"photos/..", false},
		{"..", false},
		{"./cat.jpg", false},
		{"photos/./cat.jpg", false},
		{"photos//cat.jpg", false},
		{"photos/", false},
		{`photos\cat.jpg`, false},
		{`..\..\secret`, false},
		{"cat\x00.jpg", false},
		{"cat\n.jpg", false},
		{"cat\t.jpg", false},
		{"cat\x7f.jpg", false},
		{"cat\u0085.jpg", false}, // C1 control
		{"cat\xff.jpg", false},   // invalid UTF-8
	}
	for _, tt := range tests {
		err := Check(tt.key)
		if tt.ok {
			if err != nil {
				t.Errorf("Check(%q) = %v, want ok", tt.key, err)
			}
			continue
		}
		if fault.KindOf(err) != fault.BadRequest {
			t.Errorf("Check(%q) = %v, want a bad request", strings.ToValidUTF8(tt.key, "?"), err)
		}
		if msg := fault.Message(err); len(tt.key) > 3 && strings.Contains(msg, tt.key) {
			t.Errorf("Check(%q): message %q echoes the key", tt.key, msg)
		}
	}
}
