<?xml version="1.0" encoding="UTF-8"?>
{{- /* JUnit XML for CI test reports: one test case per finding, each a failure.
       rampart image -f template --template @contrib/templates/junit.tpl -o junit.xml IMAGE */}}
<testsuites name="rampart">
  <testsuite name="{{ escapeXML .artifact.name }}" tests="{{ len .findings }}" failures="{{ len .findings }}" errors="0" skipped="0">
    <properties>
      <property name="source" value="{{ escapeXML .artifact.source }}"/>
      <property name="os" value="{{ escapeXML .artifact.os.family }} {{ escapeXML .artifact.os.version }}"/>
      <property name="rampart" value="{{ escapeXML .tool.version }}"/>
    </properties>
{{- range .findings }}
    <testcase classname="{{ with .package }}{{ escapeXML .name }}@{{ escapeXML .version }}{{ else }}{{ escapeXML .location.path }}{{ end }}" name="[{{ .severity }}] {{ escapeXML .id }}">
      <failure type="{{ .kind }}" message="{{ escapeXML .title }}">{{ escapeXML .kind }} {{ escapeXML .id }} ({{ .severity }}){{ with .package }} in {{ escapeXML .name }} {{ escapeXML .version }}{{ end }}{{ with .location.path }} at {{ escapeXML . }}{{ end }}
{{- with .fixed_version }}; fixed in {{ escapeXML . }}{{ end }}
{{- with .remediation }}; {{ escapeXML . }}{{ end }}
{{- with .references }}; {{ escapeXML (join . " ") }}{{ end }}</failure>
    </testcase>
{{- end }}
  </testsuite>
</testsuites>
