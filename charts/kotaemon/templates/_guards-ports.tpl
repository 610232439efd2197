{{/* PI-08: every probe targets a port its container declares and a process serves. */}}
{{- define "kotaemon.guards.ports" -}}
{{- $v := .root.Values -}}
{{- $probes := .probes -}}
{{- $mode := .mode -}}
{{- $ports := dict "health" (int $v.health.port) "http" (int $v.kotaemon.port) -}}
{{- /* PI-08: the app and the health server cannot share a port. */ -}}
{{- if eq (int $v.health.port) (int $v.kotaemon.port) -}}
{{- fail (printf "PI-08: health.port (%d) must differ from kotaemon.port (%d)" (int $v.health.port) (int $v.kotaemon.port)) -}}
{{- end -}}

{{- /* PI-08: every probe, custom ones too, targets a port its own container declares. */ -}}
{{- range $kind, $p := $probes -}}
{{- $carrier := (index $mode.probes $kind).container -}}
{{- $names := index $mode.ports $carrier -}}
{{- $port := "" -}}
{{- with $p.httpGet }}{{ $port = .port }}{{ end -}}
{{- with $p.tcpSocket }}{{ $port = .port }}{{ end -}}
{{- if ne (toString $port) "" -}}
{{- $declared := false -}}
{{- range $n := $names -}}
{{- if or (eq (toString $port) $n) (eq (toString $port) (toString (get $ports $n))) }}{{ $declared = true }}{{ end -}}
{{- end -}}
{{- if not $declared -}}
{{- fail (printf "PI-08: probes.%s targets port %v, which its container %s does not declare (it has %s): use one of those names or numbers" $kind $port $carrier (join ", " $names)) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- end -}}
