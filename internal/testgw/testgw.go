// Package testgw starts a real versitygw S3 gateway (posix backend) on
// loopback for the source and server tests: the binary from PATH or $(go env GOPATH)/bin, where
// scripts/install-versitygw.sh puts it; skipped without it, failed when
// CI=true.
package testgw

import (
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
	"sync"
	"testing"
	"time"
)

const (
	Access = "pixmilltest"
	Secret = "pixmill-test-secret-0123456789"
	Region = "us-east-1"
)

// Gateway is a running versitygw.
type Gateway struct {
	Endpoint string // http://127.0.0.1:PORT
	Root     string // posix root: every directory in it is a bucket
	stop     func()
}

// Stop stops the gateway now (it is stopped at the test's end otherwise);
// a test of the store going away calls it mid-run.
func (g *Gateway) Stop() { g.stop() }

func find() (string, error) {
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

// Start starts versitygw on a free 127.0.0.1 port and stops it when the
// test ends.
func Start(t testing.TB) *Gateway {
	t.Helper()
	bin, err := find()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	root := t.TempDir()
	var lastErr error
	for range 3 { // the free port may be taken before versitygw binds it
		gw, err := run(t, bin, root)
		if err == nil {
			return gw
		}
		lastErr = err
	}
	t.Fatalf("versitygw did not start: %v", lastErr)
	return nil
}

func run(t testing.TB, bin, root string) (*Gateway, error) {
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
	cmd := exec.Command(bin, "--port", addr, "--access", Access, "--secret", Secret,
		"--region", Region, "--quiet", "posix", root)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID=", "ROOT_SECRET_ACCESS_KEY=")
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cmd.Process.Signal(os.Interrupt)
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
				cmd.Process.Kill()
				<-exited
			}
		})
	}
	endpoint := "http://" + addr
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for {
		// Any HTTP answer (403 to an unsigned request) means it is serving.
		if resp, err := client.Get(endpoint + "/"); err == nil {
			resp.Body.Close()
			t.Cleanup(stop)
			return &Gateway{Endpoint: endpoint, Root: root, stop: stop}, nil
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

// Bucket creates a bucket and returns its gocloud URL, with the
// credentials in the environment (and nothing from the machine's).
func (g *Gateway) Bucket(t testing.TB, name string) string {
	t.Helper()
	if err := os.Mkdir(filepath.Join(g.Root, name), 0o755); err != nil {
		t.Fatal(err)
	}
	Env(t)
	return URL(name, g.Endpoint)
}

// URL is the gocloud URL of bucket on an S3-compatible endpoint: path-style
// requests over plain HTTP.
func URL(bucket, endpoint string) string {
	q := url.Values{
		"endpoint":       {endpoint},
		"region":         {Region},
		"use_path_style": {"true"},
		"disable_https":  {"true"},
	}
	return "s3://" + bucket + "?" + q.Encode()
}

// Env gives the AWS SDK the gateway's credentials and nothing else.
func Env(t testing.TB) { EnvWith(t, Access, Secret) }

// EnvWith gives the AWS SDK these credentials (a test of refused
// credentials passes wrong ones) and nothing from the machine.
func EnvWith(t testing.TB, access, secret string) {
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
