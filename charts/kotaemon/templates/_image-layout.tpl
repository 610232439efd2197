{{/*
Where Kotaemon's image keeps its interpreters, by version: the command the chart runs
instead of launch.sh must name a file that exists in that image. From Kotaemon's
Dockerfile and launch.sh at each tag (docs/kotaemon.md, "Image versions"):

  0.9.0 - 0.11.1   pip installs into the base image's Python (python:3.10-slim):
                   /usr/local/bin/python, /usr/local/bin/uvicorn
  0.11.2 - 0.11.3  uv installs into /app/.venv: /app/.venv/bin/python, /app/.venv/bin/uvicorn
  0.9.x            no sso_app.py and no launch.sh: no SSO entrypoint

The version is the image tag's (`0.11.3-lite`, `v0.11.3-full`), or appVersion's when the
tag is empty. A tag that names no version (`main-lite`, `latest-full`) or one outside the
table gives known: false, and the chart then needs kotaemon.command (and, for SSO,
kotaemon.sso.command) from the user (kotaemon.guards.entrypoint).
*/}}
{{- define "kotaemon.imageLayout" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion | toString -}}
{{- $version := regexFind "^v?[0-9]+\\.[0-9]+\\.[0-9]+" $tag | trimPrefix "v" -}}
{{- $oldest := "0.9.0" -}}
{{- $newest := "0.11.3" -}}
{{- $known := and $version (semverCompare (printf ">=%s <=%s" $oldest $newest) $version) -}}
range: {{ printf "%s to %s" $oldest $newest | quote }}
version: {{ $version | quote }}
tag: {{ $tag | quote }}
known: {{ $known | toString | eq "true" }}
{{- if and $known (semverCompare ">=0.11.2" $version) }}
python: /app/.venv/bin/python
uvicorn: /app/.venv/bin/uvicorn
sso: true
{{- else if $known }}
python: /usr/local/bin/python
uvicorn: /usr/local/bin/uvicorn
sso: {{ semverCompare ">=0.10.0" $version }}
{{- end }}
{{- end -}}
