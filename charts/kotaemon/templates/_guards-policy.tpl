{{/*
NetworkPolicy truth: with the policy on, every flow a feature of the chart needs is
admitted, or the render says which peers are missing (PI-12).
*/}}
{{- define "kotaemon.guards.policy" -}}
{{- $v := .Values -}}
{{- $np := $v.networkPolicy -}}
{{- if $np.enabled -}}
{{- /* The app port admits only appPeers (and the test pod): what routes traffic to the app must be among them. */ -}}
{{- if not $np.appPeers -}}
{{- $routes := list -}}
{{- if $v.ingress.enabled }}{{ $routes = append $routes "ingress.enabled (the ingress controller's pods)" }}{{ end -}}
{{- if $v.httpRoute.enabled }}{{ $routes = append $routes "httpRoute.enabled (the Gateway's data plane)" }}{{ end -}}
{{- if has $v.service.type (list "NodePort" "LoadBalancer") }}{{ $routes = append $routes (printf "service.type %s (its clients' addresses)" $v.service.type) }}{{ end -}}
{{- with $routes -}}
{{- fail (printf "networkPolicy.appPeers is empty, so the policy admits no one to the app port but the release's test pod, and the traffic of %s is dropped: add those peers to networkPolicy.appPeers (a namespaceSelector and podSelector, or an ipBlock)" (join " and " .)) -}}
{{- end -}}
{{- end -}}
{{- /* The metrics port admits only monitoringPeers and node CIDRs: Prometheus must be among them. */ -}}
{{- if and $v.metrics.serviceMonitor.enabled (not $np.monitoringPeers) -}}
{{- fail "metrics.serviceMonitor.enabled: networkPolicy.monitoringPeers is empty, so the policy drops Prometheus's scrapes of the metrics port: add Prometheus's pods to networkPolicy.monitoringPeers (e.g. a namespaceSelector for its namespace)" -}}
{{- end -}}
{{- end -}}
{{- end -}}
