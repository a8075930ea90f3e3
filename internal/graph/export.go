package graph

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"

	"github.com/rampartsec/rampart/internal/termtext"
)

// Result is what `rampart graph --format json` prints.
type Result struct {
	Issues   []Issue        `json:"issues"`
	Stats    map[string]any `json:"stats"`
	Warnings []string       `json:"warnings,omitempty"`
}

// WriteJSON writes res as indented JSON.
func WriteJSON(w io.Writer, res *Result) error {
	if res.Issues == nil {
		res.Issues = []Issue{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}

// WriteTable writes the issues for a terminal: one block per issue with its path and evidence.
func WriteTable(w io.Writer, res *Result) error {
	bw := bufio.NewWriter(w)
	tw := tabwriter.NewWriter(bw, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCORE\tSEVERITY\tRULE\tTITLE")
	for _, is := range res.Issues {
		fmt.Fprintf(tw, "%.1f\t%s\t%s\t%s\n", is.Score, is.Severity, is.Rule, termtext.Clean(is.Title))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for i, is := range res.Issues {
		fmt.Fprintf(bw, "\n%d. [%s %.1f] %s\n", i+1, is.Rule, is.Score, termtext.Clean(is.Title))
		fmt.Fprintf(bw, "   path: %s\n", termtext.Clean(pathString(is.Path)))
		for _, e := range is.Evidence {
			fmt.Fprintf(bw, "   - %s\n", termtext.Clean(e))
		}
		fmt.Fprintf(bw, "   score: %s\n", ScoreFormula(&is))
		fmt.Fprintf(bw, "   fix: %s\n", termtext.Clean(is.Remediation))
	}
	if len(res.Issues) == 0 {
		fmt.Fprintln(bw, "\nno issues")
	}
	if len(res.Warnings) > 0 {
		fmt.Fprintf(bw, "\n%d warning(s): what could not be read is not in the graph, and issues depending on it are not reported\n", len(res.Warnings))
	}
	for _, wn := range res.Warnings {
		fmt.Fprintf(bw, "warning: %s\n", termtext.Clean(wn))
	}
	return bw.Flush()
}

// ScoreFormula shows how an issue's score was reached, with its factors' values:
// "100 × exposure 1.000 × exploitability 0.300 × impact 1.000 × (0.75 + 0.25 × blast_radius 0.400) = 33.0".
func ScoreFormula(is *Issue) string {
	var b strings.Builder
	b.WriteString("100")
	for _, f := range is.Explain {
		if f.Name == "blast_radius" {
			fmt.Fprintf(&b, " × (0.75 + 0.25 × %s %.3f)", f.Name, f.Value)
			continue
		}
		fmt.Fprintf(&b, " × %s %.3f", f.Name, f.Value)
	}
	fmt.Fprintf(&b, " = %.1f", is.Score)
	return b.String()
}

func attrKeys(n *Node) []string {
	keys := make([]string, 0, len(n.Attrs))
	for k := range n.Attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// WriteDOT writes g in Graphviz DOT. Attack edges are drawn red and labelled with their likelihood.
func WriteDOT(w io.Writer, g *Graph) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "digraph rampart {")
	fmt.Fprintln(bw, "  rankdir=LR;")
	fmt.Fprintln(bw, "  node [shape=box, fontsize=10];")
	for i := range g.Nodes {
		n := &g.Nodes[i]
		label := string(n.Kind)
		if n.Type != "" {
			label += " (" + n.Type + ")"
		}
		label += "\n"
		if n.Namespace != "" {
			label += n.Namespace + "/"
		}
		label += n.Name
		extra := ""
		if c := g.crown[i]; c != "" {
			extra = ", color=red, penwidth=2"
		}
		fmt.Fprintf(bw, "  n%d [label=%s%s];\n", i, dotQuote(label), extra)
	}
	for i := range g.Edges {
		e := &g.Edges[i]
		label := string(e.Kind)
		style := ""
		if e.Attack() {
			label += " " + strconv.FormatFloat(e.P, 'f', 2, 64)
			style = ", color=red"
		}
		fmt.Fprintf(bw, "  n%d -> n%d [label=%s, tooltip=%s%s];\n", e.From, e.To, dotQuote(label), dotQuote(e.Evidence), style)
	}
	fmt.Fprintln(bw, "}")
	return bw.Flush()
}

func dotQuote(s string) string { return quote(s, '"') }

// quote writes s as a literal between q characters, escaping q and backslashes, writing
// newlines as \n and dropping other control characters: the form both DOT and Cypher read.
func quote(s string, q rune) string {
	var b strings.Builder
	b.WriteRune(q)
	for _, r := range s {
		switch {
		case r == q || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case unicode.IsControl(r):
		default:
			b.WriteRune(r)
		}
	}
	b.WriteRune(q)
	return b.String()
}

// WriteGraphML writes g as GraphML (yEd, Gephi, Cytoscape, NetworkX read it).
func WriteGraphML(w io.Writer, g *Graph) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(xml.Header)
	bw.WriteString(`<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">` + "\n")
	keys := []struct{ id, for_, name, typ string }{
		{"kind", "node", "kind", "string"}, {"type", "node", "type", "string"}, {"namespace", "node", "namespace", "string"},
		{"name", "node", "name", "string"}, {"attrs", "node", "attrs", "string"}, {"crown", "node", "crown", "string"},
		{"ekind", "edge", "kind", "string"}, {"evidence", "edge", "evidence", "string"}, {"p", "edge", "p", "double"},
	}
	for _, k := range keys {
		fmt.Fprintf(bw, `  <key id="%s" for="%s" attr.name="%s" attr.type="%s"/>`+"\n", k.id, k.for_, k.name, k.typ)
	}
	bw.WriteString(`  <graph id="rampart" edgedefault="directed">` + "\n")
	data := func(key, val string) {
		if val == "" {
			return
		}
		fmt.Fprintf(bw, `      <data key="%s">`, key)
		xml.EscapeText(bw, []byte(xmlSafe(val)))
		bw.WriteString("</data>\n")
	}
	for i := range g.Nodes {
		n := &g.Nodes[i]
		fmt.Fprintf(bw, `    <node id="n%d">`+"\n", i)
		data("kind", string(n.Kind))
		data("type", n.Type)
		data("namespace", n.Namespace)
		data("name", n.Name)
		var attrs []string
		for _, k := range attrKeys(n) {
			attrs = append(attrs, k+"="+n.Attrs[k])
		}
		data("attrs", strings.Join(attrs, ";"))
		data("crown", g.crown[i])
		bw.WriteString("    </node>\n")
	}
	for i := range g.Edges {
		e := &g.Edges[i]
		fmt.Fprintf(bw, `    <edge id="e%d" source="n%d" target="n%d">`+"\n", i, e.From, e.To)
		data("ekind", string(e.Kind))
		data("evidence", e.Evidence)
		if e.Attack() {
			data("p", strconv.FormatFloat(e.P, 'g', -1, 64))
		}
		bw.WriteString("    </edge>\n")
	}
	bw.WriteString("  </graph>\n</graphml>\n")
	return bw.Flush()
}

// xmlSafe drops runes XML 1.0 cannot carry.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF {
			return r
		}
		return -1
	}, s)
}

