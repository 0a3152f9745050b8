package deploy

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"
)

const chartDir = "helm/pixmill"

// valueSets are the two ways `make chart-test` renders the chart: its own
// defaults, and every optional part on.
var valueSets = []struct {
	name  string
	files []string
}{
	{"defaults", nil},
	{"all-on", []string{chartDir + "/ci/all-on-values.yaml"}},
}

// helm finds the helm binary `make chart-test` installs; outside CI a
// missing helm skips, in CI it fails.
func helm(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("helm")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("helm is not on PATH (make chart-test installs it): %v", err)
		}
		t.Skipf("helm is not on PATH (make chart-test installs it): %v", err)
	}
	return p
}

func runHelm(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(helm(t), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return out
}

func valuesArgs(files []string) []string {
	var args []string
	for _, f := range files {
		args = append(args, "--values", f)
	}
	return args
}

func TestChartLintStrict(t *testing.T) {
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			out := runHelm(t, append([]string{"lint", "--strict", chartDir}, valuesArgs(vs.files)...)...)
			if !bytes.Contains(out, []byte("0 chart(s) failed")) {
				t.Fatalf("helm lint --strict:\n%s", out)
			}
		})
	}
}

// object is one rendered manifest, decoded strictly into its API type.
type object struct {
	kind, name string
	v          any
}

// newObject returns the Kubernetes API type for apiVersion/kind; a kind the
// chart is not expected to render is an error.
func newObject(apiVersion, kind string) (any, error) {
	switch apiVersion + "/" + kind {
	case "apps/v1/Deployment":
		return &appsv1.Deployment{}, nil
	case "v1/Service":
		return &corev1.Service{}, nil
	case "v1/ConfigMap":
		return &corev1.ConfigMap{}, nil
	case "v1/Secret":
		return &corev1.Secret{}, nil
	case "v1/ServiceAccount":
		return &corev1.ServiceAccount{}, nil
	case "autoscaling/v2/HorizontalPodAutoscaler":
		return &autoscalingv2.HorizontalPodAutoscaler{}, nil
	case "policy/v1/PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}, nil
	case "monitoring.coreos.com/v1/ServiceMonitor":
		return &monitoringv1.ServiceMonitor{}, nil
	}
	return nil, fmt.Errorf("unexpected %s %s", apiVersion, kind)
}

// render runs helm template and decodes every document strictly: a field
// the API type does not have, or a duplicate field, fails the test.
func render(t *testing.T, files []string) map[string]object {
	t.Helper()
	out := runHelm(t, append([]string{"template", "px", chartDir, "--namespace", "images"}, valuesArgs(files)...)...)
	objs := map[string]object{}
	for i, doc := range strings.Split(string(out), "\n---") {
		if strings.TrimSpace(stripComments(doc)) == "" {
			continue
		}
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			t.Fatalf("document %d: %v\n%s", i, err, doc)
		}
		v, err := newObject(head.APIVersion, head.Kind)
		if err != nil {
			t.Fatalf("document %d (%s): %v", i, head.Metadata.Name, err)
		}
		if err := yaml.UnmarshalStrict([]byte(doc), v); err != nil {
			t.Fatalf("%s %s does not decode strictly: %v\n%s", head.Kind, head.Metadata.Name, err, doc)
		}
		key := head.Kind + "/" + head.Metadata.Name
		if _, dup := objs[key]; dup {
			t.Fatalf("%s rendered twice", key)
		}
		objs[key] = object{head.Kind, head.Metadata.Name, v}
	}
	return objs
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, l := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func get[T any](t *testing.T, objs map[string]object, key string) T {
	t.Helper()
	o, ok := objs[key]
	if !ok {
		var names []string
		for k := range objs {
			names = append(names, k)
		}
		t.Fatalf("%s not rendered; rendered: %v", key, names)
	}
	return o.v.(T)
}

