{{/*
Kotaemon's first admin, from a Secret (kotaemon.admin). Kotaemon's flowsettings.py reads
KH_FEATURE_USER_MANAGEMENT_ADMIN and _PASSWORD at every start, and its user page creates
that user only when no user of that name exists (ktem/pages/resources/user.py): the
password seeds the account once, and a later change in the Secret changes nothing
(docs/kotaemon.md, "Admin login").
*/}}
{{- define "kotaemon.adminEnv" -}}
{{- with .Values.kotaemon.admin -}}
{{- if .existingSecret -}}
- name: KH_FEATURE_USER_MANAGEMENT_ADMIN
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret }}
      key: {{ .usernameKey }}
- name: KH_FEATURE_USER_MANAGEMENT_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret }}
      key: {{ .passwordKey }}
{{- end -}}
{{- end -}}
{{- end -}}
