{{/*
Which of Kotaemon's entrypoints runs, and what follows from it. `python app.py` (the
default): Gradio serves its routes at the root. kotaemon.sso.enabled: the SSO app that
Kotaemon's launch.sh runs for KH_SSO_ENABLED=true, `uvicorn sso_app:app`, with Gradio
mounted under /app behind an OAuth login; without a session every path but /login and
/auth answers a 307 to /login (docs/kotaemon.md, "SSO mode"). Every other template asks
these helpers, so no other template branches on SSO.
*/}}

{{- define "kotaemon.sso" -}}
{{- if .Values.kotaemon.sso.enabled }}true{{ end -}}
{{- end -}}

{{/*
The Kotaemon process (a YAML list): the user's command, or the interpreter the image's
version keeps (kotaemon.imageLayout) running what launch.sh would. In SSO mode uvicorn
gets what launch.sh passes it (host and port) and a bound on its graceful shutdown:
without one, uvicorn waits for every open connection, and an open browser tab's heartbeat
stream never ends. kotaemon.guards.entrypoint has refused an image it cannot start.
*/}}
{{- define "kotaemon.appCommand" -}}
{{- $k := .Values.kotaemon -}}
{{- $layout := include "kotaemon.imageLayout" . | fromYaml -}}
{{- if include "kotaemon.sso" . -}}
{{- $cmd := concat ($k.sso.command | default (list $layout.uvicorn "sso_app:app")) (list "--host" "0.0.0.0" "--port" (toString (int $k.port)) "--timeout-graceful-shutdown" (toString (int $k.sso.gracefulShutdownSeconds))) -}}
{{- with $k.sso.forwardedAllowIps }}{{ $cmd = concat $cmd (list "--forwarded-allow-ips" .) }}{{ end -}}
{{- toYaml $cmd -}}
{{- else -}}
{{- toYaml ($k.command | default (list $layout.python "app.py")) -}}
{{- end -}}
{{- end -}}

{{/*
The app's routes the agent (and, in sidecar mode, the kubelet) asks: kotaemon.routes, or
where empty the entrypoint's. python app.py: /startup-events (async: answers while the
worker threads are busy) and /app_id (sync: shows an exhausted pool). SSO: /login, the
one route that answers 200 without a session (async; every sync route is behind the
login, so readiness cannot see the pool there).
*/}}
{{- define "kotaemon.appRoutes" -}}
{{- $r := .Values.kotaemon.routes -}}
{{- $derived := dict "live" "/startup-events" "ready" "/app_id" -}}
{{- if include "kotaemon.sso" . }}{{ $derived = dict "live" "/login" "ready" "/login" }}{{ end -}}
live: {{ $r.live | default $derived.live | quote }}
ready: {{ $r.ready | default $derived.ready | quote }}
{{- end -}}

{{/* The environment the SSO entrypoint needs, as launch.sh sets it (a YAML list). */}}
{{- define "kotaemon.entrypointEnv" -}}
{{- if include "kotaemon.sso" . -}}
- name: KH_SSO_ENABLED
  value: "true"
- name: GR_FILE_ROOT_PATH
  value: "/app"
{{- else -}}
[]
{{- end -}}
{{- end -}}
