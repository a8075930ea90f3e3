{{- /* A Markdown summary, e.g. for a pull-request comment or $GITHUB_STEP_SUMMARY.
       rampart image -f template --template @contrib/templates/markdown.tpl IMAGE */ -}}
## Rampart: `{{ .artifact.name }}`

{{ with .artifact.os.name }}{{ . }}{{ else }}OS {{ .artifact.os.family }}{{ end }}
{{- with .artifact.digest }}, `{{ . }}`{{ end }}: {{ len .packages }} packages, {{ len .findings }} findings
{{- with .summary }} (CRITICAL {{ .by_severity.CRITICAL }}, HIGH {{ .by_severity.HIGH }}, MEDIUM {{ .by_severity.MEDIUM }}, LOW {{ .by_severity.LOW }}, UNKNOWN {{ .by_severity.UNKNOWN }}; {{ .fixable }} fixable){{ end }}.
{{ if .findings }}
| Severity | ID | Package / location | Fixed in | Title |
|---|---|---|---|---|
{{- range .findings }}
| {{ .severity }}{{ if .kev }} (KEV){{ end }} | {{ .id }} | {{ with .package }}{{ replace .name "|" "\\|" }} {{ .version }}{{ else }}{{ replace .location.path "|" "\\|" }}{{ end }} | {{ with .fixed_version }}{{ . }}{{ else }}{{ if eq .kind "vulnerability" }}no fix yet{{ end }}{{ end }} | {{ replace .title "|" "\\|" }} |
{{- end }}
{{ end }}
{{- range .warnings }}
> warning: {{ . }}
{{- end }}
