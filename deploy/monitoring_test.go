package deploy

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

const (
	rulesFile     = "prometheus/alerts.yaml"
	dashboardFile = "grafana/pixmill.json"
	opsDoc        = "../docs/operations.md"
)

var promql = parser.NewParser(parser.Options{})

// loadRules parses the rule file with Prometheus' own rule-file parser, as
// `promtool check rules` does: unknown fields, bad PromQL, bad templates in
// annotations and bad durations are all errors.
func loadRules(t *testing.T) *rulefmt.RuleGroups {
	t.Helper()
	groups, errs := rulefmt.ParseFile(rulesFile, false, model.LegacyValidation, promql, slog.New(slog.DiscardHandler))
	for _, err := range errs {
		t.Error(err)
	}
	if len(errs) > 0 {
		t.FailNow()
	}
	return groups
}

func TestRulesParse(t *testing.T) {
	groups := loadRules(t)
	alerts, records := 0, 0
	doc, err := os.ReadFile(opsDoc)
	if err != nil {
		t.Fatal(err)
	}
	anchors := markdownAnchors(doc)
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				records++
				continue
			}
			alerts++
			if s := r.Labels["severity"]; s != "critical" && s != "warning" && s != "info" {
				t.Errorf("alert %s: severity %q, want critical, warning or info", r.Alert, s)
			}
			for _, a := range []string{"summary", "description", "runbook"} {
				if r.Annotations[a] == "" {
					t.Errorf("alert %s has no %s annotation", r.Alert, a)
				}
			}
			// The runbook is docs/operations.md#anchor: that heading must exist.
			_, anchor, _ := strings.Cut(r.Annotations["runbook"], "#")
			if !anchors[anchor] {
				t.Errorf("alert %s: runbook %q: docs/operations.md has no heading with anchor %q", r.Alert, r.Annotations["runbook"], anchor)
			}
		}
	}
	if alerts < 6 || records == 0 {
		t.Errorf("%d alerts and %d recording rules; want the SLO burn-rate, saturation and sidecar alerts", alerts, records)
	}
}

// markdownAnchors lists the anchors GitHub makes for the headings of doc.
func markdownAnchors(doc []byte) map[string]bool {
	out := map[string]bool{}
	nonWord := regexp.MustCompile(`[^a-z0-9 _-]`)
	for _, l := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(l, "#") {
			continue
		}
		h := strings.ToLower(strings.TrimSpace(strings.TrimLeft(l, "#")))
		out[strings.ReplaceAll(nonWord.ReplaceAllString(h, ""), " ", "-")] = true
	}
	return out
}

// dashboardExprs returns every PromQL expression of the dashboard (each
// target's expr) with Grafana's variables replaced so that PromQL parses
// it, and the metrics its template variables query.
func dashboardExprs(t *testing.T) (exprs []string, varMetrics []string) {
	t.Helper()
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var dash map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&dash); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	vars := strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$__range", "1h")
	labelValues := regexp.MustCompile(`label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)`)
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				if s, ok := c.(string); ok {
					switch k {
					case "expr":
						exprs = append(exprs, vars.Replace(s))
					case "definition", "query":
						for _, m := range labelValues.FindAllStringSubmatch(s, -1) {
							varMetrics = append(varMetrics, m[1])
						}
					}
				}
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(dash)

	// The shape Grafana needs: unique panel ids, every panel on the data
	// source variable, the rows the operations doc describes.
	ids := map[float64]bool{}
	var rows []string
	for _, p := range dash["panels"].([]any) {
		p := p.(map[string]any)
		id := p["id"].(float64)
		if ids[id] {
			t.Errorf("panel id %v is used twice", id)
		}
		ids[id] = true
		if p["type"] == "row" {
			rows = append(rows, p["title"].(string))
			continue
		}
		if ds, _ := p["datasource"].(map[string]any); ds["uid"] != "${datasource}" {
			t.Errorf("panel %q: datasource %v, want the ${datasource} variable", p["title"], p["datasource"])
		}
	}
	for _, want := range []string{"Traffic", "Latency", "Cache", "Admission", "Vision", "Memory"} {
		found := false
		for _, r := range rows {
			found = found || strings.Contains(r, want)
		}
		if !found {
			t.Errorf("no dashboard row about %s (rows: %q)", want, rows)
		}
	}
	return exprs, varMetrics
}

// metricNames returns the metric names an expression selects.
func metricNames(t *testing.T, where, expr string) []string {
	t.Helper()
	e, err := promql.ParseExpr(expr)
	if err != nil {
		t.Errorf("%s: %v\n%s", where, err, expr)
		return nil
	}
	var names []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			name := vs.Name
			for _, m := range vs.LabelMatchers {
				if m.Name == model.MetricNameLabel {
					name = m.Value
				}
			}
			names = append(names, name)
		}
		return nil
	})
	return names
}

