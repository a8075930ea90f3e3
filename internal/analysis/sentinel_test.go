package analysis

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestSentinelsNameTheirPackage: a sentinel error of the layer analysis, the catalogers or the
// malware scanner says which package it comes from ("analysis: corrupt layer"), so that a
// message wrapped far from its source still tells where it started.
func TestSentinelsNameTheirPackage(t *testing.T) {
	fset := token.NewFileSet()
	seen := 0
	for _, root := range []string{".", "../inventory", "../malware"} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, p, nil, 0)
			if err != nil {
				return err
			}
			for _, decl := range f.Decls {
				gd, ok := decl.(*ast.GenDecl)
				if !ok || gd.Tok != token.VAR {
					continue
				}
				for _, spec := range gd.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, name := range vs.Names {
						if !strings.HasPrefix(name.Name, "Err") || i >= len(vs.Values) {
							continue
						}
						call, ok := vs.Values[i].(*ast.CallExpr)
						if !ok || len(call.Args) == 0 {
							continue
						}
						lit, ok := call.Args[0].(*ast.BasicLit)
						if !ok || lit.Kind != token.STRING {
							continue
						}
						msg, _ := strconv.Unquote(lit.Value)
						seen++
						if !strings.HasPrefix(msg, f.Name.Name+": ") {
							t.Errorf("%s: %s = %q does not start with %q", p, name.Name, msg, f.Name.Name+": ")
						}
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if seen < 5 {
		t.Fatalf("only %d sentinels found: the walk looks in the wrong place", seen)
	}
}
