{{/* The chart's name, and the release's full name (used for every object). */}}
{{- define "netweave.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "netweave.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "netweave.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "netweave.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "netweave.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "netweave.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "netweave.selectorLabels" -}}
app.kubernetes.io/name: {{ include "netweave.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "netweave.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{- define "netweave.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "netweave.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "netweave.secretName" -}}
{{- default (include "netweave.fullname" .) .Values.existingSecret }}
{{- end }}

{{/* The Service's in-cluster names: allowed hosts, and the Host header of the probes. */}}
{{- define "netweave.serviceHosts" -}}
{{- $name := include "netweave.fullname" . -}}
{{- list $name (printf "%s.%s" $name .Release.Namespace) (printf "%s.%s.svc" $name .Release.Namespace) (printf "%s.%s.svc.cluster.local" $name .Release.Namespace) | join "," }}
{{- end }}

{{/*
The non-secret settings as a YAML map (the ConfigMap's data, also the migration hook's). Settings that are
secrets are refused here, so they can only come from the Secret.
*/}}
{{- define "netweave.settings" -}}
{{- $settings := dict -}}
{{- range $name, $value := .Values.settings }}
{{- if or (hasKey $.Values.secretEnv $name) (has $name (list "DJANGO_SECRET_KEY" "DATABASE_URL" "CELERY_BROKER_URL" "NETWEAVE_SECRETS_KEYS" "NETWEAVE_TOKEN_PEPPER")) }}
{{- fail (printf "settings.%s is a secret: put it in the existing Secret and list it in secretEnv" $name) }}
{{- end }}
{{- $_ := set $settings $name (toString $value) }}
{{- end }}
{{- $hosts := concat (list (include "netweave.serviceHosts" .)) .Values.allowedHosts .Values.ingress.hosts -}}
{{- $_ := set $settings "DJANGO_ALLOWED_HOSTS" (join "," $hosts) }}
{{- $_ := set $settings "NETWEAVE_DATA_DIR" "/var/lib/netweave" }}
{{- if not (hasKey $settings "NETWEAVE_OCLOUD_SERVICE_URI") }}
{{- if and .Values.ingress.enabled .Values.ingress.hosts }}
{{- $scheme := ternary "https" "http" (gt (len .Values.ingress.tls) 0) }}
{{- $_ := set $settings "NETWEAVE_OCLOUD_SERVICE_URI" (printf "%s://%s" $scheme (first .Values.ingress.hosts)) }}
{{- else }}
{{- $_ := set $settings "NETWEAVE_OCLOUD_SERVICE_URI" (printf "http://%s.%s.svc:%v" (include "netweave.fullname" .) .Release.Namespace .Values.service.port) }}
{{- end }}
{{- end }}
{{- toYaml $settings }}
{{- end }}

{{/* Environment of every netweave container: the secrets by reference, then extraEnv. */}}
{{- define "netweave.env" -}}
{{- $secret := include "netweave.secretName" . -}}
{{- range $name, $ref := .Values.secretEnv }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $ref.key }}
      {{- if $ref.optional }}
      optional: true
      {{- end }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Writable places under a read-only root filesystem: the data directory and /tmp. */}}
{{- define "netweave.volumeMounts" -}}
- name: data
  mountPath: /var/lib/netweave
- name: tmp
  mountPath: /tmp
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "netweave.volumes" -}}
- name: data
  emptyDir: {}
- name: tmp
  emptyDir: {}
{{- with .Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}