// TestMetricsExported checks that every metric the dashboard and the rules
// name is one a live pixmill server (or its vision sidecar) exports, or one
// the rules record: both are started here from this checkout on loopback
// ports, given a little traffic so that labelled series exist, and scraped.
func TestMetricsExported(t *testing.T) {
	groups := loadRules(t)
	exprs, varMetrics := dashboardExprs(t)

	recorded := map[string]bool{}
	used := map[string][]string{} // metric -> where
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				recorded[r.Record] = true
			}
			where := rulesFile + ": " + r.Record + r.Alert
			for _, n := range metricNames(t, where, r.Expr) {
				used[n] = append(used[n], where)
			}
		}
	}
	for i, e := range exprs {
		where := fmt.Sprintf("%s: expr %d", dashboardFile, i)
		for _, n := range metricNames(t, where, e) {
			used[n] = append(used[n], where)
		}
	}
	for _, n := range varMetrics {
		used[n] = append(used[n], dashboardFile+": template variable")
	}
	if len(used) < 10 {
		t.Fatalf("only %d metric names found in the dashboard and rules", len(used))
	}

	exported := scrapeLive(t)
	var missing []string
	for n, where := range used {
		if !exported[n] && !recorded[n] {
			missing = append(missing, fmt.Sprintf("%s (in %s)", n, strings.Join(where, "; ")))
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("not exported by a live server or sidecar, nor recorded: %s", m)
	}
	t.Logf("%d metric names checked against %d exported", len(used), len(exported))
}

// scrapeLive starts the server and the sidecar from this checkout and
// returns the metric names their /metrics pages hold after some traffic.
func scrapeLive(t *testing.T) map[string]bool {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, cmd := range []string{"pixmill", "pixmill-vision"} {
		b := exec.Command("go", "build", "-o", filepath.Join(dir, cmd), "./cmd/"+cmd)
		b.Dir = root
		if out, err := b.CombinedOutput(); err != nil {
			t.Fatalf("go build ./cmd/%s: %v\n%s", cmd, err, out)
		}
	}
	models := filepath.Join(root, "bin", "vision")
	if _, err := os.Stat(filepath.Join(models, "libonnxruntime.so.1")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the vision runtime is not fetched (make vision): %v", err)
		}
		t.Skipf("the vision runtime is not fetched (make vision): %v", err)
	}

	vport, sport, mport := freePort(t), freePort(t), freePort(t)
	sidecar := start(t, filepath.Join(dir, "pixmill-vision"), nil, "--listen", "127.0.0.1:"+vport, "--models", models, "--providers", "cpu")
	waitOK(t, "http://127.0.0.1:"+vport+"/healthz")

	key := "monitoring-test-signing-key-0123456789"
	cfg := fmt.Sprintf(`listen: "127.0.0.1:%s"
metrics_listen: "127.0.0.1:%s"
source:
  url: "file://%s"
signing:
  keys: [%q]
vision:
  url: "http://127.0.0.1:%s"
cache:
  max_bytes: 40000
  max_item_bytes: 30000
presets:
  thumb: { transform: "w=200,h=200,fit=cover,g=auto,f=auto", widths: [100, 200], public: true }
`, sport, mport, filepath.Join(root, "samples"), key, vport)
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	start(t, filepath.Join(dir, "pixmill"), []string{"PATH=" + os.Getenv("PATH")}, "serve", "--config", cfgPath)
	base := "http://127.0.0.1:" + sport
	waitOK(t, base+"/readyz")

	sign := func(p string) string {
		m := hmac.New(sha256.New, []byte(key))
		m.Write([]byte(p))
		return "/" + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16]) + p
	}
	get := func(path string, want int) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	// Enough for every labelled series: statuses, cache hits and (with a
	// 40 kB cache) evictions, the sidecar's answers, a refusal; then the
	// sidecar stops and a smart crop falls back.
	for _, c := range []struct {
		path string
		want int
	}{
		{"/_/thumb/grace_hopper.jpg", 200},
		{"/_/thumb/grace_hopper.jpg", 200}, // a cache hit
		{sign("/w=200,h=200,fit=cover,g=face,f=webp/group.jpg"), 200},
		{sign("/w=100,f=avif/rose.png"), 200},
		{"/AAAAAAAAAAAAAAAAAAAAAA/w=100/group.jpg", 403},
		{sign("/w=100/missing.jpg"), 404},
		{sign("/w=400,f=jpeg/landscape_exif6.jpg"), 200},
		{sign("/w=400,f=png/rose.png"), 200},
	} {
		get(c.path, c.want)
	}
	names := map[string]bool{}
	scrape(t, "http://127.0.0.1:"+vport+"/metrics", names)
	sidecar.Process.Signal(os.Interrupt)
	sidecar.Wait()
	get(sign("/w=150,h=150,fit=cover,g=face,f=webp/landscape_exif6.jpg"), 200) // not analysed before

	scrape(t, "http://127.0.0.1:"+mport+"/metrics", names)
	return names
}

// scrape adds the metric names of the exposition at u to names.
func scrape(t *testing.T, u string, names map[string]bool) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if i := strings.IndexAny(l, "{ "); i > 0 {
			names[l[:i]] = true
		}
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, p, _ := net.SplitHostPort(l.Addr().String())
	return p
}

// startDir is the working directory of the processes start runs: the
// repository root, where the default config's file://samples resolves.
const startDir = ".."

// start runs a process for the rest of the test; its output goes to the
// test log when the test fails.
func start(t *testing.T, bin string, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = startDir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(bin), out.String())
		}
	})
	return cmd
}

func waitOK(t *testing.T, u string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(u)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s did not answer 200 within 60 s", u)
}
