package sbom

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/go-cmp/cmp"
	"github.com/package-url/packageurl-go"
	spdxjson "github.com/spdx/tools-golang/json"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"

	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/result"
)

var update = flag.Bool("update", false, "rewrite golden files")

// loadReport reads a report as `rampart image --format json` writes it.
func loadReport(t testing.TB, file string) *result.Report {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var r result.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return &r
}

// minimalReport is a directory scan that found nothing: no OS, no packages, no version.
func minimalReport() *result.Report {
	return &result.Report{
		SchemaVersion: result.SchemaVersion,
		Tool:          result.Tool{Name: "rampart", Version: "dev"},
		CreatedAt:     time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Artifact:      result.Artifact{Name: "dir:/tmp/empty", Source: "dir", OS: inventory.Unknown},
	}
}

func encode(t testing.TB, format string, r *result.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, format, r); err != nil {
		t.Fatalf("Encode(%s): %v", format, err)
	}
	return buf.Bytes()
}

func TestEncodeValidatesAgainstOfficialSchemas(t *testing.T) {
	reports := map[string]*result.Report{
		"realistic": loadReport(t, "testdata/report.json"),
		"minimal":   minimalReport(),
	}
	for name, r := range reports {
		for _, format := range Formats {
			t.Run(name+"/"+format, func(t *testing.T) {
				if err := validate(t, format, encode(t, format, r)); err != nil {
					t.Errorf("%s output does not validate:\n%v", format, err)
				}
			})
		}
	}
}

var (
	serialRE    = regexp.MustCompile(`urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`)
	namespaceRE = regexp.MustCompile(`("documentNamespace": ".*)-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"`)
	timestampRE = regexp.MustCompile(`("(?:timestamp|created)": )"[^"]*"`)
)

// normalise replaces what differs between runs (the random UUIDs) and the creation time, so
// golden files compare the rest byte for byte.
func normalise(b []byte) []byte {
	b = serialRE.ReplaceAll(b, []byte("urn:uuid:00000000-0000-4000-8000-000000000000"))
	b = namespaceRE.ReplaceAll(b, []byte(`$1-00000000-0000-4000-8000-000000000000"`))
	return timestampRE.ReplaceAll(b, []byte(`$1"TIMESTAMP"`))
}

func checkGolden(t *testing.T, golden string, got []byte) {
	t.Helper()
	got = normalise(got)
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", golden, diff)
	}
}

func TestGolden(t *testing.T) {
	r := loadReport(t, "testdata/report.json")
	checkGolden(t, "testdata/realistic.cdx.golden.json", encode(t, FormatCycloneDXJSON, r))
	checkGolden(t, "testdata/realistic.spdx.golden.json", encode(t, FormatSPDXJSON, r))
	checkGolden(t, "testdata/minimal.cdx.golden.json", encode(t, FormatCycloneDXJSON, minimalReport()))
	checkGolden(t, "testdata/minimal.spdx.golden.json", encode(t, FormatSPDXJSON, minimalReport()))
}

// Two runs over the same report differ only in the per-document UUIDs, which must differ.
func TestEncodeDeterministicButUnique(t *testing.T) {
	r := loadReport(t, "testdata/report.json")
	for _, format := range Formats {
		a, b := encode(t, format, r), encode(t, format, r)
		if bytes.Equal(a, b) {
			t.Errorf("%s: two documents are identical; serial number / namespace must be unique per run", format)
		}
		if !bytes.Equal(normalise(a), normalise(b)) {
			t.Errorf("%s: output differs between runs beyond the UUIDs", format)
		}
	}
	// Package order in the report must not matter.
	shuffled := loadReport(t, "testdata/report.json")
	slices.Reverse(shuffled.Packages)
	for _, format := range Formats {
		if !bytes.Equal(normalise(encode(t, format, r)), normalise(encode(t, format, shuffled))) {
			t.Errorf("%s: output depends on the report's package order", format)
		}
	}
}

