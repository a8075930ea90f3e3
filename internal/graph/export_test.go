package graph

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

func TestExportGolden(t *testing.T) {
	g := loadShop(t, "payments")
	rules, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		write func(io.Writer) error
	}{
		{"shop.dot", func(w io.Writer) error { return WriteDOT(w, g) }},
		{"shop.graphml", func(w io.Writer) error { return WriteGraphML(w, g) }},
		{"shop.cypher", func(w io.Writer) error { return WriteCypher(w, g) }},
		{"shop.table.golden", func(w io.Writer) error {
			return WriteTable(w, &Result{Issues: Analyze(g, rules)})
		}},
		{"shop.json.golden", func(w io.Writer) error {
			return WriteJSON(w, &Result{Issues: Analyze(g, rules), Stats: map[string]any{"nodes": len(g.Nodes)}})
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.write(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, b.Bytes())
		})
	}
}

// The GraphML export is well-formed XML holding every node and edge once, with edge ends that
// name existing nodes.
func TestGraphMLParses(t *testing.T) {
	g := loadShop(t)
	// A name with characters XML cannot carry must not break the document.
	g.Node(KindSecret, "", "ns", "bad\x00name<&>\"")
	var b bytes.Buffer
	if err := WriteGraphML(&b, g); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Graph struct {
			Nodes []struct {
				ID string `xml:"id,attr"`
			} `xml:"node"`
			Edges []struct {
				Source string `xml:"source,attr"`
				Target string `xml:"target,attr"`
			} `xml:"edge"`
		} `xml:"graph"`
	}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, n := range doc.Graph.Nodes {
		ids[n.ID] = true
	}
	if len(ids) != len(g.Nodes) || len(doc.Graph.Edges) != len(g.Edges) {
		t.Fatalf("GraphML holds %d nodes, %d edges; graph has %d, %d", len(ids), len(doc.Graph.Edges), len(g.Nodes), len(g.Edges))
	}
	for _, e := range doc.Graph.Edges {
		if !ids[e.Source] || !ids[e.Target] {
			t.Errorf("edge %s → %s names a missing node", e.Source, e.Target)
		}
	}
	if xmllint, err := exec.LookPath("xmllint"); err == nil {
		cmd := exec.Command(xmllint, "--noout", "-")
		cmd.Stdin = bytes.NewReader(b.Bytes())
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("xmllint: %v\n%s", err, out)
		}
	}
}

// Graphviz reads the DOT export: every node and edge is drawn (dot -Tjson counts them).
func TestDOTGraphviz(t *testing.T) {
	dot, err := exec.LookPath("dot")
	if err != nil {
		testenv.Missing(t, "graphviz (dot) is not installed")
	}
	g := loadShop(t)
	g.Node(KindSecret, "", "ns", "quote\"back\\slash\nnewline")
	var b bytes.Buffer
	if err := WriteDOT(&b, g); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(dot, "-Tjson0")
	cmd.Stdin = &b
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dot: %v", err)
	}
	var doc struct {
		Objects []json.RawMessage `json:"objects"`
		Edges   []json.RawMessage `json:"edges"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Objects) != len(g.Nodes) || len(doc.Edges) != len(g.Edges) {
		t.Errorf("graphviz read %d nodes, %d edges; graph has %d, %d", len(doc.Objects), len(doc.Edges), len(g.Nodes), len(g.Edges))
	}
}

// Each Cypher statement is one CREATE of a node or one MATCH … CREATE of a relationship whose
// string literals are closed: a quote in a name cannot end a literal early.
func TestCypherStatements(t *testing.T) {
	g := loadShop(t)
	g.Node(KindSecret, "", "ns", `it's a \ name'); DETACH DELETE n; //`)
	var b bytes.Buffer
	if err := WriteCypher(&b, g); err != nil {
		t.Fatal(err)
	}
	literal := `'(?:[^'\\\n]|\\.)*'`
	value := `(?:` + literal + `|[0-9.e+-]+)`
	props := `\{(?:[A-Za-z_]+|` + "`[^`]*`" + `): ` + value + `(?:, (?:[A-Za-z_]+|` + "`[^`]*`" + `): ` + value + `)*\}`
	node := regexp.MustCompile(`^CREATE \(:Rampart:[A-Za-z]+ ` + props + `\);$`)
	rel := regexp.MustCompile(`^MATCH \(a:Rampart \{rid: \d+\}\), \(b:Rampart \{rid: \d+\}\) CREATE \(a\)-\[:[A-Z_]+ ` + props + `\]->\(b\);$`)
	var nodes, rels int
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		switch {
		case strings.HasPrefix(line, "//"), strings.HasPrefix(line, "CREATE INDEX"):
		case node.MatchString(line):
			nodes++
		case rel.MatchString(line):
			rels++
		default:
			t.Errorf("not a statement of the expected shape: %s", line)
		}
	}
	if nodes != len(g.Nodes) || rels != len(g.Edges) {
		t.Errorf("%d node and %d relationship statements; graph has %d, %d", nodes, rels, len(g.Nodes), len(g.Edges))
	}
}
