package cli

import (
	"testing"

	"github.com/rampartsec/rampart/internal/finding"
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
