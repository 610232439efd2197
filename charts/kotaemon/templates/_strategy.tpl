{{/*
The Deployment strategy, resolved once (deployment.yaml renders it, _guards-writers.tpl
checks it). Without an override: Recreate for one replica, whose data volume has one
writer (the old pod must be gone before the new one mounts it); RollingUpdate with
maxUnavailable 0 and maxSurge 1 for more replicas, so capacity never drops during a
rollout. An override replaces the type and the rollingUpdate fields it names.
*/}}
{{- define "kotaemon.strategy" -}}
{{- $o := .Values.strategy | default dict -}}
{{- $type := $o.type | default (ternary "RollingUpdate" "Recreate" (gt (int .Values.replicaCount) 1)) -}}
type: {{ $type }}
{{- if eq $type "RollingUpdate" }}
{{- $ru := $o.rollingUpdate | default dict }}
rollingUpdate:
  maxUnavailable: {{ ternary $ru.maxUnavailable 0 (hasKey $ru "maxUnavailable") | toJson }}
  maxSurge: {{ ternary $ru.maxSurge 1 (hasKey $ru "maxSurge") | toJson }}
{{- end }}
{{- end -}}

{{/* Is an int-or-percent value zero (0, "0%")? */}}
{{- define "kotaemon.isZero" -}}
{{- if or (eq (toString .) "0") (eq (toString .) "0%") }}true{{ end -}}
{{- end -}}

{{/* Does the pod mount a volume only one node (or one pod) may attach? */}}
{{- define "kotaemon.singleAttachVolume" -}}
{{- $p := .Values.persistence -}}
{{- if and $p.enabled (or $p.existingClaim (has $p.accessMode (list "ReadWriteOnce" "ReadWriteOncePod"))) }}true{{ end -}}
{{- end -}}
