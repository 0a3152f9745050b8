package presets

import (
	"errors"
	"testing"

	"github.com/pixmill/pixmill/internal/fault"
)

// The vectors below were computed independently of this code with openssl:
//
//	printf '%s' '/w=400,f=webp/photos/cat.jpg' | openssl dgst -sha256 -hmac 'secret' -binary | head -c 16 | basenc --base64url | tr -d '='
//
// and the same with head -c 8 / head -c 32 (basenc -w0), -hmac 'old-secret',
// and the path '/thumb/photos/name%20with%20spaces%20%26%20%C3%BC.jpg'.
const (
	vecPath     = "/w=400,f=webp/photos/cat.jpg"
	vecSig16    = "SleOGMTV_1vS7zPD69E-3w"
	vecSig8     = "SleOGMTV_1s"
	vecSig32    = "SleOGMTV_1vS7zPD69E-3_PS1a_yDLak9e3QGMQHVmQ"
	vecOldSig16 = "2lKYILrAoLxxPbEjAhKpZw" // key "old-secret"
	vecEscPath  = "/thumb/photos/name%20with%20spaces%20%26%20%C3%BC.jpg"
	vecEscSig16 = "1twgpUImyX-692sb1BoNGw"
)

func TestSignatureVectors(t *testing.T) {
	tests := []struct {
		key, path string
		size      int
		want      string
	}{
		{"secret", vecPath, 16, vecSig16},
		{"secret", vecPath, 8, vecSig8},
		{"secret", vecPath, 32, vecSig32},
		{"old-secret", vecPath, 16, vecOldSig16},
		{"secret", vecEscPath, 16, vecEscSig16},
	}
	for _, tt := range tests {
		if got := Signature([]byte(tt.key), tt.path, tt.size); got != tt.want {
			t.Errorf("Signature(%q, %q, %d) = %q, want %q", tt.key, tt.path, tt.size, got, tt.want)
		}
	}
}

func TestParseSigned(t *testing.T) {
	size := func(n int) func(*Config) { return func(c *Config) { c.SignatureSize = n } }
	keys := func(ks ...string) func(*Config) {
		return func(c *Config) {
			c.Keys = nil
			for _, k := range ks {
				c.Keys = append(c.Keys, []byte(k))
			}
		}
	}
	tests := []struct {
		name string
		cfg  func(*Config)
		path string
		want fault.Kind // Internal = success here
	}{
		{"size 16", size(16), "/" + vecSig16 + vecPath, fault.Internal},
		{"default size is 16", func(*Config) {}, "/" + vecSig16 + vecPath, fault.Internal},
		{"size 8", size(8), "/" + vecSig8 + vecPath, fault.Internal},
		{"size 32", size(32), "/" + vecSig32 + vecPath, fault.Internal},
		{"16-byte signature at size 8", size(8), "/" + vecSig16 + vecPath, fault.Forbidden},
		{"8-byte signature at size 16", size(16), "/" + vecSig8 + vecPath, fault.Forbidden},
		{"rotation: second key verifies", keys("new-secret", "secret"), "/" + vecSig16 + vecPath, fault.Internal},
		{"rotation: old key verifies", keys("secret", "old-secret"), "/" + vecOldSig16 + vecPath, fault.Internal},
		{"retired key", keys("new-secret"), "/" + vecSig16 + vecPath, fault.Forbidden},
		{"no keys", keys(), "/" + vecSig16 + vecPath, fault.Forbidden},
		{"escaped key signed as sent", size(16), "/" + vecEscSig16 + vecEscPath, fault.Internal},
		{"same key escaped differently", size(16), "/" + vecEscSig16 + "/thumb/photos/name%20with%20spaces%20&%20%C3%BC.jpg", fault.Forbidden},
		{"transform changed", size(16), "/" + vecSig16 + "/w=401,f=webp/photos/cat.jpg", fault.Forbidden},
		{"key changed", size(16), "/" + vecSig16 + "/w=400,f=webp/photos/dog.jpg", fault.Forbidden},
		{"missing signature", size(16), "/" + vecPath, fault.Forbidden},
		{"bad signature, unsigned allowed", func(c *Config) { c.AllowUnsigned = true }, "/AAAAAAAAAAAAAAAAAAAAAA" + vecPath, fault.Forbidden},
		{"padded", size(16), "/" + vecSig16 + "==" + vecPath, fault.Forbidden},
		{"std base64 alphabet", size(16), "/SleOGMTV/1vS7zPD69E+3w" + vecPath, fault.Forbidden},
		{"bad signature beats bad key", size(16), "/" + vecSig16 + "/w=400/../x", fault.Forbidden},
		{"good signature, bad transform", size(16), "/" + Signature([]byte("secret"), "/w=0/k.jpg", 16) + "/w=0/k.jpg", fault.BadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newParser(t, tt.cfg)
			req, err := p.Parse(tt.path)
			if tt.want != fault.Internal {
				if err == nil || fault.KindOf(err) != tt.want {
					t.Fatalf("Parse(%q) = %v, want %v", tt.path, err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.path, err)
			}
			if !req.Signed || req.Signature == "_" {
				t.Fatalf("Parse(%q): Signed = %v, Signature %q", tt.path, req.Signed, req.Signature)
			}
		})
	}
}

