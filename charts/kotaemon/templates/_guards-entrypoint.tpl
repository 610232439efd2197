{{/* Kotaemon's entrypoint (_entrypoint.tpl): what it sets itself, the routes that answer under it, and its stop inside the agent's. */}}
{{- define "kotaemon.guards.entrypoint" -}}
{{- $v := .root.Values -}}
{{- $sso := include "kotaemon.sso" .root -}}
{{- $given := include "kotaemon.userEnvNames" .root | fromYamlArray -}}
{{- /* The chart runs the entrypoint launch.sh would choose from KH_SSO_ENABLED, and sets the variable to match: a value of the user's would contradict the process that runs. */ -}}
{{- if has "KH_SSO_ENABLED" $given -}}
{{- fail "kotaemon.env/extraEnv: KH_SSO_ENABLED is set by the chart from kotaemon.sso.enabled, which also chooses the entrypoint (python app.py or uvicorn sso_app:app); set kotaemon.sso.enabled instead" -}}
{{- end -}}
{{- if $sso -}}
{{- if has "GR_FILE_ROOT_PATH" $given -}}
{{- fail "kotaemon.env/extraEnv: GR_FILE_ROOT_PATH is set by the chart to /app with kotaemon.sso.enabled (Gradio is mounted there); remove it" -}}
{{- end -}}
{{- /* Without a session every path but /login and /auth answers 307 to /login, and the agent counts only a 2xx as an answer: the app would never look up. */ -}}
{{- range $name, $path := $v.kotaemon.routes -}}
{{- if and $path (not (or (hasPrefix "/login" $path) (hasPrefix "/auth" $path))) -}}
{{- fail (printf "kotaemon.routes.%s: %q answers 307 to /login in SSO mode (kotaemon.sso.enabled): without a session only /login and /auth answer; leave it empty for /login" $name $path) -}}
{{- end -}}
{{- end -}}
{{- /* uvicorn must give up on open connections before the one who stops it does. */ -}}
{{- $grace := int $v.kotaemon.sso.gracefulShutdownSeconds -}}
{{- if .mode.agent -}}
{{- $stop := int $v.health.shutdown.stopTimeoutSeconds -}}
{{- if ge $grace $stop -}}
{{- fail (printf "kotaemon.sso.gracefulShutdownSeconds (%d) must be below health.shutdown.stopTimeoutSeconds (%d): uvicorn would still wait for open connections when the agent sends SIGKILL" $grace $stop) -}}
{{- end -}}
{{- else if ge $grace (int $v.terminationGracePeriodSeconds) -}}
{{- fail (printf "kotaemon.sso.gracefulShutdownSeconds (%d) must be below terminationGracePeriodSeconds (%d): uvicorn would still wait for open connections at SIGKILL" $grace (int $v.terminationGracePeriodSeconds)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
