{{/* A disruption budget that no eviction can satisfy blocks every node drain. */}}
{{- define "kotaemon.guards.budget" -}}
{{- $v := .Values -}}
{{- $replicas := int $v.replicaCount -}}
{{- $pdb := $v.pdb -}}
{{- if and $pdb.enabled (gt $replicas 1) -}}
{{- $min := $pdb.minAvailable -}}
{{- $max := $pdb.maxUnavailable -}}
{{- if and (not (kindIs "invalid" $min)) (not (kindIs "invalid" $max)) -}}
{{- fail "pdb.minAvailable and pdb.maxUnavailable are both set: the API takes one; set the other to null" -}}
{{- end -}}
{{- if and (kindIs "invalid" $min) (kindIs "invalid" $max) -}}
{{- fail "pdb.minAvailable and pdb.maxUnavailable are both null: set one, or pdb.enabled=false" -}}
{{- end -}}
{{- /* Kubernetes rounds a percentage up: minAvailable p% of r pods is ceil(p x r / 100). */ -}}
{{- $blocks := false -}}
{{- if not (kindIs "invalid" $min) -}}
{{- if kindIs "string" $min -}}
{{- if gt (mul (int (trimSuffix "%" $min)) $replicas) (mul 100 (sub $replicas 1)) }}{{ $blocks = true }}{{ end -}}
{{- else if ge (int $min) $replicas }}{{ $blocks = true }}{{ end -}}
{{- end -}}
{{- if and (not (kindIs "invalid" $max)) (include "kotaemon.isZero" $max) }}{{ $blocks = true }}{{ end -}}
{{- if $blocks -}}
{{- fail (printf "pdb (minAvailable %v, maxUnavailable %v) with replicaCount %d allows no eviction at all: node drains would hang. Allow at least one pod to go (e.g. minAvailable %d)" $min $max $replicas (sub $replicas 1)) -}}
{{- end -}}
{{- end -}}

{{- end -}}
