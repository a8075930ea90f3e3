package dockerfile

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in string
		line     int
		msg      string // substring of the message
	}{
		{"unknown instruction", "FROM debian:12\nRUN true\nFOO bar\n", 3, "unknown instruction FOO"},
		{"continued unknown", "FROM debian:12\nRUN a \\\n  b\nCOPYY a b\n", 4, "unknown instruction COPYY"},
		{"before FROM", "# comment\nRUN true\nFROM debian:12\n", 2, "RUN before the first FROM"},
		{"no FROM", "ARG A=1\n", 0, "no FROM instruction"},
		{"empty", "", 0, "file with no instructions"},
		{"only comments", "# hello\n\n# world\n", 0, "file with no instructions"},
		{"FROM without image", "FROM\n", 1, "FROM needs at least 1"},
		{"FROM bad alias", "FROM debian:12 AS\n", 1, "FROM takes an image"},
		{"COPY one arg", "FROM debian:12\nCOPY onlyone\n", 2, "COPY needs at least 2"},
		{"ONBUILD FROM", "FROM debian:12\nONBUILD FROM alpine\n", 2, "ONBUILD FROM is not allowed"},
		{"ONBUILD unknown", "FROM debian:12\nONBUILD BLAH x\n", 2, "unknown instruction BLAH"},
		{"unterminated heredoc", "FROM debian:12\nRUN <<EOT\necho hi\n", 2, "unterminated heredoc"},
		{"duplicate stage", "FROM a AS x\nFROM b AS X\n", 2, `duplicate stage name "x"`},
		{"bad escape directive", "# escape=xx\nFROM debian:12\n", 1, "escape"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("Dockerfile", strings.NewReader(tt.in))
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("Parse() error = %v, want ErrSyntax", err)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("not a *SyntaxError: %T", err)
			}
			if se.Line != tt.line || !strings.Contains(se.Msg, tt.msg) || se.Path != "Dockerfile" {
				t.Errorf("got %+v (%q), want line %d and %q", se, err, tt.line, tt.msg)
			}
			if tt.line > 0 && !strings.HasPrefix(err.Error(), "Dockerfile:") {
				t.Errorf("error %q does not start with file:line", err)
			}
		})
	}
}

func TestParseTooLarge(t *testing.T) {
	big := "FROM debian:12\n" + strings.Repeat("# padding padding padding\n", MaxSize/20)
	_, err := Parse("big", strings.NewReader(big))
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("Parse() error = %v, want ErrTooLarge", err)
	}
}

func TestReadFileNotExist(t *testing.T) {
	_, err := ReadFile(filepath.Join(t.TempDir(), "Dockerfile"), "")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile() error = %v, want fs.ErrNotExist", err)
	}
}

func TestParseStages(t *testing.T) {
	src := "ARG V=1\nFROM golang:1.23 AS Build\nRUN go build \\\n  ./...\nFROM build AS test\nFROM debian:12\nCOPY --from=build /out /app\nONBUILD RUN make\n"
	f, err := Parse("Dockerfile", strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	type st struct {
		Name, Base string
		Line       int
		Cmds       []string
	}
	var got []st
	for _, s := range f.Stages {
		x := st{Name: s.Name, Base: s.Base, Line: s.From.Line}
		for _, in := range s.Instructions {
			x.Cmds = append(x.Cmds, in.Cmd)
		}
		got = append(got, x)
	}
	want := []st{
		{Name: "build", Base: "golang:1.23", Line: 2, Cmds: []string{"run"}},
		{Name: "test", Base: "build", Line: 5},
		{Base: "debian:12", Line: 6, Cmds: []string{"copy", "onbuild"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stages mismatch (-want +got):\n%s", diff)
	}
	if run := f.Stages[0].Instructions[0]; run.Line != 3 || run.EndLine != 4 {
		t.Errorf("RUN spans %d-%d, want 3-4", run.Line, run.EndLine)
	}
	if ob := f.Stages[2].Instructions[1].OnBuild; ob == nil || ob.Cmd != "run" || ob.Line != 8 {
		t.Errorf("ONBUILD inner = %+v", ob)
	}
	if got := f.chain(1); !cmp.Equal(got, []int{0, 1}) {
		t.Errorf("chain(1) = %v, want [0 1]", got)
	}
	if v, ok := f.Stages[2].Instructions[0].Flag("from"); !ok || v != "build" {
		t.Errorf("Flag(from) = %q, %v", v, ok)
	}
}

// FuzzParse feeds arbitrary bytes through the parser and every check. Invariants: no panic, an
// error is a SyntaxError or ErrTooLarge, and findings point at lines of the input.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.Dockerfile")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("FROM a\nRUN <<A <<B\nx\nA\ny\nB\n"))
	f.Add([]byte("# escape=`\nFROM a\nRUN echo `\n  hi\n"))
	l := newTestLinter(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		df, err := Parse("fuzz", bytes.NewReader(b))
		if err != nil {
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			return
		}
		lines := bytes.Count(b, []byte("\n")) + 1
		for _, fd := range l.Lint(df) {
			if fd.Location.Line < 1 || fd.Location.Line > lines {
				t.Fatalf("%s at line %d of a %d-line input", fd.ID, fd.Location.Line, lines)
			}
			if len(fd.Evidence) > 300 {
				t.Fatalf("evidence of %d bytes", len(fd.Evidence))
			}
		}
	})
}
