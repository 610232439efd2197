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

{{- define "kotaemon.namespace" -}}
{{- .Values.namespaceOverride | default .Release.Namespace -}}
{{- end -}}

{{/*
An image name through the mirror: global.imageRegistry replaces the registry part of a
name (a first segment with a dot or a colon, or localhost) or comes before a name without
one. Call with (dict "root" . "name" "..." "official" bool); official: a one-segment
Docker Hub name is one of Docker Hub's official images, library/<name> in a mirror.
*/}}
{{- define "kotaemon.mirrored" -}}
{{- $name := .name -}}
{{- $mirror := ((.root.Values.global | default dict).imageRegistry | default "") -}}
{{- if $mirror -}}
{{- $parts := splitList "/" $name -}}
{{- $first := first $parts -}}
{{- $hasRegistry := and (gt (len $parts) 1) (or (contains "." $first) (contains ":" $first) (eq $first "localhost")) -}}
{{- if $hasRegistry }}{{ $parts = rest $parts }}{{ end -}}
{{- if and .official (eq (len $parts) 1) (or (not $hasRegistry) (has $first (list "docker.io" "index.docker.io"))) }}{{ $parts = prepend $parts "library" }}{{ end -}}
{{- printf "%s/%s" (trimSuffix "/" $mirror) (join "/" $parts) -}}
{{- else -}}
{{- $name -}}
{{- end -}}
{{- end -}}

{{- define "kotaemon.image" -}}
{{- $tag := .Values.image.tag | default (printf "%s-%s" .Chart.AppVersion .Values.image.flavour) -}}
{{- $repo := include "kotaemon.mirrored" (dict "root" . "name" .Values.image.repository "official" true) -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" $repo .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo $tag -}}
{{- end -}}
{{- end -}}

{{/*
The agent image, always by digest: <registry>/<repository>:<tag>@<digest>, through the
mirror. kotaemon.imageGuards has refused a release that names no registry or no digest.
*/}}
{{- define "kotaemon.agentImage" -}}
{{- $img := .Values.health.image -}}
{{- $name := $img.repository -}}
{{- if $img.registry }}{{ $name = printf "%s/%s" (trimSuffix "/" $img.registry) $img.repository }}{{ end -}}
{{- printf "%s:%s@%s" (include "kotaemon.mirrored" (dict "root" . "name" $name "official" false)) (toString $img.tag) $img.digest -}}
{{- end -}}

{{/* Pull secrets of every pod: imagePullSecrets and global.imagePullSecrets, each once. */}}
{{- define "kotaemon.imagePullSecrets" -}}
{{- $names := list -}}
{{- range concat (.Values.imagePullSecrets | default list) ((.Values.global | default dict).imagePullSecrets | default list) -}}
{{- $name := . -}}
{{- if kindIs "map" . }}{{ $name = .name }}{{ end -}}
{{- if not (has $name $names) }}{{ $names = append $names $name }}{{ end -}}
{{- end -}}
{{- $refs := list -}}
{{- range $names }}{{ $refs = append $refs (dict "name" .) }}{{ end -}}
{{- with $refs }}{{ toYaml . }}{{ end -}}
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

{{/*
kube-score checks this chart does not meet on purpose, as the value of its
kube-score/ignore annotation (one reason each, also in values.yaml):
- container-resources: no CPU limit on Kotaemon (throttled Python workers make probes
  time out); memory requests and limits are set;
- container-image-pull-policy: images are pinned by tag or digest, and Always would make
  every start (already minutes long) depend on the registry;
- container-security-context-user-group-id, -readonlyrootfilesystem: the image runs as
  root and writes under $HOME unless a derived image and securityContext say otherwise;
- pod-networkpolicy: networkPolicy.enabled is false in this release.
Each appears only while the values it depends on say so.
*/}}
{{- define "kotaemon.kubeScoreIgnores" -}}
{{- $v := .Values -}}
{{- $sc := $v.kotaemon.securityContext -}}
{{- $out := list -}}
{{- if not (and $v.kotaemon.resources.limits $v.kotaemon.resources.limits.cpu) }}{{ $out = append $out "container-resources" }}{{ end -}}
{{- if or (ne $v.image.pullPolicy "Always") (ne $v.health.image.pullPolicy "Always") }}{{ $out = append $out "container-image-pull-policy" }}{{ end -}}
{{- if lt (int ($sc.runAsUser | default 0)) 10000 }}{{ $out = append $out "container-security-context-user-group-id" }}{{ end -}}
{{- if not $sc.readOnlyRootFilesystem }}{{ $out = append $out "container-security-context-readonlyrootfilesystem" }}{{ end -}}
{{- if not $v.networkPolicy.enabled }}{{ $out = append $out "pod-networkpolicy" }}{{ end -}}
{{- join "," $out -}}
{{- end -}}

{{/* The same for the helm test pod: only its image pull policy and a missing policy. */}}
{{- define "kotaemon.testKubeScoreIgnores" -}}
{{- $out := list -}}
{{- if ne .Values.health.image.pullPolicy "Always" }}{{ $out = append $out "container-image-pull-policy" }}{{ end -}}
{{- if not .Values.networkPolicy.enabled }}{{ $out = append $out "pod-networkpolicy" }}{{ end -}}
{{- join "," $out -}}
{{- end -}}
