{{/* Names and labels shared by every template. */}}
{{- define "sfm.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sfm.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "sfm.labels" -}}
app.kubernetes.io/name: {{ include "sfm.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "sfm.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sfm.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
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

{{/* The container environment, shared by the Deployment and the migration Job. */}}
{{- define "sfm.env" -}}
- name: SFM_NEO4J_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ required "secrets.existingSecret is required" .Values.secrets.existingSecret }}
      key: neo4j_password
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
