package harness

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Process is a server running on loopback, started by this process.
type Process struct {
	Name string
	Base string // http://127.0.0.1:PORT
	Addr string // 127.0.0.1:PORT
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{} // closed when the process has exited
}

// FreeAddr returns a loopback address with a port that was free a moment ago.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Spec says how to start a server: the command, its extra environment, the
// address it will listen on, and the path that answers 200 once it is up.
type Spec struct {
	Name   string
	Path   string
	Args   []string
	Env    []string // KEY=VALUE, added to this process's environment
	Addr   string
	Health string
}

// Start runs spec and waits up to 20 s for its health path to answer 200.
// The server's stdout and stderr go to a temporary file, not through this
// process, so that logging costs the server alone; Stop removes it, and a
// failed start prints its tail.
func Start(spec Spec) (*Process, error) {
	logf, err := os.CreateTemp("", "bench-"+spec.Name+"-*.log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(spec.Path, spec.Args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), spec.Env...)
	if err := cmd.Start(); err != nil {
		logf.Close()
		os.Remove(logf.Name())
		return nil, fmt.Errorf("start %s: %w", spec.Name, err)
	}
	p := &Process{Name: spec.Name, Base: "http://" + spec.Addr, Addr: spec.Addr, cmd: cmd, log: logf, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	client := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		select {
		case <-p.done:
			return nil, fmt.Errorf("%s exited at start-up:\n%s", spec.Name, p.tail())
		default:
		}
		if resp, err := client.Get(p.Base + spec.Health); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.Stop()
	return nil, fmt.Errorf("%s did not answer %s within 20s:\n%s", spec.Name, spec.Health, p.tail())
}

// Pid is the server's process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// CPU is the server's CPU time so far.
func (p *Process) CPU() time.Duration { return ProcCPU(p.Pid()) }

// Memory is the server's resident set and high-water mark.
func (p *Process) Memory() Memory { return ProcMemory(p.Pid()) }

// Alive reports whether the process still runs (it was not OOM-killed).
func (p *Process) Alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Stop interrupts the server, waits up to 10 s for it to exit, then kills it.
func (p *Process) Stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	p.log.Close()
	os.Remove(p.log.Name())
}

func (p *Process) tail() string {
	b, _ := os.ReadFile(p.log.Name())
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(bytes.TrimSpace(b))
}

// PixmillKey signs the URLs of every pixmill the bench tools start.
const PixmillKey = "bench-signing-key-0000000001"

// StartPixmill runs bin serve over corpus with a config of its own (log at
// info, as deployed, to a file; no metrics listener) plus extra, a YAML
// fragment of further top-level keys.
func StartPixmill(bin, corpus, extra string, env ...string) (*Process, error) {
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(corpus)
	if err != nil {
		return nil, err
	}
	cfg := filepath.Join(os.TempDir(), "pixmill-bench-"+strconv.Itoa(os.Getpid())+"-"+strings.ReplaceAll(addr, ":", "_")+".yaml")
	body := fmt.Sprintf("listen: %q\nmetrics_listen: \"\"\nsource: { url: \"file://%s\" }\nsigning: { keys: [%q] }\n%s\n", addr, abs, PixmillKey, extra)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		return nil, err
	}
	defer os.Remove(cfg) // read once at start-up
	return Start(Spec{Name: "pixmill", Path: bin, Args: []string{"serve", "--config", cfg}, Env: env, Addr: addr, Health: "/healthz"})
}
