package dockerfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/command"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/rampartsec/rampart/internal/mask"
)

// MaxSize is the largest Dockerfile [Parse] and [ReadFile] accept: 1 MiB, far above any real one.
const MaxSize = 1 << 20

// ErrSyntax is matched (errors.Is) by every [*SyntaxError].
var ErrSyntax = errors.New("dockerfile: syntax error")

// ErrTooLarge is wrapped by errors about a Dockerfile over [MaxSize].
var ErrTooLarge = errors.New("dockerfile: file too large")

// SyntaxError is a Dockerfile that Docker would refuse to build, with where.
type SyntaxError struct {
	Path string
	Line int // 1-based; 0 when the problem is the whole file
	Msg  string
}

func (e *SyntaxError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

// Is makes errors.Is(err, ErrSyntax) true.
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

// File is a parsed Dockerfile.
type File struct {
	// Path is the name findings and errors use for the file.
	Path string
	// MetaArgs are the ARG instructions before the first FROM.
	MetaArgs []Instruction
	// Stages are the build stages in order; the last one is the image docker build produces.
	Stages []Stage
	// Dockerignore is set by [ReadFile] when a .dockerignore (or NAME.dockerignore) sits next to
	// the file.
	Dockerignore bool
}

// Stage is one FROM and the instructions up to the next FROM.
type Stage struct {
	Index int
	// Name is the lower-cased alias after AS, or empty.
	Name string
	// Base is the image (or earlier stage) named by FROM, as written.
	Base         string
	From         Instruction
	Instructions []Instruction
}

// Instruction is one Dockerfile instruction, continuation lines joined.
type Instruction struct {
	// Cmd is the lower-case instruction: "run", "copy", …
	Cmd string
	// Args are the arguments. Shell-form RUN, CMD and ENTRYPOINT have a single argument, the
	// command line; ENV and LABEL alternate keys and values; ARG has "NAME" or "NAME=default".
	Args []string
	// Flags are the instruction's --flags as written ("--from=build").
	Flags []string
	// JSON is set for the exec (JSON array) form.
	JSON bool
	// Heredocs are the here-documents of RUN, COPY and ADD, in order.
	Heredocs []string
	// Line and EndLine are 1-based: the first and last line the instruction spans.
	Line, EndLine int
	// Original is the instruction as written, continuation lines joined.
	Original string
	// OnBuild is the instruction an ONBUILD wraps.
	OnBuild *Instruction
}

// Flag returns the value of --name=value, and whether the flag is present.
func (in *Instruction) Flag(name string) (string, bool) {
	for _, f := range in.Flags {
		k, v, _ := strings.Cut(strings.TrimPrefix(f, "--"), "=")
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// ReadFile reads and parses the Dockerfile at path. name is what findings and errors call the
// file (path when empty). It sets [File.Dockerignore]. Errors wrap [ErrSyntax], [ErrTooLarge] or
// the os package's errors (fs.ErrNotExist); their messages have secrets masked (see [Parse]).
func ReadFile(path, name string) (*File, error) {
	if name == "" {
		name = path
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, mask.Error(err)
	}
	defer fh.Close()
	f, err := Parse(name, fh)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	for _, ig := range []string{filepath.Base(path) + ".dockerignore", ".dockerignore"} {
		if st, err := os.Stat(filepath.Join(dir, ig)); err == nil && st.Mode().IsRegular() {
			f.Dockerignore = true
			break
		}
	}
	return f, nil
}

// Parse parses a Dockerfile with BuildKit's parser, the one docker build uses, and checks what
// the parser lets through but a build would refuse: unknown instructions, instructions before the
// first FROM, a FROM without an image. name is what errors call the file. Errors wrap [ErrSyntax]
// or [ErrTooLarge], or are r's read errors. Their messages quote the file ("unknown instruction
// AKIA…") and name it, so secrets in them are masked ([mask.Error]): they are printed as the
// command's error or as a report warning.
func Parse(name string, r io.Reader) (f *File, err error) {
	defer func() { err = mask.Error(err) }()
	b, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(b) > MaxSize {
		return nil, fmt.Errorf("%s: %w: over %d bytes", name, ErrTooLarge, MaxSize)
	}
	// BuildKit's parser is third-party code fed untrusted bytes: a panic in it must become an
	// error about this file, not end the scan.
	defer func() {
		if p := recover(); p != nil {
			f, err = nil, &SyntaxError{Path: name, Msg: fmt.Sprintf("parser failure: %v", p)}
		}
	}()
	res, err := parser.Parse(bytes.NewReader(b))
	if err != nil {
		return nil, syntaxError(name, err)
	}
	f = &File{Path: name}
	for _, n := range res.AST.Children {
		in, err := instruction(name, n)
		if err != nil {
			return nil, err
		}
		switch {
		case in.Cmd == command.From:
			st, err := stage(name, in, len(f.Stages))
			if err != nil {
				return nil, err
			}
			if st.Name != "" && slices.ContainsFunc(f.Stages, func(o Stage) bool { return o.Name == st.Name }) {
				return nil, &SyntaxError{Path: name, Line: in.Line, Msg: fmt.Sprintf("duplicate stage name %q", st.Name)}
			}
			f.Stages = append(f.Stages, st)
		case len(f.Stages) == 0 && in.Cmd == command.Arg:
			f.MetaArgs = append(f.MetaArgs, in)
		case len(f.Stages) == 0:
			return nil, &SyntaxError{Path: name, Line: in.Line, Msg: fmt.Sprintf("%s before the first FROM: only ARG may come before it", strings.ToUpper(in.Cmd))}
		default:
			cur := &f.Stages[len(f.Stages)-1]
			cur.Instructions = append(cur.Instructions, in)
		}
	}
	if len(f.Stages) == 0 {
		return nil, &SyntaxError{Path: name, Msg: "no FROM instruction"}
	}
	return f, nil
}

// syntaxError turns a BuildKit parser error into a SyntaxError with its line.
func syntaxError(name string, err error) error {
	se := &SyntaxError{Path: name, Msg: err.Error()}
	var le *parser.LocationError
	if errors.As(err, &le) {
		se.Msg = le.Unwrap().Error()
		for _, rs := range le.Locations {
			if len(rs) > 0 && rs[0].Start.Line > 0 {
				se.Line = rs[0].Start.Line
				break
			}
		}
		switch {
		case se.Msg == "file with no instructions":
			se.Line = 0 // about the whole file
		case se.Line == 0:
			// Directive errors are reported before the first line is counted.
			se.Line = 1
		}
	}
	return se
}

// argCount is the least number of arguments an instruction needs (its heredocs count).
var argCount = map[string]int{
	command.From: 1, command.Run: 1, command.User: 1, command.Workdir: 1, command.Expose: 1,
	command.Copy: 2, command.Add: 2, command.Env: 2, command.Label: 2, command.Arg: 1,
	command.Shell: 1, command.StopSignal: 1, command.Maintainer: 1, command.Volume: 1,
}

func instruction(name string, n *parser.Node) (Instruction, error) {
	in := Instruction{
		Cmd:      strings.ToLower(n.Value),
		Flags:    n.Flags,
		JSON:     n.Attributes["json"],
		Line:     n.StartLine,
		EndLine:  n.EndLine,
		Original: n.Original,
	}
	if _, ok := command.Commands[in.Cmd]; !ok {
		return in, &SyntaxError{Path: name, Line: in.Line, Msg: fmt.Sprintf("unknown instruction %s", strings.ToUpper(n.Value))}
	}
	for x := n.Next; x != nil; x = x.Next {
		in.Args = append(in.Args, x.Value)
	}
	for _, h := range n.Heredocs {
		in.Heredocs = append(in.Heredocs, h.Content)
	}
	if in.Cmd == command.Onbuild {
		if n.Next == nil || len(n.Next.Children) == 0 {
			return in, &SyntaxError{Path: name, Line: in.Line, Msg: "ONBUILD needs an instruction"}
		}
		child := n.Next.Children[0]
		child.StartLine, child.EndLine = n.StartLine, n.EndLine
		sub, err := instruction(name, child)
		if err != nil {
			return in, err
		}
		switch sub.Cmd {
		case command.Onbuild, command.From, command.Maintainer:
			return in, &SyntaxError{Path: name, Line: in.Line, Msg: fmt.Sprintf("ONBUILD %s is not allowed", strings.ToUpper(sub.Cmd))}
		}
		in.OnBuild = &sub
		in.Args = nil
		return in, nil
	}
	nonEmpty := 0
	for _, a := range in.Args {
		if a != "" {
			nonEmpty++
		}
	}
	if need := argCount[in.Cmd]; nonEmpty+len(in.Heredocs) < need {
		return in, &SyntaxError{Path: name, Line: in.Line, Msg: fmt.Sprintf("%s needs at least %d argument(s)", strings.ToUpper(in.Cmd), need)}
	}
	return in, nil
}

func stage(name string, in Instruction, idx int) (Stage, error) {
	st := Stage{Index: idx, Base: in.Args[0], From: in}
	switch {
	case len(in.Args) == 1:
	case len(in.Args) == 3 && strings.EqualFold(in.Args[1], "as"):
		st.Name = strings.ToLower(in.Args[2])
	default:
		return st, &SyntaxError{Path: name, Line: in.Line, Msg: "FROM takes an image and an optional AS name"}
	}
	return st, nil
}