func TestEncodeDoesNotModifyReport(t *testing.T) {
	r := loadReport(t, "testdata/report.json")
	before, _ := json.Marshal(r)
	for _, format := range Formats {
		encode(t, format, r)
	}
	after, _ := json.Marshal(r)
	if !bytes.Equal(before, after) {
		t.Error("Encode modified the report")
	}
}

func TestEncodeUnknownFormat(t *testing.T) {
	for _, format := range []string{"", "cyclonedx-xml", "spdx-tag-value", "json"} {
		err := Encode(&bytes.Buffer{}, format, minimalReport())
		if !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("Encode(%q) = %v, want ErrUnknownFormat", format, err)
		}
	}
	if err := Encode(&bytes.Buffer{}, FormatSPDXJSON, nil); err == nil {
		t.Error("Encode(nil report) succeeded")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestEncodeWriteError(t *testing.T) {
	for _, format := range Formats {
		if err := Encode(failWriter{}, format, minimalReport()); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("%s: Encode to a failing writer = %v, want the writer's error", format, err)
		}
	}
}

// decodeCycloneDX reads a BOM back with the CycloneDX library's own decoder.
func decodeCycloneDX(t testing.TB, b []byte) *cdx.BOM {
	t.Helper()
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(b), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		t.Fatalf("decode cyclonedx: %v", err)
	}
	return &bom
}

func props(c cdx.Component) map[string][]string { return propMap(c.Properties) }

// propMap lists the values of CycloneDX properties by name.
func propMap(ps *[]cdx.Property) map[string][]string {
	m := map[string][]string{}
	if ps != nil {
		for _, p := range *ps {
			m[p.Name] = append(m[p.Name], p.Value)
		}
	}
	return m
}

