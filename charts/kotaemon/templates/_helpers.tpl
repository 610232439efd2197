{{/* Names and labels: one place for every resource's identity. */}}

{{- define "kotaemon.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kotaemon.fullname" -}}
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

{{- define "kotaemon.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels select exactly the Kotaemon pods of this release. */}}
{{- define "kotaemon.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kotaemon.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: app
{{- end -}}

{{- define "kotaemon.labels" -}}
helm.sh/chart: {{ include "kotaemon.chart" . }}
app.kubernetes.io/name: {{ include "kotaemon.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kotaemon
{{- end -}}

{{- define "kotaemon.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "kotaemon.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "kotaemon.image" -}}
{{- $tag := .Values.image.tag | default (printf "%s-%s" .Chart.AppVersion .Values.image.flavour) -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "kotaemon.agentImage" -}}
{{- $img := .Values.health.image -}}
{{- $repo := $img.repository -}}
{{- if $img.registry }}{{ $repo = printf "%s/%s" $img.registry $img.repository }}{{ end -}}
{{- if $img.digest -}}
{{- printf "%s@%s" $repo $img.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo (toString $img.tag) -}}
{{- end -}}
{{- end -}}

{{/* Where Kotaemon keeps all its state (SQLite, vector and doc stores, uploads). */}}
{{- define "kotaemon.dataDir" -}}/app/ktem_app_data{{- end -}}

{{/* Where the agent lives inside pods (see docs/agent-config.md). */}}
{{- define "kotaemon.agentBinDir" -}}/opt/kotaemon-health/bin{{- end -}}
{{- define "kotaemon.agentConfigDir" -}}/etc/kotaemon-health{{- end -}}
{{- define "kotaemon.agentAuthDir" -}}/etc/kotaemon-health/auth{{- end -}}

{{- define "kotaemon.authSecretName" -}}
{{- .Values.health.auth.existingSecret | default (printf "%s-health-auth" (include "kotaemon.fullname" .)) -}}
{{- end -}}

{{- define "kotaemon.claimName" -}}
{{- .Values.persistence.existingClaim | default (printf "%s-data" (include "kotaemon.fullname" .)) -}}
{{- end -}}

{{/* Is a health agent part of the pod? (The mode says, in _layout.tpl.) */}}
{{- define "kotaemon.agentEnabled" -}}
{{- if (include "kotaemon.mode" . | fromYaml).agent }}true{{ end -}}
{{- end -}}

{{/* Environment variable that carries a check's secret: KH_CHECK_<NAME>_<FIELD>. */}}
{{- define "kotaemon.checkEnvName" -}}
{{- printf "KH_CHECK_%s_%s" (.check | upper | replace "-" "_") .field -}}
{{- end -}}
