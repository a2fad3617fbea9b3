{{/* Names and labels shared by every template. */}}
{{- define "sfm.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sfm.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
fullname-SUFFIX within MAX characters: (list . "SUFFIX" MAX). Kubernetes caps object names
used as label values at 63 and CronJob names at 52 (the Job names it makes add 11).
*/}}
{{- define "sfm.suffixedName" -}}
{{- $ctx := index . 0 -}}
{{- $suffix := index . 1 -}}
{{- $room := sub (index . 2) (add1 (len $suffix)) | int -}}
{{- printf "%s-%s" (include "sfm.fullname" $ctx | trunc $room | trimSuffix "-") $suffix -}}
{{- end -}}

{{- define "sfm.labels" -}}
app.kubernetes.io/name: {{ include "sfm.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* The Deployment's selector: immutable once installed, so it never gains a label. */}}
{{- define "sfm.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sfm.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
The serving pods: what the Service, the PodDisruptionBudget and the NetworkPolicy select. The
migration and audit-prune pods carry the same name and instance with another component, so they
are never sent traffic nor counted as available replicas.
*/}}
{{- define "sfm.serverSelectorLabels" -}}
{{ include "sfm.selectorLabels" . }}
app.kubernetes.io/component: server
{{- end -}}

{{- define "sfm.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "sfm.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "sfm.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The Neo4j password from the existing Secret: all that migrate and audit-prune need. */}}
{{- define "sfm.neo4jPasswordEnv" -}}
- name: SFM_NEO4J_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ required "secrets.existingSecret is required" .Values.secrets.existingSecret }}
      key: neo4j_password
{{- end -}}

{{/* The serving container's environment beyond the ConfigMap. */}}
{{- define "sfm.env" -}}
{{ include "sfm.neo4jPasswordEnv" . }}
- name: SFM_METRICS_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.existingSecret }}
      key: metrics_token
      optional: true
- name: SFM_SECRETS_BACKEND
  value: {{ .Values.secrets.backend | quote }}
{{- if eq .Values.secrets.backend "vault" }}
- name: SFM_VAULT_ADDR
  value: {{ .Values.secrets.vault.address | quote }}
- name: SFM_VAULT_KUBERNETES_ROLE
  value: {{ .Values.secrets.vault.kubernetesRole | quote }}
- name: SFM_VAULT_MOUNT
  value: {{ .Values.secrets.vault.mount | quote }}
- name: SFM_VAULT_PATH
  value: {{ .Values.secrets.vault.path | quote }}
{{- else }}
- name: SFM_SECRETS_DIR
  value: /var/run/secrets/sfm-graphql
{{- end }}
{{- end -}}

{{/*
The non-secret SFM_* settings, as ConfigMap data: one definition for the release's ConfigMap
and the migration hook's copy of it. An extraEnv entry may not redefine a setting the chart
manages (the chart's value would silently win or lose).
*/}}
{{- define "sfm.configData" -}}
{{- $data := dict
  "SFM_ENVIRONMENT" (toString .Values.config.environment)
  "SFM_LOG_LEVEL" (toString .Values.config.logLevel)
  "SFM_GRAPHIQL" (toString .Values.config.graphiql)
  "SFM_NEO4J_URI" (toString .Values.config.neo4jUri)
  "SFM_NEO4J_USER" (toString .Values.config.neo4jUser)
  "SFM_NEO4J_DATABASE" (toString .Values.config.neo4jDatabase)
  "SFM_REDIS_URL" (toString .Values.config.redisUrl)
  "SFM_AUTH_ISSUER" (toString .Values.config.authIssuer)
  "SFM_AUTH_AUDIENCE" (toString .Values.config.authAudience)
  "SFM_CORS_ORIGINS" (toJson .Values.config.corsOrigins)
  "SFM_TRACE_SAMPLE_RATIO" (toString .Values.config.traceSampleRatio)
  "SFM_AUDIT_RETENTION_DAYS" (toString .Values.config.auditRetentionDays)
  "SFM_MIGRATE_ON_START" (toString (not .Values.migrations.enabled))
  "SFM_HOST" "0.0.0.0"
  "SFM_SHUTDOWN_DRAIN_S" (toString .Values.shutdown.drainSeconds)
  "SFM_SHUTDOWN_GRACE_S" (toString .Values.shutdown.graceSeconds)
  "SFM_PORT" (toString .Values.service.targetPort)
-}}
{{- with .Values.trustedProxies }}
{{- $_ := set $data "SFM_TRUSTED_PROXIES" (join "," .) }}
{{- end }}
{{- range $name, $value := .Values.config.extraEnv }}
{{- if hasKey $data $name }}
{{- fail (printf "config.extraEnv.%s: the chart sets %s itself; use its own value instead" $name $name) }}
{{- end }}
{{- $_ := set $data $name (toString $value) }}
{{- end }}
{{- toYaml $data }}
{{- end -}}

{{/*
uvicorn workers of a serving pod: `workers`, else the CPU limit rounded up ("500m" and "1" are
1, "1500m" and "2" are 2), else 1.
*/}}
{{- define "sfm.workers" -}}
{{- if .Values.workers -}}
{{- .Values.workers -}}
{{- else -}}
{{- $cpu := toString (dig "limits" "cpu" "" (.Values.resources | default dict)) -}}
{{- if not $cpu -}}
1
{{- else if hasSuffix "m" $cpu -}}
{{- div (add (trimSuffix "m" $cpu | atoi) 999) 1000 | max 1 -}}
{{- else -}}
{{- ceil (float64 $cpu) | int | max 1 -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The pod-level settings every pod of the chart shares. */}}
{{- define "sfm.podCommon" -}}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
