{{- define "pixmill.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "pixmill.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "pixmill.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pixmill.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "pixmill.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "pixmill.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "pixmill.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "pixmill.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "pixmill.secretName" -}}
{{- default (include "pixmill.fullname" .) .Values.secret.existingSecret }}
{{- end }}

{{/* The config file: the values' config, with vision.url pointing at the sidecar when it is on. */}}
{{- define "pixmill.config" -}}
{{- $cfg := deepCopy .Values.config }}
{{- if .Values.vision.enabled }}
{{- $vision := default dict (get $cfg "vision") }}
{{- $_ := set $vision "url" (printf "http://127.0.0.1:%d" (int .Values.vision.port)) }}
{{- $_ := set $cfg "vision" $vision }}
{{- end }}
{{- if .Values.peers.enabled }}
{{- /* The shared tier: every pod finds the others by the headless Service's
       DNS name; the secret comes from the Secret (PIXMILL_CACHE_PEERS_SECRET). */}}
{{- $cache := default dict (get $cfg "cache") }}
{{- $peers := default dict (get $cache "peers") }}
{{- $_ := set $peers "listen" (printf ":%d" (int .Values.peers.port)) }}
{{- $_ := set $peers "dns" (printf "%s-peers.%s.svc" (include "pixmill.fullname" .) .Release.Namespace) }}
{{- $_ := set $peers "refresh" .Values.peers.refresh }}
{{- $_ := set $peers "timeout" .Values.peers.timeout }}
{{- $_ := set $cache "peers" $peers }}
{{- $_ := set $cfg "cache" $cache }}
{{- end }}
{{- toYaml $cfg }}
{{- end }}

{{/*
The OpenTelemetry environment of one container (tracing.enabled): the
standard OTEL_* variables both binaries read (docs/operations.md, "Tracing"),
the pod's identity as resource attributes, then tracing.env as given.
Call with (dict "root" $ "service" "pixmill" "container" "pixmill").
*/}}
{{- define "pixmill.otelEnv" -}}
{{- $t := .root.Values.tracing }}
{{- if $t.enabled }}
- name: OTEL_TRACES_EXPORTER
  value: otlp
{{- with $t.endpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
{{- end }}
- name: OTEL_SERVICE_NAME
  value: {{ .service | quote }}
{{- with $t.sampler }}
- name: OTEL_TRACES_SAMPLER
  value: {{ . | quote }}
{{- end }}
{{- with $t.samplerArg }}
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ . | quote }}
{{- end }}
- name: K8S_POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: K8S_NAMESPACE_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: K8S_NODE_NAME
  valueFrom:
    fieldRef:
      fieldPath: spec.nodeName
{{- $attrs := printf "k8s.pod.name=$(K8S_POD_NAME),k8s.namespace.name=$(K8S_NAMESPACE_NAME),k8s.node.name=$(K8S_NODE_NAME),k8s.container.name=%s" .container }}
{{- with $t.resourceAttributes }}
{{- $attrs = printf "%s,%s" $attrs . }}
{{- end }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ $attrs | quote }}
{{- with $t.env }}
{{ toYaml . }}
{{- end }}
{{- end }}
{{- end }}
