{{/* The app's Service, Ingress and HTTPRoute: fields the API takes only in some forms, routes that route something. */}}
{{- define "kotaemon.guards.routing" -}}
{{- $v := .Values -}}
{{- /* Service fields the API accepts only for some types. */ -}}
{{- $svc := $v.service -}}
{{- if and (not (kindIs "invalid" $svc.nodePort)) (eq $svc.type "ClusterIP") -}}
{{- fail (printf "service.nodePort %v needs service.type NodePort or LoadBalancer (it is ClusterIP)" $svc.nodePort) -}}
{{- end -}}
{{- if and $svc.externalTrafficPolicy (eq $svc.type "ClusterIP") -}}
{{- fail (printf "service.externalTrafficPolicy %s needs service.type NodePort or LoadBalancer (it is ClusterIP)" $svc.externalTrafficPolicy) -}}
{{- end -}}
{{- range $k := list "loadBalancerIP" "loadBalancerSourceRanges" -}}
{{- if and (index $svc $k) (ne $svc.type "LoadBalancer") -}}
{{- fail (printf "service.%s is set but service.type is %s: it applies to LoadBalancer only" $k $svc.type) -}}
{{- end -}}
{{- end -}}

{{- /* A route with no gateway to attach to routes nothing. */ -}}
{{- if and $v.httpRoute.enabled (not $v.httpRoute.parentRefs) -}}
{{- fail "httpRoute.enabled is true but httpRoute.parentRefs is empty: name the Gateway it attaches to (httpRoute.parentRefs[0].name, and its namespace)" -}}
{{- end -}}
{{- if and $v.httpRoute.enabled (not $v.httpRoute.paths) -}}
{{- fail "httpRoute.enabled is true but httpRoute.paths is empty: add a path (e.g. / with type PathPrefix)" -}}
{{- end -}}

{{- /* An enabled Ingress without a host routes nothing. */ -}}
{{- if and $v.ingress.enabled (not $v.ingress.hosts) -}}
{{- fail "ingress.enabled is true but ingress.hosts is empty: add a host (ingress.hosts[0].host and its paths) or disable the Ingress" -}}
{{- end -}}

{{- end -}}