// TestParseSignatureByteChanged: changing any one character of a good
// signature is refused.
func TestParseSignatureByteChanged(t *testing.T) {
	p := newParser(t)
	for i := range len(vecSig16) {
		sig := []byte(vecSig16)
		sig[i] ^= 1 // stays in the base64url alphabet for these characters, or leaves it: both must fail
		_, err := p.Parse("/" + string(sig) + vecPath)
		wantErr(t, err, fault.Forbidden, "bad signature")
	}
}

func TestSign(t *testing.T) {
	p := newParser(t)
	got, err := p.Sign(vecPath)
	if err != nil || got != "/"+vecSig16+vecPath {
		t.Fatalf("Sign(%q) = %q, %v; want %q", vecPath, got, err, "/"+vecSig16+vecPath)
	}
	if req, err := p.Parse(got); err != nil || !req.Signed {
		t.Fatalf("Parse(Sign(...)) = %+v, %v", req, err)
	}

	// Keys[0] signs; the others only verify.
	rot := newParser(t, func(c *Config) { c.Keys = [][]byte{[]byte("old-secret"), []byte("secret")} })
	if got, _ := rot.Sign(vecPath); got != "/"+vecOldSig16+vecPath {
		t.Errorf("Sign with rotation = %q, want Keys[0]'s %q", got, vecOldSig16)
	}

	for path, msg := range map[string]string{
		"/w=0/k.jpg":     "width: 0 is out of range 1..8192",
		"/w=1/../k.jpg":  `source key: contains a ".." segment`,
		"w=1/k.jpg":      "path to sign must be /{transform}/{source-key}",
		"/w=1":           "path to sign must be /{transform}/{source-key}",
		"/sig/w=1/k.jpg": `unknown preset "sig"`,
	} {
		_, err := p.Sign(path)
		wantErr(t, err, fault.BadRequest, msg)
	}

	none := newParser(t, func(c *Config) { c.Keys = nil })
	if _, err := none.Sign(vecPath); !errors.Is(err, errNoKeys) {
		t.Errorf("Sign with no keys = %v, want errNoKeys", err)
	}
}

// TestParseConcurrent: a Parser is shared by every request; the pooled HMAC
// states must not leak between goroutines (run with -race).
func TestParseConcurrent(t *testing.T) {
	p := newParser(t, func(c *Config) { c.Keys = [][]byte{[]byte("old-secret"), []byte("secret")} })
	paths := []string{"/" + vecSig16 + vecPath, "/" + vecOldSig16 + vecPath, "/" + vecEscSig16 + vecEscPath}
	done := make(chan error)
	for g := range 8 {
		go func() {
			var err error
			for i := range 200 {
				if _, err = p.Parse(paths[(g+i)%len(paths)]); err != nil {
					break
				}
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
