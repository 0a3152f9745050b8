package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/build"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pixmill/pixmill/internal/fault"
)

// versityGW is a running versitygw S3 gateway with a posix backend.
type versityGW struct {
	Endpoint string // http://127.0.0.1:PORT
	Root     string // posix root: every directory in it is a bucket
}

const (
	gwAccess = "pixmilltest"
	gwSecret = "pixmill-test-secret-0123456789"
	gwRegion = "us-east-1"
)

// findVersityGW looks on PATH, then in GOBIN and GOPATH/bin, where
// scripts/install-versitygw.sh puts it.
func findVersityGW() (string, error) {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	var dirs []string
	if out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output(); err == nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) == 2 {
			dirs = append(dirs, strings.TrimSpace(lines[0]), filepath.Join(strings.TrimSpace(lines[1]), "bin"))
		}
	}
	dirs = append(dirs, filepath.Join(build.Default.GOPATH, "bin"))
	for _, d := range dirs {
		p := filepath.Join(d, "versitygw")
		if d != "" && d != "bin" {
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
	}
	return "", errors.New("versitygw not found on PATH or in $(go env GOPATH)/bin; run scripts/install-versitygw.sh")
}

// startVersityGW starts versitygw on a free 127.0.0.1 port with a posix root
// in a temporary directory, and stops it when the test ends. Without the
// binary the test is skipped, or fails when CI=true.
func startVersityGW(t *testing.T) *versityGW {
	t.Helper()
	bin, err := findVersityGW()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	root := t.TempDir()
	var lastErr error
	for range 3 { // the free port may be taken before versitygw binds it
		gw, err := runVersityGW(t, bin, root)
		if err == nil {
			return gw
		}
		lastErr = err
	}
	t.Fatalf("versitygw did not start: %v", lastErr)
	return nil
}

func runVersityGW(t *testing.T, bin, root string) (*versityGW, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()

	logPath := filepath.Join(t.TempDir(), "versitygw.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "--port", addr, "--access", gwAccess, "--secret", gwSecret,
		"--region", gwRegion, "--quiet", "posix", root)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID=", "ROOT_SECRET_ACCESS_KEY=")
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}

	endpoint := "http://" + addr
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for {
		// Any HTTP answer (403 to an unsigned request) means it is serving.
		if resp, err := client.Get(endpoint + "/"); err == nil {
			resp.Body.Close()
			t.Cleanup(stop)
			return &versityGW{Endpoint: endpoint, Root: root}, nil
		}
		select {
		case err := <-exited:
			log, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("exited: %v: %s", err, log)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			log, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("no answer on %s after 20s: %s", addr, log)
		}
	}
}

// Bucket creates a bucket (a directory in the posix root) and returns the
// gocloud URL for it, with the credentials in the environment.
func (gw *versityGW) Bucket(t *testing.T, name string) string {
	t.Helper()
	if err := os.Mkdir(filepath.Join(gw.Root, name), 0o755); err != nil {
		t.Fatal(err)
	}
	s3Env(t, gwAccess, gwSecret)
	return s3URL(name, gw.Endpoint)
}

// s3URL is the source.url form for an S3-compatible server: path-style
// requests to an explicit plain-HTTP endpoint.
func s3URL(bucket, endpoint string) string {
	q := url.Values{
		"endpoint":       {endpoint},
		"region":         {gwRegion},
		"use_path_style": {"true"},
		"disable_https":  {"true"},
	}
	return "s3://" + bucket + "?" + q.Encode()
}

// s3Env gives the AWS SDK these credentials and nothing from the machine.
func s3Env(t *testing.T, access, secret string) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           access,
		"AWS_SECRET_ACCESS_KEY":       secret,
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
}

