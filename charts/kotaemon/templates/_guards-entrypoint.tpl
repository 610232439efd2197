{{/* Kotaemon's entrypoint (_entrypoint.tpl): what it sets itself, the routes that answer under it, and its stop inside the agent's. */}}
{{- define "kotaemon.guards.entrypoint" -}}
{{- $v := .root.Values -}}
{{- $sso := include "kotaemon.sso" .root -}}
{{- $given := include "kotaemon.userEnvNames" .root | fromYamlArray -}}
{{- /* The command names a file in the image: without the image's version the chart cannot know which. */ -}}
{{- $layout := include "kotaemon.imageLayout" .root | fromYaml -}}
{{- $unknown := printf "image.tag %q: the chart knows how to start Kotaemon images %s (docs/kotaemon.md, \"Image versions\"), and this tag names no version among them" $layout.tag $layout.range -}}
{{- if $layout.version }}{{ $unknown = printf "image.tag %q: the chart knows how to start Kotaemon images %s (docs/kotaemon.md, \"Image versions\"), not %s" $layout.tag $layout.range $layout.version }}{{ end -}}
{{- if and (not $layout.known) (not $v.kotaemon.command) (not $sso) -}}
{{- fail (printf "%s; set kotaemon.command to the image's interpreter and app.py (e.g. [\"/app/.venv/bin/python\", \"app.py\"] for images laid out as 0.11.2 and later)" $unknown) -}}
{{- end -}}
{{- if and $sso (not $v.kotaemon.sso.command) -}}
{{- if not $layout.known -}}
{{- fail (printf "%s; with kotaemon.sso.enabled set kotaemon.sso.command (e.g. [\"/app/.venv/bin/uvicorn\", \"sso_app:app\"] for images laid out as 0.11.2 and later)" $unknown) -}}
{{- else if not $layout.sso -}}
{{- fail (printf "kotaemon.sso.enabled: image %s (version %s) has no SSO entrypoint (sso_app.py arrived in 0.10.0); use an image from 0.10.0 on, or set kotaemon.sso.command to one your image has" $layout.tag $layout.version) -}}
{{- end -}}
{{- end -}}
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
