package config

import (
	"testing"

	"github.com/pixmill/pixmill/server"
)

// The playground is off unless asked for, from the file or the environment.
func TestPlaygroundConfig(t *testing.T) {
	tests := []struct {
		name, body, env string
		want            server.PlaygroundConfig
	}{
		{"default: off", "", "", server.PlaygroundConfig{}},
		{"enabled", "playground: { enabled: true }", "", server.PlaygroundConfig{Enabled: true}},
		{"remote too", "playground: { enabled: true, allow_remote: true }", "", server.PlaygroundConfig{Enabled: true, AllowRemote: true}},
		{"from the environment", "", "PIXMILL_PLAYGROUND_ENABLED", server.PlaygroundConfig{Enabled: true}},
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
			if got := c.ServerConfig().Playground; got != tt.want {
				t.Errorf("playground = %+v, want %+v", got, tt.want)
			}
		})
	}
}