func TestS3(t *testing.T) {
	gw := startVersityGW(t)
	bucketURL := gw.Bucket(t, "originals")
	s := openStore(t, Config{URL: bucketURL, MaxBytes: 1 << 20})
	ctx := context.Background()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}

	objects := map[string][]byte{
		"cat.jpg":                               []byte("\xff\xd8\xff cat"),
		"photos/2024/dog.png":                   bytes.Repeat([]byte("dog"), 100_000),
		"name with spaces & ünïcode.jpg":        []byte("unicode"),
		"dir/name with spaces & ünïcode+?#.jpg": []byte("query-like characters"),
	}
	for key, data := range objects {
		put(t, s, key, data)
	}
	for key, data := range objects {
		a, err := s.Attributes(ctx, key)
		if err != nil {
			t.Fatalf("Attributes(%q): %v", key, err)
		}
		obj, err := s.Read(ctx, key)
		if err != nil {
			t.Fatalf("Read(%q): %v", key, err)
		}
		if !bytes.Equal(obj.Data, data) || a.Size != int64(len(data)) {
			t.Errorf("Read(%q): %d bytes (attributes %d), want %d", key, len(obj.Data), a.Size, len(data))
		}
		if a.ETag == "" || a.Version() != obj.Version() || strings.Contains(a.Version(), `"`) {
			t.Errorf("%q: ETag %q, versions %q and %q", key, a.ETag, a.Version(), obj.Version())
		}
		known, err := s.ReadKnown(ctx, key, a)
		if err != nil || !bytes.Equal(known.Data, data) || known.Version() != a.Version() {
			t.Errorf("ReadKnown(%q): %d bytes, version %q, %v", key, len(known.Data), known.Version(), err)
		}
	}

	v1 := mustAttributes(t, s, "cat.jpg").Version()
	put(t, s, "cat.jpg", []byte("another cat"))
	if v2 := mustAttributes(t, s, "cat.jpg").Version(); v1 == v2 {
		t.Errorf("version %q did not change with the object", v1)
	}

	put(t, s, "big.jpg", make([]byte, 1<<20+1))
	for _, tt := range []struct {
		key  string
		want fault.Kind
	}{
		{"missing.jpg", fault.NotFound},
		{"photos/2024", fault.NotFound},
		{"big.jpg", fault.TooLarge},
		{"../originals/cat.jpg", fault.BadRequest},
	} {
		_, err := s.Read(ctx, tt.key)
		wantKind(t, "Read("+tt.key+")", err, tt.want)
	}

	// A storage call that cannot finish in time.
	slow := openStore(t, Config{URL: bucketURL, Timeout: time.Nanosecond})
	_, err := slow.Read(ctx, "cat.jpg")
	wantKind(t, "1ns timeout", err, fault.UpstreamTimeout)
	if fault.Message(err) != "source storage timed out" {
		t.Errorf("timeout message %q", fault.Message(err))
	}
}

func TestS3Unavailable(t *testing.T) {
	gw := startVersityGW(t)
	bucketURL := gw.Bucket(t, "originals")
	ctx := context.Background()
	seed := openStore(t, Config{URL: bucketURL})
	put(t, seed, "cat.jpg", []byte("cat"))

	// A port nobody listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()

	s3Env(t, gwAccess, "wrong-secret")
	wrongKey := openStore(t, Config{URL: bucketURL})
	s3Env(t, gwAccess, gwSecret)

	tests := []struct {
		name string
		s    *Store
	}{
		{"wrong secret", wrongKey},
		{"missing bucket", openStore(t, Config{URL: s3URL("nosuchbucket", gw.Endpoint)})},
		{"nothing listening", openStore(t, Config{URL: s3URL("originals", closed), Timeout: time.Second})},
	}
	for _, tt := range tests {
		err := tt.s.Ping(ctx)
		wantKind(t, tt.name+" Ping", err, fault.UpstreamTimeout)
		if tt.name == "missing bucket" {
			continue // reading from it is a plain 404
		}
		_, err = tt.s.Read(ctx, "cat.jpg")
		wantKind(t, tt.name+" Read", err, fault.UpstreamTimeout)
		t.Logf("%s: %v", tt.name, err)
	}
	// Refused credentials are "unavailable", not "timed out". (Connection
	// refused may be either: the SDK retries with backoff until the timeout.)
	if _, err := wrongKey.Read(ctx, "cat.jpg"); fault.Message(err) != "source storage unavailable" {
		t.Errorf("wrong secret: message %q", fault.Message(err))
	}
}
