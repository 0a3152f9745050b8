package config

import "testing"

// The Cloudflare-compatible route is off unless asked for, from the file
// or the environment.
func TestCompatConfig(t *testing.T) {
	tests := []struct {
		name, body, env string
		want            bool
	}{
		{"default: off", "", "", false},
		{"on", "compat: { cloudflare: true }", "", true},
		{"from the environment", "", "PIXMILL_COMPAT_CLOUDFLARE", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env != "" {
				t.Setenv(tt.env, "true")
			}
			c, err := Load(writeConfig(t, tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.ServerConfig().Cloudflare; got != tt.want {
				t.Errorf("compat.cloudflare = %v, want %v", got, tt.want)
			}
		})
	}
}
