{{/* Auth: credentials the agent can check, and a token a GitOps render can keep. */}}
{{- define "kotaemon.authGuards" -}}
{{- $a := .Values.health.auth -}}
{{- $h := .Values.health -}}
{{- /* GitOps renders cannot keep a generated token. */ -}}
{{- if and $h.auth.requireExistingSecret (eq $h.auth.mode "token") (not $h.auth.existingSecret) -}}
{{- fail "health.auth.requireExistingSecret is true and health.auth.mode is token, but health.auth.existingSecret is empty: create a Secret with the token (key health.auth.tokenKey) and name it there; a token generated at render time would change on every render" -}}
{{- end -}}

{{- if and $a.protectMetrics (eq $a.mode "none") -}}
{{- fail "health.auth.protectMetrics needs credentials to check: set health.auth.mode to token or jwt, or protectMetrics to false" -}}
{{- end -}}
{{- if eq $a.mode "jwt" -}}
{{- if not $a.existingSecret -}}
{{- fail "health.auth.existingSecret is required with health.auth.mode jwt (the Secret holding the key)" -}}
{{- end -}}
{{- $keys := 0 -}}
{{- range $k := list $a.jwt.secretKey $a.jwt.publicKeyKey $a.jwt.jwksKey }}{{ if $k }}{{ $keys = add1 $keys }}{{ end }}{{ end -}}
{{- if ne $keys 1 -}}
{{- fail (printf "health.auth.jwt: set exactly one of secretKey, publicKeyKey, jwksKey (got %d)" $keys) -}}
{{- end -}}
{{- if and $a.jwt.secretKey (not (has "HS256" $a.jwt.algorithms)) -}}
{{- fail "health.auth.jwt.secretKey needs HS256 in health.auth.jwt.algorithms" -}}
{{- end -}}
{{- if and (not $a.jwt.secretKey) (has "HS256" $a.jwt.algorithms) -}}
{{- fail "health.auth.jwt.algorithms has HS256 but no health.auth.jwt.secretKey is set" -}}
{{- end -}}
{{- end -}}
{{- end -}}