func TestCycloneDXContent(t *testing.T) {
	r := loadReport(t, "testdata/report.json")
	bom := decodeCycloneDX(t, encode(t, FormatCycloneDXJSON, r))

	if bom.SpecVersion != cdx.SpecVersion1_6 || bom.JSONSchema != "http://cyclonedx.org/schema/bom-1.6.schema.json" {
		t.Errorf("specVersion %v, $schema %q; want 1.6", bom.SpecVersion, bom.JSONSchema)
	}
	if !serialRE.MatchString(bom.SerialNumber) {
		t.Errorf("serialNumber %q is not a random urn:uuid", bom.SerialNumber)
	}
	md := bom.Metadata
	if md.Timestamp != "2026-11-20T08:30:00Z" {
		t.Errorf("timestamp %q, want the report's created_at", md.Timestamp)
	}
	if tools := *md.Tools.Components; len(tools) != 1 || tools[0].Name != "rampart" || tools[0].Version != "0.4.0" {
		t.Errorf("metadata.tools = %+v, want rampart 0.4.0", tools)
	}
	img := md.Component
	wantImg := cdx.Component{
		Type: cdx.ComponentTypeContainer, Name: "127.0.0.1:5000/shop/api:1.8",
		Version: "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270",
	}
	if img.BOMRef != img.PackageURL || !strings.HasPrefix(img.PackageURL, "pkg:oci/api@sha256") {
		t.Errorf("image bom-ref %q, purl %q: want the pkg:oci purl as both", img.BOMRef, img.PackageURL)
	}
	ignore := cmp.FilterPath(func(p cmp.Path) bool {
		s := p.Last().String()
		return s == ".Properties" || s == ".BOMRef" || s == ".PackageURL"
	}, cmp.Ignore())
	if diff := cmp.Diff(wantImg, *img, ignore); diff != "" {
		t.Errorf("metadata.component mismatch (-want +got):\n%s", diff)
	}
	if got := props(*img)[propImageLayer]; len(got) != 3 || got[2] != r.Artifact.Layers[2].DiffID {
		t.Errorf("image layer properties = %v", got)
	}

	comps := *bom.Components
	if len(comps) != 1+len(r.Packages) {
		t.Fatalf("%d components, want the OS + %d packages", len(comps), len(r.Packages))
	}
	if os := comps[0]; os.Type != cdx.ComponentTypeOS || os.Name != "debian" || os.Version != "12" {
		t.Errorf("first component = %+v, want operating-system debian 12", os)
	}

	refs := map[string]bool{img.BOMRef: true}
	byRef := map[string]cdx.Component{}
	for _, c := range comps {
		if c.BOMRef == "" || refs[c.BOMRef] {
			t.Errorf("bom-ref %q empty or not unique", c.BOMRef)
		}
		refs[c.BOMRef] = true
		byRef[c.BOMRef] = c
	}

	// Each report package is one component, found by its purl and evidence path.
	for _, p := range r.Packages {
		var found []cdx.Component
		for _, c := range comps[1:] {
			if c.PackageURL == p.PURL && props(c)[propEvidencePath][0] == p.Path && c.Name == p.Name {
				found = append(found, c)
			}
		}
		if len(found) != 1 {
			t.Errorf("package %s %s at %s: %d components", p.Name, p.Version, p.Path, len(found))
			continue
		}
		c := found[0]
		pr := props(c)
		if pr[propLayerDiffID][0] != p.Layer || pr[propPkgType][0] != string(p.Type) {
			t.Errorf("%s: properties %v do not carry layer %s and type %s", p.Name, pr, p.Layer, p.Type)
		}
		if p.PURL != "" && strings.Count(p.PURL, "") > 0 {
			dups := 0
			for _, q := range r.Packages {
				if q.PURL == p.PURL {
					dups++
				}
			}
			if dups == 1 && c.BOMRef != p.PURL {
				t.Errorf("%s: bom-ref %q, want its purl", p.Name, c.BOMRef)
			}
			if dups > 1 && c.BOMRef == p.PURL {
				t.Errorf("%s: shared purl used as bom-ref of one copy", p.Name)
			}
		}
	}

	// The duplicate lodash copies stay two components with distinct refs.
	var lodash []string
	for _, c := range comps {
		if c.Name == "lodash" {
			lodash = append(lodash, c.BOMRef)
		}
	}
	if len(lodash) != 2 || lodash[0] == lodash[1] {
		t.Errorf("lodash bom-refs = %v, want two distinct", lodash)
	}

	// Dependencies: the image depends on the OS and every package, nothing else is claimed.
	deps := *bom.Dependencies
	if len(deps) != 1 || deps[0].Ref != img.BOMRef {
		t.Fatalf("dependencies = %+v, want one entry for the image", deps)
	}
	var wantDeps []string
	for _, c := range comps {
		wantDeps = append(wantDeps, c.BOMRef)
	}
	if diff := cmp.Diff(wantDeps, *deps[0].Dependencies); diff != "" {
		t.Errorf("image dependsOn mismatch (-want +got):\n%s", diff)
	}

	// Licences: SPDX ids by id, a lone expression as expression, the rest by name.
	licences := map[string]string{}
	for _, c := range comps {
		if c.Licenses == nil {
			licences[c.Name] = ""
			continue
		}
		var s []string
		for _, l := range *c.Licenses {
			switch {
			case l.Expression != "":
				s = append(s, "expr:"+l.Expression)
			case l.License.ID != "":
				s = append(s, "id:"+l.License.ID)
			default:
				s = append(s, "name:"+l.License.Name)
			}
		}
		licences[c.Name] = strings.Join(s, ",")
	}
	wantLic := map[string]string{
		"libc6":                               "name:GPL-2+,id:LGPL-2.1,id:LGPL-2.1+",
		"base-files":                          "id:GPL-2.0-or-later",
		"tzdata":                              "",
		"nodejs":                              "name:Expat,name:Apache-2.0 WITH LLVM-exception,id:BSD-3-Clause,name:public-domain",
		"left-pad":                            "expr:WTFPL OR MIT",
		"serde":                               "expr:MIT OR Apache-2.0",
		"org.apache.logging.log4j:log4j-core": "id:Apache-2.0",
		"rack":                                "id:MIT,name:LicenseRef-Rack-Extra",
		"zoë-tools":                           "name:Lizenz: frei für alle — siehe README",
		`weird<&>"name`:                       "",
		"github.com/shop/api":                 "",
	}
	for name, want := range wantLic {
		if got := licences[name]; got != want {
			t.Errorf("%s licences = %q, want %q", name, got, want)
		}
	}
}

