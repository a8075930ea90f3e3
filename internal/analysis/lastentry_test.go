package analysis

import (
	"archive/tar"
	"bytes"
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/inventory"
)

// walkAll reads a layer as Analyze does: the walk, then the second read for hard links.
func walkAll(t *testing.T, layer []byte) *LayerResult {
	t.Helper()
	a := New([]inventory.Analyzer{lineAnalyzer{}}, Config{})
	lr, links, err := a.walk(context.Background(), bytes.NewReader(layer), diffID(layer), nil)
	if err != nil {
		t.Fatalf("walk: %v", err)
	}
	if len(links) > 0 {
		if err := a.walkLinks(context.Background(), bytes.NewReader(layer), diffID(layer), links, lr); err != nil {
			t.Fatalf("walkLinks: %v", err)
		}
	}
	return lr
}

// TestLastEntryOfAPathWins: a tar may hold a path twice (an image built by appending to a tar,
// or a layer squashed by a tool that does not deduplicate); extraction leaves the last entry,
// and only what it holds may be reported.
func TestLastEntryOfAPathWins(t *testing.T) {
	tests := []struct {
		name         string
		entries      []entry2
		want         []pkgAt
		wantWarnings int
	}{
		{"rewritten database", []entry2{
			{name: "var/lib/db.pkg", body: "old 1\ngone 2"},
			{name: "etc/other.pkg", body: "other 1"},
			{name: "var/lib/db.pkg", body: "old 1"},
		}, []pkgAt{{"old", "1", "var/lib/db.pkg", 0}, {"other", "1", "etc/other.pkg", 0}}, 0},
		{"replaced by a symbolic link", []entry2{
			{name: "var/lib/db.pkg", body: "old 1"},
			{name: "var/lib/db.pkg", body: "elsewhere.pkg", typ: tar.TypeSymlink},
		}, nil, 0},
		{"replaced by a directory", []entry2{
			{name: "x.pkg", body: "old 1"},
			{name: "x.pkg/", typ: tar.TypeDir},
		}, nil, 0},
		{"replaced by an unreadable file", []entry2{
			{name: "db.pkg", body: "old 1"},
			{name: "db.pkg", body: "ERR"},
		}, nil, 1},
		{"an unreadable file replaced", []entry2{
			{name: "db.pkg", body: "ERR"},
			{name: "db.pkg", body: "new 2"},
		}, []pkgAt{{"new", "2", "db.pkg", 0}}, 0},
		{"a hard link replaced by a file", []entry2{
			{name: "store/x", body: "linked 1"},
			{name: "app/a.pkg", body: "store/x", typ: tar.TypeLink},
			{name: "app/a.pkg", body: "direct 2"},
		}, []pkgAt{{"direct", "2", "app/a.pkg", 0}}, 0},
		{"a file replaced by a hard link", []entry2{
			{name: "app/a.pkg", body: "direct 2"},
			{name: "store/x", body: "linked 1"},
			{name: "app/a.pkg", body: "store/x", typ: tar.TypeLink},
		}, []pkgAt{{"linked", "1", "app/a.pkg", 0}}, 0},
		{"a hard link to a path written twice reads the entry before it", []entry2{
			{name: "store/x", body: "first 1"},
			{name: "store/x", body: "second 2"},
			{name: "app/a.pkg", body: "store/x", typ: tar.TypeLink},
			{name: "store/x", body: "third 3"},
		}, []pkgAt{{"second", "2", "app/a.pkg", 0}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr := walkAll(t, tarBytes(t, tt.entries...))
			lr.DiffID = "layer0"
			inv, _ := merge([]*LayerResult{lr})
			if diff := cmp.Diff(tt.want, pkgs(inv)); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
			if len(lr.Warnings) != tt.wantWarnings {
				t.Errorf("warnings = %q, want %d", lr.Warnings, tt.wantWarnings)
			}
		})
	}
}

// TestOverwrittenEntryKeepsItsFindings: a secret in content a later entry of the same layer
// overwrote is not in the filesystem, but it is in the layer that ships with the image, as a
// deleted file's is: it is reported, marked removed.
func TestOverwrittenEntryKeepsItsFindings(t *testing.T) {
	lr := walkAll(t, tarBytes(t, entry2{name: "k.secret", body: "x"}, entry2{name: "k.secret", body: "y", typ: tar.TypeSymlink}))
	lr.DiffID = "layer0"
	_, findings := merge([]*LayerResult{lr})
	if len(findings) != 1 || findings[0].Location.Path != "k.secret" || findings[0].Location.Layer != "layer0" || findings[0].RemovedInLayer != "layer0" {
		t.Errorf("findings = %+v, want k.secret's, removed in layer0", findings)
	}
}
