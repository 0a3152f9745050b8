package server_test

import (
	"testing"

	"github.com/pixmill/pixmill/internal/tracing/tracingtest"
	"github.com/pixmill/pixmill/presets"
	"github.com/pixmill/pixmill/vision/sidecar"
	"github.com/pixmill/pixmill/vision/visiontest"
)

// TestTracingExportsRequestSpans turns tracing on through the OTEL_*
// environment, exporting to a real OTLP HTTP receiver on loopback, and
// serves a g=face render with the real vision sidecar: the request's span
// has a child per stage (attributes, fetch, queue, transform, encode), the
// vision client's span nests in transform, and the sidecar's own span,
// made from the traceparent it was sent, is in the same trace under the
// vision span. A second request is an L1 hit that continues the caller's
// traceparent and makes no stage spans.
func TestTracingExportsRequestSpans(t *testing.T) {
	rcv := tracingtest.Start(t) // before the servers: they decide at start whether to trace
	url := visiontest.Start(t, sidecar.Config{})
	s := startServer(t, `
source: { url: "file://`+corpusDir(t)+`" }
signing: { keys: ["`+testKey+`"] }
vision: { url: "`+url+`", timeout: 5s }
`)
	path := s.sign(t, "/w=300,h=300,fit=cover,g=face,f=webp/"+presets.EscapeKey("faces/grace_hopper.jpg"))
	resp, body := s.get(t, path)
	if resp.StatusCode != 200 {
		t.Fatalf("render: %d %s", resp.StatusCode, body)
	}
	const callerTrace = "0af7651916cd43dd8448eb211c80319c"
	resp, body = s.get(t, path, "traceparent", "00-"+callerTrace+"-b7ad6b7169203331-01")
	if resp.StatusCode != 200 || resp.Header.Get("X-Cache") != "HIT" {
		t.Fatalf("second request: %d X-Cache %q %s", resp.StatusCode, resp.Header.Get("X-Cache"), body)
	}

	const route = "GET /{signature}/{transform}/{key}"
	spans := rcv.WaitFor(t, "request, stage and sidecar spans", func(ss []tracingtest.Span) bool {
		n := map[string]int{}
		for _, s := range ss {
			n[s.Name]++
		}
		return n[route] >= 2 && n["encode"] >= 1 && n["vision"] >= 1 && n["sidecar.analyze"] >= 1
	})
	byName := map[string][]tracingtest.Span{}
	for _, sp := range spans {
		byName[sp.Name] = append(byName[sp.Name], sp)
	}
	one := func(name string) tracingtest.Span {
		t.Helper()
		if len(byName[name]) != 1 {
			t.Fatalf("%d spans named %q, want 1: %v", len(byName[name]), name, byName[name])
		}
		return byName[name][0]
	}
	var miss, hit tracingtest.Span
	for _, sp := range byName[route] {
		switch sp.Attrs["pixmill.cache"] {
		case "MISS":
			miss = sp
		case "HIT":
			hit = sp
		}
	}
	for _, tc := range []struct {
		span tracingtest.Span
		want map[string]string
	}{
		{miss, map[string]string{"http.response.status_code": "200", "pixmill.format": "webp", "pixmill.cache": "MISS",
			"http.request.method": "GET", "http.route": "/{signature}/{transform}/{key}", "url.path": path}},
		{hit, map[string]string{"http.response.status_code": "200", "pixmill.format": "webp", "pixmill.cache": "HIT"}},
	} {
		for k, v := range tc.want {
			if tc.span.Attrs[k] != v {
				t.Errorf("request span %s: %s = %q, want %q", tc.span, k, tc.span.Attrs[k], v)
			}
		}
		if tc.span.Service != "pixmill" || tc.span.Attrs["pixmill.request_id"] == "" {
			t.Errorf("request span %s: service %q, request id %q", tc.span, tc.span.Service, tc.span.Attrs["pixmill.request_id"])
		}
	}
	if miss.ParentID != "" {
		t.Errorf("the first request sent no traceparent, yet its span has parent %s", miss.ParentID)
	}
	if hit.TraceID != callerTrace || hit.ParentID != "b7ad6b7169203331" {
		t.Errorf("the L1 hit's span %s does not continue the caller's traceparent", hit)
	}

	// Every stage is a child of the miss's request span, in its trace.
	for _, name := range []string{"attributes", "fetch", "queue", "transform", "encode"} {
		sp := one(name)
		if sp.TraceID != miss.TraceID || sp.ParentID != miss.SpanID {
			t.Errorf("%s span %s: want a child of the request span %s", name, sp, miss)
		}
		if sp.End.Before(sp.Start) || sp.Start.Before(miss.Start) || sp.End.After(miss.End) {
			t.Errorf("%s span %s..%s lies outside the request's %s..%s", name, sp.Start, sp.End, miss.Start, miss.End)
		}
	}
	if k := one("fetch").Attrs["pixmill.key"]; k != "faces/grace_hopper.jpg" {
		t.Errorf("fetch span key %q", k)
	}
	if f := one("encode").Attrs["pixmill.format"]; f != "webp" {
		t.Errorf("encode span format %q", f)
	}
	if !one("transform").End.After(one("fetch").End) || one("encode").Start.Before(one("transform").End) {
		t.Errorf("stages out of order: fetch ends %s, transform %s..%s, encode starts %s",
			one("fetch").End, one("transform").Start, one("transform").End, one("encode").Start)
	}

	// The vision client's span nests in transform; the sidecar's continues
	// it across HTTP, from traceparent alone.
	vis, side := one("vision"), one("sidecar.analyze")
	if vis.TraceID != miss.TraceID || vis.ParentID != one("transform").SpanID || vis.Kind.String() != "SPAN_KIND_CLIENT" {
		t.Errorf("vision span %s (%s): want a client child of transform %s", vis, vis.Kind, one("transform"))
	}
	if side.TraceID != miss.TraceID || side.ParentID != vis.SpanID || side.Kind.String() != "SPAN_KIND_SERVER" {
		t.Errorf("sidecar span %s (%s): want a server span in the request's trace under the vision span %s", side, side.Kind, vis)
	}
	if side.Attrs["http.response.status_code"] != "200" || side.Attrs["vision.faces"] == "" || side.Attrs["vision.faces"] == "0" ||
		vis.Attrs["vision.faces"] != side.Attrs["vision.faces"] {
		t.Errorf("sidecar span %v and vision span %v: want 200 with the faces found", side.Attrs, vis.Attrs)
	}

	// The hit made no stage spans: its trace holds the request span alone.
	for _, sp := range spans {
		if sp.TraceID == hit.TraceID && sp.SpanID != hit.SpanID {
			t.Errorf("an L1 hit made span %s", sp)
		}
	}
}