// decodeSPDX reads a document back with the SPDX library's own reader.
func decodeSPDX(t testing.TB, b []byte) *spdx.Document {
	t.Helper()
	var doc spdx.Document
	if err := spdxjson.ReadInto(bytes.NewReader(b), &doc); err != nil {
		t.Fatalf("decode spdx: %v", err)
	}
	return &doc
}

var spdxIDRE = regexp.MustCompile(`^SPDXRef-[A-Za-z0-9.-]+$`)

func TestSPDXContent(t *testing.T) {
	r := loadReport(t, "testdata/report.json")
	raw := encode(t, FormatSPDXJSON, r)
	doc := decodeSPDX(t, raw)

	if doc.SPDXVersion != "SPDX-2.3" || doc.DataLicense != "CC0-1.0" {
		t.Errorf("version %q, data licence %q", doc.SPDXVersion, doc.DataLicense)
	}
	if !strings.HasPrefix(doc.DocumentNamespace, namespaceBase) || strings.Contains(doc.DocumentNamespace, "#") {
		t.Errorf("namespace %q", doc.DocumentNamespace)
	}
	if c := doc.CreationInfo.Creators; len(c) != 1 || c[0].CreatorType != "Tool" || c[0].Creator != "rampart-0.4.0" {
		t.Errorf("creators = %+v, want Tool: rampart-0.4.0", c)
	}
	if doc.CreationInfo.Created != "2026-11-20T08:30:00Z" {
		t.Errorf("created = %q", doc.CreationInfo.Created)
	}

	// Identifiers as written (the library strips the prefix on reading).
	var ids struct {
		Packages []struct {
			SPDXID string `json:"SPDXID"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(raw, &ids); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, p := range ids.Packages {
		if !spdxIDRE.MatchString(p.SPDXID) || seen[p.SPDXID] {
			t.Errorf("SPDXID %q invalid or duplicated", p.SPDXID)
		}
		seen[p.SPDXID] = true
	}

	if len(doc.Packages) != 2+len(r.Packages) {
		t.Fatalf("%d packages, want image + OS + %d", len(doc.Packages), len(r.Packages))
	}
	img := doc.Packages[0]
	if img.PrimaryPackagePurpose != "CONTAINER" || img.PackageVersion != r.Artifact.Digest {
		t.Errorf("image package = %+v", img)
	}
	var describes, contains int
	for _, rel := range doc.Relationships {
		switch rel.Relationship {
		case "DESCRIBES":
			describes++
			if rel.RefA.ElementRefID != "DOCUMENT" || rel.RefB.ElementRefID != img.PackageSPDXIdentifier {
				t.Errorf("DESCRIBES %v -> %v, want DOCUMENT -> image", rel.RefA, rel.RefB)
			}
		case "CONTAINS":
			contains++
			if rel.RefA.ElementRefID != img.PackageSPDXIdentifier {
				t.Errorf("CONTAINS from %v, want the image", rel.RefA)
			}
		default:
			t.Errorf("unexpected relationship %q", rel.Relationship)
		}
	}
	if describes != 1 || contains != 1+len(r.Packages) {
		t.Errorf("%d DESCRIBES, %d CONTAINS; want 1 and %d", describes, contains, 1+len(r.Packages))
	}

	declared := map[string]string{}
	for _, p := range doc.Packages[2:] {
		if p.FilesAnalyzed || p.PackageDownloadLocation != "NOASSERTION" {
			t.Errorf("%s: filesAnalyzed %v, downloadLocation %q", p.PackageName, p.FilesAnalyzed, p.PackageDownloadLocation)
		}
		if !strings.Contains(p.PackageSourceInfo, "layer ") || !strings.Contains(p.PackageSourceInfo, " at ") {
			t.Errorf("%s: sourceInfo %q names no layer and path", p.PackageName, p.PackageSourceInfo)
		}
		declared[p.PackageName] = p.PackageLicenseDeclared
	}
	want := map[string]string{
		"libc6":                               "NOASSERTION", // GPL-2+ is Debian's name, not SPDX
		"base-files":                          "GPL-2.0-or-later",
		"tzdata":                              "NOASSERTION",
		"python3-yaml":                        "MIT",
		"nodejs":                              "NOASSERTION",
		"left-pad":                            "WTFPL OR MIT",
		"serde":                               "MIT OR Apache-2.0",
		"org.apache.logging.log4j:log4j-core": "Apache-2.0",
		"rack":                                "NOASSERTION", // a LicenseRef would need a declaration
		"golang.org/x/net":                    "BSD-3-Clause",
		`weird<&>"name`:                       "NOASSERTION",
	}
	for name, w := range want {
		if got := declared[name]; got != w {
			t.Errorf("%s licenseDeclared = %q, want %q", name, got, w)
		}
	}
}

func TestSPDXIDSanitised(t *testing.T) {
	tests := []struct{ kind, name, want string }{
		{"Package", "npm-@types/node-20.11.5", "Package-npm--types-node-20.11.5"},
		{"Package", "pypi-zoë-1.0", "Package-pypi-zo--1.0"},
		{"Image", "", "Image"},
		{"Image", "127.0.0.1:5000/a:b", "Image-127.0.0.1-5000-a-b"},
	}
	for _, tt := range tests {
		if got := spdxID(tt.kind, tt.name); got != tt.want {
			t.Errorf("spdxID(%q, %q) = %q, want %q", tt.kind, tt.name, got, tt.want)
		}
	}
}

func TestLicences(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{nil, "NOASSERTION"},
		{[]string{"", " "}, "NOASSERTION"},
		{[]string{"mit"}, "MIT"},
		{[]string{"MIT", "MIT"}, "MIT"},
		{[]string{"MIT", "Apache-2.0"}, "MIT AND Apache-2.0"},
		{[]string{"MIT OR Apache-2.0", "BSD-3-Clause"}, "(MIT OR Apache-2.0) AND BSD-3-Clause"},
		{[]string{"GPL-2.0+"}, "GPL-2.0+"},
		{[]string{"Apache-2.0 WITH LLVM-exception"}, "Apache-2.0 WITH LLVM-exception"},
		{[]string{"MIT", "GPL-2+"}, "NOASSERTION"},
		{[]string{"LicenseRef-foo"}, "NOASSERTION"},
		{[]string{"MIT AND"}, "NOASSERTION"},
	}
	for _, tt := range tests {
		if got := spdxExpression(classify(tt.in)); got != tt.want {
			t.Errorf("spdxExpression(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestImagePURL(t *testing.T) {
	const d = "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270"
	oci := func(name string, q map[string]string) *packageurl.PackageURL {
		p := packageurl.NewPackageURL("oci", "", name, d, packageurl.QualifiersFromMap(q), "")
		return p
	}
	tests := []struct {
		name string
		a    result.Artifact
		want *packageurl.PackageURL // nil: no purl
	}{
		{"docker hub", result.Artifact{Name: "alpine:3.20", Source: "registry", Digest: d, Platform: "linux/arm64/v8"},
			oci("alpine", map[string]string{"arch": "arm64/v8", "repository_url": "index.docker.io/library/alpine", "tag": "3.20"})},
		{"local registry", result.Artifact{Name: "127.0.0.1:5000/shop/api:1.8", Source: "registry", Digest: d},
			oci("api", map[string]string{"repository_url": "127.0.0.1:5000/shop/api", "tag": "1.8"})},
		{"implicit tag is not claimed", result.Artifact{Name: "127.0.0.1:5000/shop/api", Source: "registry", Digest: d},
			oci("api", map[string]string{"repository_url": "127.0.0.1:5000/shop/api"})},
		{"upper case is no reference", result.Artifact{Name: "ghcr.io/org/Tool@" + d, Source: "registry", Digest: d}, nil},
		{"daemon", result.Artifact{Name: "docker://app", Source: "daemon", Digest: d}, oci("app", nil)},
		{"archive named by its tag", result.Artifact{Name: "docker-archive:x.tar", Source: "docker-archive", Digest: d, RepoTags: []string{"reg.local/team/app:2"}},
			oci("app", nil)},
		{"no digest", result.Artifact{Name: "alpine:3.20", Source: "registry"}, nil},
		{"directory", result.Artifact{Name: "dir:/", Source: "dir"}, nil},
	}
	for _, tt := range tests {
		got := imagePURL(tt.a)
		if tt.want == nil {
			if got != "" {
				t.Errorf("%s: imagePURL = %q, want none", tt.name, got)
			}
			continue
		}
		// Compare what the purl says, not how a library spells it.
		p, err := packageurl.FromString(got)
		if err != nil {
			t.Errorf("%s: imagePURL = %q: %v", tt.name, got, err)
			continue
		}
		if diff := cmp.Diff(purlFields(*tt.want), purlFields(p)); diff != "" {
			t.Errorf("%s: imagePURL = %q (-want +got):\n%s", tt.name, got, diff)
		}
	}
}

// purlFields flattens a purl for comparison, independent of qualifier order and escaping.
func purlFields(p packageurl.PackageURL) map[string]string {
	m := map[string]string{"type": p.Type, "namespace": p.Namespace, "name": p.Name, "version": p.Version, "subpath": p.Subpath}
	for _, q := range p.Qualifiers {
		m["q:"+q.Key] = q.Value
	}
	return m
}

func TestPackageURLFallback(t *testing.T) {
	deb12 := inventory.OS{Family: "debian", Version: "12"}
	tests := []struct {
		name string
		p    inventory.Package
		os   inventory.OS
		want string
	}{
		{"kept", inventory.Package{Type: inventory.TypeNpm, Name: "a", Version: "1", PURL: "pkg:npm/a@1"}, deb12, "pkg:npm/a@1"},
		{"deb", inventory.Package{Type: inventory.TypeDpkg, Name: "libc6", Version: "2.36-9+deb12u9", Arch: "amd64", SourceName: "glibc"}, deb12,
			"pkg:deb/debian/libc6@2.36-9%2Bdeb12u9?arch=amd64&distro=debian-12&upstream=glibc"},
		{"apk", inventory.Package{Type: inventory.TypeApk, Name: "musl", Version: "1.2.5-r0", Arch: "x86_64", SourceName: "musl"}, inventory.OS{Family: "alpine", Version: "3.20.3"},
			"pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=3.20.3"},
		{"unknown os", inventory.Package{Type: inventory.TypeDpkg, Name: "x", Version: "1"}, inventory.Unknown, ""},
		{"language package not guessed", inventory.Package{Type: inventory.TypePython, Name: "x", Version: "1"}, deb12, ""},
	}
	for _, tt := range tests {
		if got := packageURL(&tt.p, tt.os); got != tt.want {
			t.Errorf("%s: packageURL = %q, want %q", tt.name, got, tt.want)
		}
	}
}
