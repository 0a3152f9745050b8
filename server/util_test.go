package server_test

import (
	"strconv"

	"github.com/pixmill/pixmill/presets"
)

func itoa(n int) string { return strconv.Itoa(n) }

func presetsSignature(key []byte, path string) string {
	return presets.Signature(key, path, presets.DefaultSignatureSize)
}
