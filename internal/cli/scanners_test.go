package cli

import (
	"strings"
	"testing"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/report"
)

func TestDropSecretDuplicates(t *testing.T) {
	fs := []finding.Finding{
		{Kind: finding.KindSecret, ID: "github-token", Location: finding.Location{Field: "env:GH_TOKEN"}},
		{Kind: finding.KindMisconfig, ID: "IC004", Location: finding.Location{Field: "env:GH_TOKEN"}},
		{Kind: finding.KindMisconfig, ID: "IC004", Location: finding.Location{Field: "env:DB_PASSWORD"}},
		{Kind: finding.KindMisconfig, ID: "IC001", Location: finding.Location{Field: "config.User"}},
	}
	got := dropSecretDuplicates(fs)
	if len(got) != 3 || got[1].Location.Field != "env:DB_PASSWORD" {
		t.Errorf("got %+v: want the IC004 on env:GH_TOKEN dropped and the rest kept", got)
	}
}

func TestMarkMalwareAdvisories(t *testing.T) {
	rep := &report.Report{Findings: []finding.Finding{
		{Kind: finding.KindVulnerability, ID: "MAL-2024-1234"},
		{Kind: finding.KindVulnerability, ID: "GHSA-xxxx-yyyy-zzzz", Aliases: []string{"MAL-2023-9"}, Severity: finding.SeverityHigh},
		{Kind: finding.KindVulnerability, ID: "CVE-2024-1"},
	}}
	markMalwareAdvisories(rep)
	got := []string{}
	for _, f := range rep.Findings {
		got = append(got, string(f.Kind)+"/"+string(f.Severity))
	}
	want := "malware/CRITICAL malware/HIGH vulnerability/"
	if strings.Join(got, " ") != want {
		t.Errorf("kinds/severities = %v, want %s", got, want)
	}
}