// WriteCypher writes g as Cypher CREATE statements for Neo4j (cypher-shell < graph.cypher).
// Every node has the label Rampart and its kind as a second label; relationship types are the edge kinds in upper snake case.
func WriteCypher(w io.Writer, g *Graph) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "// rampart security graph")
	fmt.Fprintln(bw, "CREATE INDEX rampart_rid IF NOT EXISTS FOR (n:Rampart) ON (n.rid);")
	for i := range g.Nodes {
		n := &g.Nodes[i]
		props := []string{"rid: " + strconv.Itoa(i), "name: " + cypherString(n.Name)}
		if n.Type != "" {
			props = append(props, "type: "+cypherString(n.Type))
		}
		if n.Namespace != "" {
			props = append(props, "namespace: "+cypherString(n.Namespace))
		}
		if c := g.crown[i]; c != "" {
			props = append(props, "crown: "+cypherString(c))
		}
		for _, k := range attrKeys(n) {
			if k == "crown" {
				continue
			}
			props = append(props, cypherIdent(k)+": "+cypherString(n.Attrs[k]))
		}
		fmt.Fprintf(bw, "CREATE (:Rampart:%s {%s});\n", cypherIdent(string(n.Kind)), strings.Join(props, ", "))
	}
	for i := range g.Edges {
		e := &g.Edges[i]
		props := []string{"evidence: " + cypherString(e.Evidence)}
		if e.Attack() {
			props = append(props, "p: "+strconv.FormatFloat(e.P, 'g', -1, 64))
		}
		fmt.Fprintf(bw, "MATCH (a:Rampart {rid: %d}), (b:Rampart {rid: %d}) CREATE (a)-[:%s {%s}]->(b);\n",
			e.From, e.To, strings.ToUpper(strings.ReplaceAll(string(e.Kind), "-", "_")), strings.Join(props, ", "))
	}
	return bw.Flush()
}

func cypherString(s string) string { return quote(s, '\'') }

// cypherIdent quotes an identifier with backticks when it is not plain.
func cypherIdent(s string) string {
	plain := s != ""
	for i, r := range s {
		if !(r == '_' || unicode.IsLetter(r) || i > 0 && unicode.IsDigit(r)) {
			plain = false
		}
	}
	if plain {
		return s
	}
	return "`" + strings.ReplaceAll(s, "`", "``") + "`"
}

// WriteAnswers writes query answers as "table" or "json".
func WriteAnswers(w io.Writer, format string, answers []Answer) error {
	if format == "json" {
		if answers == nil {
			answers = []Answer{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"answers": answers})
	}
	bw := bufio.NewWriter(w)
	if len(answers) == 0 {
		fmt.Fprintln(bw, "no path")
	}
	for i, a := range answers {
		fmt.Fprintf(bw, "%d. %s → %s (likelihood %.2f)\n", i+1, termtext.Clean(a.From.String()), termtext.Clean(a.To.String()), a.Likelihood)
		fmt.Fprintf(bw, "   path: %s\n", termtext.Clean(pathString(a.Path)))
		for _, e := range a.Evidence {
			fmt.Fprintf(bw, "   - %s\n", termtext.Clean(e))
		}
	}
	return bw.Flush()
}
