package vulndb

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestSentinelPrefix finds every package-level error variable made with errors.New or
// fmt.Errorf in the package's source and checks that its message starts with "vulndb: ", so a
// wrapped error still says where it comes from.
func TestSentinelPrefix(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	found := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, v := range vs.Values {
					call, ok := v.(*ast.CallExpr)
					if !ok || len(call.Args) == 0 {
						continue
					}
					fn, ok := call.Fun.(*ast.SelectorExpr)
					if !ok || !(fn.Sel.Name == "New" || fn.Sel.Name == "Errorf") {
						continue
					}
					lit, ok := call.Args[0].(*ast.BasicLit)
					if !ok {
						continue
					}
					msg, _ := strconv.Unquote(lit.Value)
					found++
					// fmt.Errorf("%w: …", ErrX) takes its prefix from the error it wraps.
					if !strings.HasPrefix(msg, "vulndb: ") && !(fn.Sel.Name == "Errorf" && strings.HasPrefix(msg, "%w")) {
						t.Errorf("%s: %s = %q: want the prefix \"vulndb: \"", fset.Position(v.Pos()), vs.Names[i].Name, msg)
					}
				}
			}
		}
	}
	if found < 10 {
		t.Errorf("found %d sentinel errors: the test does not see them", found)
	}
	if !strings.HasPrefix(ErrEmptySource.Error(), "vulndb: ") {
		t.Errorf("ErrEmptySource = %q", ErrEmptySource)
	}
}