func TestChartRendersStrictly(t *testing.T) {
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			objs := render(t, vs.files)
			allOn := vs.name == "all-on"

			d := get[*appsv1.Deployment](t, objs, "Deployment/px-pixmill")
			pod := d.Spec.Template.Spec
			if want := 1 + btoi(allOn); len(pod.Containers) != want {
				t.Fatalf("containers: %d, want %d", len(pod.Containers), want)
			}
			if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
				t.Errorf("pod securityContext does not require non-root: %+v", pod.SecurityContext)
			}
			for _, c := range pod.Containers {
				sc := c.SecurityContext
				if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
					sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
					t.Errorf("container %s: securityContext %+v, want a read-only root fs and no privilege escalation", c.Name, sc)
				}
				if c.ReadinessProbe == nil || c.LivenessProbe == nil {
					t.Errorf("container %s has no readiness or liveness probe", c.Name)
				}
			}
			srv := pod.Containers[0]
			if p := srv.ReadinessProbe.HTTPGet; p == nil || p.Path != "/readyz" {
				t.Errorf("readiness probe %+v, want GET /readyz", srv.ReadinessProbe)
			}
			if p := srv.LivenessProbe.HTTPGet; p == nil || p.Path != "/healthz" {
				t.Errorf("liveness probe %+v, want GET /healthz", srv.LivenessProbe)
			}
			if srv.Resources.Requests.Cpu().IsZero() || srv.Resources.Limits.Memory().IsZero() {
				t.Errorf("server resources %+v: want a CPU request (the HPA needs it) and a memory limit", srv.Resources)
			}

			secret := "px-pixmill"
			if allOn {
				secret = "pixmill-keys"
				if _, ok := objs["Secret/px-pixmill"]; ok {
					t.Errorf("a Secret was rendered although existingSecret is set")
				}
			} else {
				get[*corev1.Secret](t, objs, "Secret/px-pixmill")
			}
			for _, e := range srv.Env {
				if strings.HasPrefix(e.Name, "PIXMILL_SIGNING") || e.Name == "PIXMILL_ADMIN_TOKEN" {
					if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || e.ValueFrom.SecretKeyRef.Name != secret {
						t.Errorf("%s does not come from Secret %s: %+v", e.Name, secret, e.ValueFrom)
					}
				}
			}

			cm := get[*corev1.ConfigMap](t, objs, "ConfigMap/px-pixmill")
			var cfg map[string]any
			if err := yaml.Unmarshal([]byte(cm.Data["config.yaml"]), &cfg); err != nil {
				t.Fatalf("config.yaml in the ConfigMap: %v", err)
			}
			if cfg["metrics_listen"] != ":9090" {
				t.Errorf("metrics_listen %v, want :9090 (a pod is scraped on its IP)", cfg["metrics_listen"])
			}
			// The shared tier: the headless Service's name, the peer port, the
			// secret from the Secret.
			cacheCfg, _ := cfg["cache"].(map[string]any)
			peersCfg, _ := cacheCfg["peers"].(map[string]any)
			if allOn && (peersCfg["dns"] != "px-pixmill-peers.images.svc" || peersCfg["listen"] != ":8081") {
				t.Errorf("cache.peers %v, want dns px-pixmill-peers.images.svc and listen :8081", peersCfg)
			}
			if !allOn && peersCfg["listen"] != nil {
				t.Errorf("cache.peers.listen %v with peers off", peersCfg["listen"])
			}
			peerEnv := false
			for _, e := range srv.Env {
				if e.Name == "PIXMILL_CACHE_PEERS_SECRET" {
					peerEnv = e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Name == secret &&
						e.ValueFrom.SecretKeyRef.Key == "peer-secret"
				}
			}
			if peerEnv != allOn {
				t.Errorf("PIXMILL_CACHE_PEERS_SECRET from Secret %s key peer-secret: %v, want %v", secret, peerEnv, allOn)
			}
			vision, _ := cfg["vision"].(map[string]any)
			if allOn != (vision["url"] == "http://127.0.0.1:8091") {
				t.Errorf("vision.url %v with the sidecar enabled=%v", vision["url"], allOn)
			}

			get[*autoscalingv2.HorizontalPodAutoscaler](t, objs, "HorizontalPodAutoscaler/px-pixmill")
			get[*policyv1.PodDisruptionBudget](t, objs, "PodDisruptionBudget/px-pixmill")
			get[*corev1.Service](t, objs, "Service/px-pixmill")
			get[*corev1.Service](t, objs, "Service/px-pixmill-metrics")
			if h := get[*corev1.Service](t, objs, "Service/px-pixmill-peers"); h.Spec.ClusterIP != corev1.ClusterIPNone {
				t.Errorf("peers Service is not headless: clusterIP %q", h.Spec.ClusterIP)
			}
			for _, p := range get[*corev1.Service](t, objs, "Service/px-pixmill").Spec.Ports {
				if p.TargetPort.String() == "metrics" {
					t.Errorf("the public Service exposes the metrics port")
				}
			}
			_, hasSM := objs["ServiceMonitor/px-pixmill"]
			if hasSM != allOn {
				t.Errorf("ServiceMonitor rendered=%v, want %v", hasSM, allOn)
			}

			for i, c := range pod.Containers {
				checkTracingEnv(t, c, allOn, []string{"pixmill", "pixmill-vision"}[i])
			}

			if allOn {
				v := pod.Containers[1]
				gpu := v.Resources.Limits["nvidia.com/gpu"]
				if gpu.Value() != 1 {
					t.Errorf("vision container GPU limit %v, want 1", v.Resources.Limits)
				}
				if len(pod.Tolerations) == 0 || len(pod.TopologySpreadConstraints) == 0 || len(pod.ImagePullSecrets) == 0 {
					t.Errorf("tolerations, spread or pull secrets from the values are missing")
				}
				if _, ok := objs["Deployment/px-pixmill"]; !ok || d.Spec.Replicas != nil {
					t.Errorf("with the HPA on, the Deployment sets replicas %v", d.Spec.Replicas)
				}
			}
		})
	}
}

