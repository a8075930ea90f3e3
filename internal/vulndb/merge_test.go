package vulndb

import (
	"archive/zip"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// The records of one id about different ecosystems in two files: GitLab's advisories name theirs
// after the CVE, so the Maven and the NuGet export both hold a CVE-2018-1285.
const (
	mergeMaven = `{"id":"CVE-2018-1285","modified":"2020-05-14T00:00:00Z","aliases":["GHSA-2cwj-8chv-9pp9"],"details":"maven copy","affected":[{"package":{"ecosystem":"Maven","name":"log4net:apache-log4net"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0.10"}]}]}]}`
	mergeNuGet = `{"id":"CVE-2018-1285","modified":"2021-09-21T00:00:00Z","details":"nuget copy","affected":[{"package":{"ecosystem":"NuGet","name":"log4net"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0.10"}]}]}]}`
)

func TestDuplicateMergesDisjointPackages(t *testing.T) {
	tmp := t.TempDir()
	maven := filepath.Join(tmp, "maven.json")
	nuget := filepath.Join(tmp, "nuget.json")
	os.WriteFile(maven, []byte(mergeMaven), 0o644)
	os.WriteFile(nuget, []byte(mergeNuGet), 0o644)
	// Both in one zip: the first copy is still pending when the second arrives.
	both := filepath.Join(tmp, "both.zip")
	zf, err := os.Create(both)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(zf)
	for i, js := range []string{mergeMaven, mergeNuGet} {
		w, _ := zw.Create([]string{"a/CVE-2018-1285.json", "b/CVE-2018-1285.json"}[i])
		w.Write([]byte(js))
	}
	zw.Close()
	zf.Close()

	for _, paths := range [][]string{{maven, nuget}, {nuget, maven}, {both}} {
		dir := t.TempDir()
		st, err := Import(context.Background(), dir, paths, ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if st.Records != 1 || st.Duplicates != 1 {
			t.Errorf("%v: records %d duplicates %d, want 1 and 1", paths, st.Records, st.Duplicates)
		}
		db, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range [][2]string{{"Maven", "log4net:apache-log4net"}, {"NuGet", "log4net"}} {
			if got := lookupIDs(t, db, q[0], q[1]); !slices.Equal(got, []string{"CVE-2018-1285"}) {
				t.Errorf("%v: Lookup(%s, %s) = %v, want the merged record", paths, q[0], q[1], got)
			}
		}
		v, err := db.ByID(context.Background(), "CVE-2018-1285")
		if err != nil {
			t.Fatal(err)
		}
		// The later copy is the base; the other's entries and aliases are added.
		if v.Details != "nuget copy" || len(v.Affected) != 2 || !slices.Equal(v.Aliases, []string{"GHSA-2cwj-8chv-9pp9"}) {
			t.Errorf("%v: merged record: details %q, %d affected, aliases %v", paths, v.Details, len(v.Affected), v.Aliases)
		}
		if got, _ := db.ByAlias(context.Background(), "GHSA-2cwj-8chv-9pp9"); len(got) != 1 {
			t.Errorf("%v: alias of the older copy not indexed: %v", paths, got)
		}
		st2, _ := db.Status()
		if st2.Ecosystems["Maven"] != 1 || st2.Ecosystems["NuGet"] != 1 {
			t.Errorf("%v: ecosystems %v", paths, st2.Ecosystems)
		}
		db.Close()
	}
}

// TestShippedReusedIDs: the bundled Maven, NuGet and Packagist exports share seven ids; every
// package of each copy is found.
func TestShippedReusedIDs(t *testing.T) {
	db := openShipped(t)
	for _, q := range [][3]string{
		{"Maven", "log4net:apache-log4net", "CVE-2018-1285"},
		{"NuGet", "log4net", "CVE-2018-1285"},
		{"NuGet", "Bootstrap.Less", "CVE-2018-14041"},
		{"Packagist", "typo3/cms-core", "CVE-2018-14041"},
		{"Maven", "com.google.protobuf:protobuf-parent", "CVE-2021-22570"},
		{"NuGet", "Google.Protobuf", "CVE-2021-22570"},
	} {
		if got := lookupIDs(t, db, q[0], q[1]); !slices.Contains(got, q[2]) {
			t.Errorf("Lookup(%s, %s) = %v, want %s among them", q[0], q[1], got, q[2])
		}
	}
}
