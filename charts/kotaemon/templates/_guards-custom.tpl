{{/*
Custom probes (probes.<kind>.custom) are held to the rules of the built ones: an HTTP
probe asks a path its target serves, readiness asks an endpoint that can fail, and
liveness and startup never ask a route that needs a worker thread.
*/}}
{{- define "kotaemon.guards.custom" -}}
{{- $v := .root.Values -}}
{{- $h := $v.health -}}
{{- $routes := include "kotaemon.appRoutes" .root | fromYaml -}}
{{- /* Gradio's sync routes run on its 40-thread pool: busy workers stall them (docs/kotaemon.md, "Routes and threads"). */ -}}
{{- $syncRoutes := list "/" "/app_id" "/config" "/info" -}}
{{- range $kind := list "startup" "readiness" "liveness" -}}
{{- $c := (index $v.probes $kind).custom -}}
{{- if and $c $c.httpGet -}}
{{- $f := printf "probes.%s.custom.httpGet" $kind -}}
{{- $port := toString $c.httpGet.port -}}
{{- $path := toString ($c.httpGet.path | default "/") -}}
{{- if has $port (list "health" (toString (int $h.port))) -}}
{{- if eq $path (toString $h.paths.metrics) -}}
{{- fail (printf "%s.path %q is the agent's metrics endpoint, which answers 200 whatever the app's state: probe %s (health.paths)" $f $path (ternary $h.paths.ready $h.paths.live (eq $kind "readiness"))) -}}
{{- end -}}
{{- if not (has $path (list (toString $h.paths.live) (toString $h.paths.ready))) -}}
{{- fail (printf "%s.path %q: the agent serves only %s and %s (health.paths) on its port, so this probe would get 404 for ever" $f $path $h.paths.live $h.paths.ready) -}}
{{- end -}}
{{- else if and (has $port (list "http" (toString (int $v.kotaemon.port)))) (ne $kind "readiness") (has $path $syncRoutes) (ne $path (toString $routes.live)) -}}
{{- fail (printf "PI-03: %s.path %q is a Gradio sync route, which stalls while every worker thread is busy: a %s probe there restarts a pod that is only loaded. Ask the live route (%s) instead" $f $path $kind $routes.live) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