// checkTracingEnv: with tracing on (the all-on values), a container gets the
// OTEL_* variables from tracing.*, its own service name, resource attributes
// whose $(VAR) references name variables defined before them (Kubernetes
// expands only those), and tracing.env; with tracing off, no OTEL_* at all.
func checkTracingEnv(t *testing.T, c corev1.Container, on bool, service string) {
	t.Helper()
	env := map[string]corev1.EnvVar{}
	defined := map[string]bool{}
	for _, e := range c.Env {
		if strings.Contains(e.Value, "$(") {
			for _, ref := range envRef.FindAllStringSubmatch(e.Value, -1) {
				if !defined[ref[1]] {
					t.Errorf("container %s: %s refers to $(%s), not defined before it", c.Name, e.Name, ref[1])
				}
			}
		}
		env[e.Name] = e
		defined[e.Name] = true
	}
	if !on {
		for name := range env {
			if strings.HasPrefix(name, "OTEL_") {
				t.Errorf("container %s: %s set with tracing off", c.Name, name)
			}
		}
		return
	}
	want := map[string]string{
		"OTEL_TRACES_EXPORTER":        "otlp",
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel-collector.observability:4318",
		"OTEL_SERVICE_NAME":           service,
		"OTEL_TRACES_SAMPLER":         "parentbased_traceidratio",
		"OTEL_TRACES_SAMPLER_ARG":     "0.05",
	}
	for name, v := range want {
		if got := env[name].Value; got != v {
			t.Errorf("container %s: %s=%q, want %q", c.Name, name, got, v)
		}
	}
	attrs := env["OTEL_RESOURCE_ATTRIBUTES"].Value
	for _, a := range []string{"k8s.pod.name=$(K8S_POD_NAME)", "k8s.container.name=" + c.Name, "deployment.environment=test"} {
		if !strings.Contains(attrs, a) {
			t.Errorf("container %s: OTEL_RESOURCE_ATTRIBUTES %q lacks %s", c.Name, attrs, a)
		}
	}
	if h := env["OTEL_EXPORTER_OTLP_HEADERS"]; h.ValueFrom == nil || h.ValueFrom.SecretKeyRef == nil || h.ValueFrom.SecretKeyRef.Name != "otel-headers" {
		t.Errorf("container %s: tracing.env (OTEL_EXPORTER_OTLP_HEADERS from a Secret) not passed: %+v", c.Name, h)
	}
}

var envRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// The chart's files exist where the docs say.
func TestChartFiles(t *testing.T) {
	for _, f := range []string{"Chart.yaml", "values.yaml", "ci/all-on-values.yaml", "templates/deployment.yaml"} {
		if _, err := os.Stat(filepath.Join(chartDir, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestChartConfigStarts starts the real server (built from this checkout)
// on each value set's rendered config.yaml, as the pod would with the
// ConfigMap mounted, and waits for /readyz: a key the server does not know,
// or a bad value, fails here rather than in a cluster. Only the listen
// addresses are moved to free loopback ports (PIXMILL_LISTEN,
// PIXMILL_METRICS_LISTEN); the working directory is the repository root, as
// the image's /srv/pixmill holds samples/.
func TestChartConfigStarts(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "pixmill")
	b := exec.Command("go", "build", "-o", bin, "./cmd/pixmill")
	b.Dir = root
	if out, err := b.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/pixmill: %v\n%s", err, out)
	}
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			cm := get[*corev1.ConfigMap](t, render(t, vs.files), "ConfigMap/px-pixmill")
			cfg := filepath.Join(t.TempDir(), "config.yaml")
			if err := os.WriteFile(cfg, []byte(cm.Data["config.yaml"]), 0o644); err != nil {
				t.Fatal(err)
			}
			port := freePort(t)
			env := []string{
				"PIXMILL_LISTEN=127.0.0.1:" + port,
				"PIXMILL_METRICS_LISTEN=127.0.0.1:" + freePort(t),
				"PIXMILL_SIGNING_KEYS=chart-test-signing-key-0123456789",
			}
			if strings.Contains(cm.Data["config.yaml"], "peers:") {
				// The peer port on loopback, the secret the Secret would give,
				// and no DNS query leaving the machine for the cluster's name.
				env = append(env, "PIXMILL_CACHE_PEERS_LISTEN=127.0.0.1:"+freePort(t),
					"PIXMILL_CACHE_PEERS_SECRET=chart-test-peer-secret-0001", "PIXMILL_CACHE_PEERS_DNS=")
			}
			start(t, bin, env, "serve", "--config", cfg)
			waitOK(t, "http://127.0.0.1:"+port+"/readyz")
		})
	}
}
