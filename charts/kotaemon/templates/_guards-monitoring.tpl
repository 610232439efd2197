{{/* Metrics and monitoring objects: an endpoint of its own, credentials a scraper can present, the agent behind them. */}}
{{- define "kotaemon.guards.monitoring" -}}
{{- $v := .root.Values -}}
{{- $h := $v.health -}}
{{- $mode := .mode -}}
{{- /* The metrics path is its own endpoint: the agent refuses it on a probe path. */ -}}
{{- if $h.paths.metrics -}}
{{- range $k := list "live" "ready" -}}
{{- if eq (toString $h.paths.metrics) (toString (index $h.paths $k)) -}}
{{- fail (printf "health.paths.metrics %q is also health.paths.%s: give the metrics endpoint a path of its own (e.g. /metrics)" $h.paths.metrics $k) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- /* The agent serves its history at a fixed path (docs/health-agent.md); it refuses a
probe or metrics path there. */ -}}
{{- range $k := list "live" "ready" "metrics" -}}
{{- if eq (toString (index $h.paths $k)) "/health/history" -}}
{{- fail (printf "health.paths.%s %q is where the agent serves its history (kotaemonctl advise reads it): choose another path" $k (index $h.paths $k)) -}}
{{- end -}}
{{- end -}}

{{- /* Protected metrics: the scraper needs credentials the agent accepts. */ -}}
{{- $creds := $v.metrics.serviceMonitor.credentials | default dict -}}
{{- if and $v.metrics.serviceMonitor.enabled $h.auth.protectMetrics (eq $h.auth.mode "jwt") (not (and $creds.name $creds.key)) -}}
{{- fail "metrics.serviceMonitor.credentials (name and key) are required with health.auth.protectMetrics in jwt mode: Prometheus must send a JWT the agent accepts (mint one for it and store it in a Secret), or every scrape gets 401" -}}
{{- end -}}
{{- if and (or $creds.name $creds.key) (not (and $creds.name $creds.key)) -}}
{{- fail (printf "metrics.serviceMonitor.credentials needs both name and key (got name %q, key %q)" ($creds.name | default "") ($creds.key | default "")) -}}
{{- end -}}

{{- /* Monitoring objects need the metrics Service of the agent. */ -}}
{{- range $kind := list "serviceMonitor" "prometheusRule" -}}
{{- if (index $v.metrics $kind).enabled -}}
{{- if not $v.metrics.enabled -}}
{{- fail (printf "metrics.%s.enabled needs metrics.enabled=true (the metrics Service it scrapes or alerts on)" $kind) -}}
{{- end -}}
{{- if not $mode.agent -}}
{{- fail (printf "metrics.%s.enabled needs the health agent (health.mode wrapper or sidecar); with health.mode none there are no agent metrics" $kind) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- end -}}
