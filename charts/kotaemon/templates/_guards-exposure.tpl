{{/* PI-10: no Ingress or HTTPRoute path reaches the health or metrics endpoints. */}}
{{- define "kotaemon.guards.exposure" -}}
{{- $v := .Values -}}
{{- /* PI-10: no Ingress or HTTPRoute path reaches the health or metrics endpoints. */ -}}
{{- if $v.ingress.enabled -}}
{{- range $i, $h := $v.ingress.hosts -}}
{{- range $j, $p := $h.paths -}}
{{- include "kotaemon.refuseHealthPath" (dict "root" $ "path" $p.path "key" (printf "ingress.hosts[%d].paths[%d].path" $i $j)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if $v.httpRoute.enabled -}}
{{- range $j, $p := $v.httpRoute.paths -}}
{{- include "kotaemon.refuseHealthPath" (dict "root" $ "path" $p.path "key" (printf "httpRoute.paths[%d].path" $j)) -}}
{{- end -}}
{{- end -}}

{{- end -}}

{{/* PI-10 for one routed path (Ingress or HTTPRoute): it must not reach a guarded endpoint. */}}
{{- define "kotaemon.refuseHealthPath" -}}
{{- $h := .root.Values.health -}}
{{- range $guarded := list $h.paths.ready $h.paths.live $h.paths.metrics "/health" "/metrics" -}}
{{- /* Path segments, not characters: /metrics-dashboard is not /metrics. */ -}}
{{- if and $guarded (or (eq (trimSuffix "/" $.path) $guarded) (hasPrefix (printf "%s/" $guarded) $.path)) -}}
{{- fail (printf "PI-10: %s %q would route to %q; health and metrics endpoints are never exposed" $.key $.path $guarded) -}}
{{- end -}}
{{- end -}}
{{- end -}}
