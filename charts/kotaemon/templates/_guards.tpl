{{/*
Guards: rules a JSON schema cannot express (docs/invariants.md's PI rules, and
configurations the API server would accept but that cannot work). A broken rule stops
the render; the message names the rule, the key and the values. Each family of rules is
a small template of its own (_guards-<family>.tpl); this entry resolves the probes and
the mode once and runs them in order. Probe rules read the resolved probes, so custom
replacements are held to the same rules.
*/}}
{{- define "kotaemon.guards" -}}
{{- $ctx := dict "root" . "probes" (include "kotaemon.effectiveProbes" . | fromYaml) "mode" (include "kotaemon.mode" . | fromYaml) -}}
{{- include "kotaemon.guards.presence" $ctx -}}
{{- include "kotaemon.guards.ports" $ctx -}}
{{- include "kotaemon.guards.timing" $ctx -}}
{{- include "kotaemon.guards.handlers" $ctx -}}
{{- include "kotaemon.guards.custom" $ctx -}}
{{- include "kotaemon.guards.windows" $ctx -}}
{{- include "kotaemon.guards.agent" $ctx -}}
{{- include "kotaemon.guards.lifecycle" $ctx -}}
{{- include "kotaemon.guards.entrypoint" $ctx -}}
{{- include "kotaemon.guards.env" . -}}
{{- include "kotaemon.guards.providers" . -}}
{{- include "kotaemon.guards.gpu" . -}}
{{- include "kotaemon.guards.writers" $ctx -}}
{{- include "kotaemon.guards.exposure" . -}}
{{- include "kotaemon.checkGuards" . -}}
{{- include "kotaemon.authGuards" . -}}
{{- include "kotaemon.guards.monitoring" $ctx -}}
{{- include "kotaemon.guards.budget" . -}}
{{- include "kotaemon.guards.names" . -}}
{{- include "kotaemon.guards.routing" . -}}
{{- include "kotaemon.guards.egress" . -}}
{{- include "kotaemon.guards.policy" . -}}
{{- include "kotaemon.imageGuards" . -}}
{{- end -}}
