package manifest

// The Helm template engine, with limits. Helm's engine (helm.sh/helm/v3/pkg/engine) binds its
// include and tpl functions privately and bounds nothing a template does: a value that calls
// tpl on itself twice recurses until the Go stack overflows (a fatal error, not a panic), a
// string doubled in a `range until 40` loop exhausts memory, and neither can be stopped from
// outside. So the render loop, include, tpl, the Files object and Helm's extra functions are
// adapted here from helm.sh/helm/v3 v3.18.6 pkg/engine (Copyright The Helm Authors, Apache
// License 2.0), and every function a template calls goes through a wrapper that enforces
// [RenderLimits] and stops the rendering once it is abandoned.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"text/template"
	"text/template/parse"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/Masterminds/sprig/v3"
	"github.com/gobwas/glob"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"sigs.k8s.io/yaml"
	goyaml "sigs.k8s.io/yaml/goyaml.v3"
)

// ErrLimit means a chart's templates went past one of its [RenderLimits]. [RenderChart]'s
// errors that wrap it wrap [ErrRender] too.
var ErrLimit = errors.New("exceeds the rendering limits")

// RenderLimits bound the rendering of one chart. The zero value of a field means its default.
type RenderLimits struct {
	// Timeout bounds the whole rendering. Default [DefaultRenderTimeout].
	Timeout time.Duration
	// MaxDepth bounds how deeply include and tpl calls nest. Default [DefaultMaxDepth].
	MaxDepth int
	// MaxValue bounds one value a template function takes or returns: the bytes of a string,
	// [elemSize] bytes and the indentation of each element of a list or map, counted through the
	// ones nested in it. Default [DefaultMaxValue].
	MaxValue int64
	// MaxTotal bounds the bytes produced in all: the output of templates, of included templates
	// and tpl, and the strings template functions return. Default [DefaultMaxTotal].
	MaxTotal int64
}

// Default rendering limits: far above what real charts use (the largest public charts render a
// few megabytes, with include and tpl nested ten deep).
const (
	DefaultRenderTimeout = 30 * time.Second
	DefaultMaxDepth      = 100
	DefaultMaxValue      = 16 << 20
	DefaultMaxTotal      = 64 << 20
)

const (
	// maxNesting bounds how deeply a value given to a function may nest: serialisers recurse
	// once per level.
	maxNesting = 1000
	// elemSize is what one element of a list or map counts for, besides its content; each
	// also counts twice its depth, the indentation toYaml and toPrettyJson give it.
	elemSize = 16
)

func (l RenderLimits) withDefaults() RenderLimits {
	if l.Timeout <= 0 {
		l.Timeout = DefaultRenderTimeout
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxValue <= 0 {
		l.MaxValue = DefaultMaxValue
	}
	if l.MaxTotal <= 0 {
		l.MaxTotal = DefaultMaxTotal
	}
	return l
}

// renderState is one chart's rendering: its limits and what it used of them. The template
// functions run on the rendering goroutine; stop may be called from another.
type renderState struct {
	limits RenderLimits
	used   atomic.Int64
	depth  int // nested include and tpl calls, touched by the rendering goroutine only
	halted atomic.Bool
	mu     sync.Mutex
	err    error  // why the rendering was stopped: the first limit hit, or abandonment
	file   string // the template being rendered
}

// stop makes every later function call and write of the rendering fail with err (the first
// err given is kept).
func (s *renderState) stop(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
	s.halted.Store(true)
}

// stopped returns why the rendering was stopped, nil while it was not.
func (s *renderState) stopped() error {
	if !s.halted.Load() {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// limit stops the rendering on a limit hit and returns the error to fail with.
func (s *renderState) limit(format string, args ...any) error {
	s.stop(fmt.Errorf("%w: "+format, append([]any{ErrLimit}, args...)...))
	return s.stopped()
}

func (s *renderState) setFile(name string) {
	s.mu.Lock()
	s.file = name
	s.mu.Unlock()
}

func (s *renderState) currentFile() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.file
}

// charge counts n bytes produced against MaxTotal.
func (s *renderState) charge(n int64) error {
	if err := s.stopped(); err != nil {
		return err
	}
	if s.used.Add(n) > s.limits.MaxTotal {
		return s.limit("more than %s produced", bytesString(s.limits.MaxTotal))
	}
	return nil
}

// limitedWriter is what a template renders into: every write is charged and fails once the
// rendering is stopped.
type limitedWriter struct {
	s   *renderState
	buf strings.Builder
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	if err := w.s.charge(int64(len(p))); err != nil {
		return 0, err
	}
	return w.buf.Write(p)
}

// enter counts one more level of include or tpl; leave undoes it.
func (s *renderState) enter() error {
	if err := s.stopped(); err != nil {
		return err
	}
	if s.depth >= s.limits.MaxDepth {
		return s.limit("include and tpl nested more than %d deep", s.limits.MaxDepth)
	}
	s.depth++
	return nil
}

func (s *renderState) leave() { s.depth-- }

// renderChartLimited renders ch's templates with vals as Helm's engine.Render does, on a
// goroutine of its own, within limits. When ctx ends or the time limit passes it returns at
// once; the abandoned rendering fails at its next function call or write.
func renderChartLimited(ctx context.Context, ch *chart.Chart, vals chartutil.Values, limits RenderLimits) (map[string]string, error) {
	s := &renderState{limits: limits.withDefaults()}
	type result struct {
		files map[string]string
		err   error
	}
	done := make(chan result, 1)
	go func() {
		files, err := s.render(allTemplates(ch, vals))
		done <- result{files, err}
	}()
	timer := time.NewTimer(s.limits.Timeout)
	defer timer.Stop()
	select {
	case r := <-done:
		if err := s.stopped(); err != nil {
			// The limit's own message: the template engine's repeats every level of nesting.
			return nil, fmt.Errorf("%s: %w", s.currentFile(), err)
		}
		return r.files, r.err
	case <-ctx.Done():
		s.stop(ctx.Err())
		return nil, ctx.Err()
	case <-timer.C:
		err := s.limit("not rendered within %v", s.limits.Timeout)
		return nil, fmt.Errorf("%s: %w", s.currentFile(), err)
	}
}

// renderable is a template and the values it is rendered with.
type renderable struct {
	tpl      string
	vals     chartutil.Values
	basePath string // the templates directory of its chart
}

// render parses every template, then executes those that are not partials.
func (s *renderState) render(tpls map[string]renderable) (rendered map[string]string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("rendering template failed: %v", r)
		}
	}()
	t := template.New("gotpl")
	// Values missing are empty, as Helm renders when not --strict; "<no value>" is dropped below.
	t.Option("missingkey=zero")
	t.Funcs(s.funcMap(t))
	// In a predictable order, higher-level templates first.
	keys := sortTemplates(tpls)
	for _, filename := range keys {
		if _, err := t.New(filename).Parse(tpls[filename].tpl); err != nil {
			return nil, cleanupParseError(filename, err)
		}
	}
	guardRanges(t)
	rendered = make(map[string]string, len(keys))
	for _, filename := range keys {
		if strings.HasPrefix(path.Base(filename), "_") {
			continue // partials are only included from other templates
		}
		s.setFile(filename)
		vals := tpls[filename].vals
		vals["Template"] = chartutil.Values{"Name": filename, "BasePath": tpls[filename].basePath}
		w := &limitedWriter{s: s}
		if err := t.ExecuteTemplate(w, filename, vals); err != nil {
			return nil, cleanupExecError(filename, err)
		}
		rendered[filename] = strings.ReplaceAll(w.buf.String(), "<no value>", "")
	}
	return rendered, nil
}

// includeFun is include, bound to the template set t.
func (s *renderState) includeFun(t *template.Template) func(string, any) (string, error) {
	return func(name string, data any) (string, error) {
		if err := s.enter(); err != nil {
			return "", err
		}
		defer s.leave()
		w := &limitedWriter{s: s}
		err := t.ExecuteTemplate(w, name, data)
		if stop := s.stopped(); stop != nil {
			return "", stop
		}
		return w.buf.String(), err
	}
}

// tplFun is tpl, bound to parent: it renders its text with the templates of parent, and may
// define more for its own include and tpl calls.
func (s *renderState) tplFun(parent *template.Template) func(string, any) (string, error) {
	return func(text string, vals any) (string, error) {
		if err := s.enter(); err != nil {
			return "", err
		}
		defer s.leave()
		t, err := parent.Clone()
		if err != nil {
			return "", fmt.Errorf("cannot clone template: %w", err)
		}
		t.Option("missingkey=zero") // a clone forgets it (golang/go#43022)
		t.Funcs(template.FuncMap{"include": s.includeFun(t), "tpl": s.tplFun(t)})
		// A new template: text of only blanks or defines would not replace the parent's body.
		t, err = t.New(parent.Name()).Parse(text)
		if err != nil {
			return "", fmt.Errorf("cannot parse template %q: %w", text, err)
		}
		guardRanges(t)
		w := &limitedWriter{s: s}
		if err := t.Execute(w, vals); err != nil {
			if stop := s.stopped(); stop != nil {
				return "", stop
			}
			return "", fmt.Errorf("error during tpl function execution for %q: %w", text, err)
		}
		return strings.ReplaceAll(w.buf.String(), "<no value>", ""), nil
	}
}

// funcMap is Helm's function map (sprig's without env and expandenv, Helm's additions, no
// lookup and no DNS), include and tpl bound to t, every other function wrapped by s.guard.
// text/template's own print, printf, println, html, js and urlquery are replaced by guarded
// copies; and, or and the comparisons are left alone (they format nothing).
func (s *renderState) funcMap(t *template.Template) template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	extra := template.FuncMap{
		"toToml":        toTOML,
		"fromToml":      decodeMap(toml.Unmarshal),
		"toYaml":        toYAML,
		"toYamlPretty":  toYAMLPretty,
		"fromYaml":      decodeMap(yamlUnmarshal),
		"fromYamlArray": decodeList(yamlUnmarshal),
		"toJson":        toJSON,
		"fromJson":      decodeMap(json.Unmarshal),
		"fromJsonArray": decodeList(json.Unmarshal),
		"required": func(warn string, val any) (any, error) {
			if val == nil {
				return val, errors.New(warnWrap(warn))
			}
			if str, ok := val.(string); ok && str == "" {
				return val, errors.New(warnWrap(warn))
			}
			return val, nil
		},
		"fail": func(msg string) (string, error) { return "", errors.New(warnWrap(msg)) },
		// Without a cluster, as helm template renders: lookup finds nothing.
		"lookup":        func(string, string, string, string) (map[string]any, error) { return map[string]any{}, nil },
		"getHostByName": func(string) string { return "" },
		"print":         fmt.Sprint,
		"printf":        fmt.Sprintf,
		"println":       fmt.Sprintln,
		"html":          template.HTMLEscaper,
		"js":            template.JSEscaper,
		"urlquery":      template.URLQueryEscaper,
	}
	for k, v := range extra {
		f[k] = v
	}
	for k, v := range f {
		f[k] = s.guard(k, v)
	}
	f["include"] = s.includeFun(t)
	f["tpl"] = s.tplFun(t)
	f[rangeGuardName] = s.rangeGuard
	return f
}

// rangeGuardName is the function guardRanges puts at the end of every range's pipeline.
const rangeGuardName = "rampartRangeGuard"

// rangeGuard passes on the value a range iterates over, failing once the rendering is stopped
// and refusing to count to more than MaxValue/elemSize: even loops that call no function and
// write nothing end soon after the rendering is abandoned.
func (s *renderState) rangeGuard(v any) (any, error) {
	if err := s.stopped(); err != nil {
		return nil, err
	}
	rv := reflect.ValueOf(v)
	n := s.limits.MaxValue / elemSize
	if rv.CanInt() && rv.Int() > n || rv.CanUint() && rv.Uint() > uint64(n) {
		return nil, s.limit("range over %v: more than %d iterations", v, n)
	}
	return v, nil
}

// guardRanges appends rangeGuard to the pipeline of every range action of t's templates that
// does not have it yet.
func guardRanges(t *template.Template) {
	var walk func(tree *parse.Tree, n parse.Node)
	walk = func(tree *parse.Tree, n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					walk(tree, c)
				}
			}
		case *parse.IfNode:
			walk(tree, n.List)
			walk(tree, n.ElseList)
		case *parse.WithNode:
			walk(tree, n.List)
			walk(tree, n.ElseList)
		case *parse.RangeNode:
			cmds := n.Pipe.Cmds
			if len(cmds) == 0 || len(cmds[len(cmds)-1].Args) != 1 || cmds[len(cmds)-1].Args[0].String() != rangeGuardName {
				id := parse.NewIdentifier(rangeGuardName).SetTree(tree).SetPos(n.Pipe.Pos)
				n.Pipe.Cmds = append(cmds, &parse.CommandNode{NodeType: parse.NodeCommand, Pos: n.Pipe.Pos, Args: []parse.Node{id}})
			}
			walk(tree, n.List)
			walk(tree, n.ElseList)
		}
	}
	for _, tt := range t.Templates() {
		if tt.Tree != nil {
			walk(tt.Tree, tt.Tree.Root)
		}
	}
}

// shallowFuncs take, test or assemble values without reading through them: only the top level
// of their arguments counts against MaxValue, and what they return is not a new string.
var shallowFuncs = map[string]bool{
	"dict": true, "list": true, "tuple": true, "get": true, "set": true, "unset": true, "hasKey": true,
	"pluck": true, "keys": true, "values": true, "default": true, "empty": true, "coalesce": true,
	"all": true, "any": true, "ternary": true, "required": true, "first": true, "mustFirst": true,
	"last": true, "mustLast": true, "rest": true, "mustRest": true, "initial": true, "mustInitial": true,
	"append": true, "mustAppend": true, "push": true, "mustPush": true, "prepend": true, "mustPrepend": true,
	"concat": true, "kindIs": true, "kindOf": true, "typeOf": true, "typeIs": true, "typeIsLike": true,
	"dig": true, "omit": true, "pick": true, "compact": true, "mustCompact": true, "reverse": true,
	"mustReverse": true, "slice": true, "mustSlice": true, "chunk": true, "mustChunk": true, "lookup": true,
}

// growth estimates, for functions whose result can be much larger than their arguments, the
// size of the result, before they run.
var growth = map[string]func(a []reflect.Value) int64{
	"repeat": func(a []reflect.Value) int64 { return intArg(a, 0) * strLen(a, 1) },
	"indent": indentSize, "nindent": indentSize,
	"until": func(a []reflect.Value) int64 { return abs(intArg(a, 0)) * 8 },
	"untilStep": func(a []reflect.Value) int64 {
		return steps(intArg(a, 0), intArg(a, 1), intArg(a, 2)) * 8
	},
	"seq": func(a []reflect.Value) int64 {
		var n []int64
		if len(a) == 1 && a[0].Kind() == reflect.Slice {
			for i := range a[0].Len() {
				n = append(n, a[0].Index(i).Int())
			}
		}
		switch len(n) {
		case 1:
			return abs(n[0]) * 21
		case 2:
			return abs(n[1]-n[0]) * 21
		case 3:
			return steps(n[0], n[2], n[1]) * 21
		}
		return 0
	},
	"randAlpha": randSize, "randAlphaNum": randSize, "randAscii": randSize, "randNumeric": randSize, "randBytes": randSize,
	"replace": func(a []reflect.Value) int64 { // old, new, src
		old, src := strLen(a, 0), strLen(a, 2)
		return src + (src/max(old, 1)+1)*strLen(a, 1)
	},
	"regexReplaceAll": regexSize, "mustRegexReplaceAll": regexSize,
	"regexReplaceAllLiteral": regexSize, "mustRegexReplaceAllLiteral": regexSize,
	"wrapWith": func(a []reflect.Value) int64 { // width, separator, text
		text := strLen(a, 2)
		return text + (text/max(intArg(a, 0), 1)+1)*strLen(a, 1)
	},
	"join": func(a []reflect.Value) int64 { return strLen(a, 0) * int64(shallowLen(a, 1)) },
	"printf": func(a []reflect.Value) int64 {
		// Widths and precisions, written or given as * arguments, are the only growth.
		if len(a) == 0 || a[0].Kind() != reflect.String {
			return 0
		}
		var widest int64
		star := false
		for _, m := range verbSizes.FindAllStringSubmatch(a[0].String(), -1) {
			for _, n := range m[1:] {
				if n == "*" {
					star = true
				} else if n != "" {
					var w int64
					fmt.Sscan(n, &w)
					widest = max(widest, w)
				}
			}
		}
		if star && len(a) > 1 {
			for i := range a[1].Len() {
				widest = max(widest, abs(intArg([]reflect.Value{a[1].Index(i)}, 0)))
			}
		}
		return widest * int64(len(verbSizes.FindAllStringIndex(a[0].String(), -1)))
	},
}

// verbSizes matches a printf verb's flags, width and precision (%% included, harmlessly).
var verbSizes = regexp.MustCompile(`%[-+# 0]*(?:\[[0-9]+\])?([0-9]{1,18}|\*)?(?:\.(?:\[[0-9]+\])?([0-9]{1,18}|\*))?`)

func indentSize(a []reflect.Value) int64 { // spaces, text
	text := strLen(a, 1)
	lines := int64(0)
	if len(a) > 1 && a[1].Kind() == reflect.String {
		lines = int64(strings.Count(a[1].String(), "\n")) + 1
	}
	return text + abs(intArg(a, 0))*lines
}

func randSize(a []reflect.Value) int64 { return abs(intArg(a, 0)) * 2 }

func regexSize(a []reflect.Value) int64 { // regex, text, replacement
	// At most one match per byte and one more; each $ reference expands to at most the text.
	text, repl := strLen(a, 1), strLen(a, 2)
	refs := int64(0)
	if len(a) > 2 && a[2].Kind() == reflect.String {
		refs = int64(strings.Count(a[2].String(), "$"))
	}
	return text + (text+1)*repl + refs*text
}

// steps is how many values untilStep(start, stop, step) gives.
func steps(start, stop, step int64) int64 {
	if step == 0 {
		return 0
	}
	return abs(stop-start)/abs(step) + 1
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

func intArg(a []reflect.Value, i int) int64 {
	if i >= len(a) {
		return 0
	}
	v := a[i]
	if v.Kind() == reflect.Interface {
		v = v.Elem()
	}
	if v.CanInt() {
		return v.Int()
	}
	return 0
}

func strLen(a []reflect.Value, i int) int64 {
	if i >= len(a) || a[i].Kind() != reflect.String {
		return 0
	}
	return int64(a[i].Len())
}

func shallowLen(a []reflect.Value, i int) int {
	if i >= len(a) {
		return 0
	}
	v := a[i]
	for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return 0
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map, reflect.String:
		return v.Len()
	}
	return 0
}

// guard wraps the template function fn, named name: a call fails once the rendering is
// stopped, when its arguments or (by growth's estimate) its result exceed MaxValue, when its
// result does, or when the strings it returns exceed MaxTotal in all. A guard fails by
// panicking with the error, which text/template returns as the call's error.
func (s *renderState) guard(name string, fn any) any {
	v := reflect.ValueOf(fn)
	typ := v.Type()
	shallow := shallowFuncs[name]
	estimate := growth[name]
	return reflect.MakeFunc(typ, func(args []reflect.Value) []reflect.Value {
		if err := s.stopped(); err != nil {
			panic(err)
		}
		maxv := s.limits.MaxValue
		var n int64
		for _, a := range args {
			size, tooDeep := valueSize(a, !shallow, maxv-n)
			if tooDeep {
				panic(s.limit("%s: an argument nested more than %d deep", name, maxNesting))
			}
			if n += size; n > maxv {
				panic(s.limit("%s: arguments larger than %s", name, bytesString(maxv)))
			}
		}
		if estimate != nil {
			if e := estimate(args); e < 0 || e > maxv {
				panic(s.limit("%s: would make a value larger than %s", name, bytesString(maxv)))
			}
		}
		var out []reflect.Value
		if typ.IsVariadic() {
			out = v.CallSlice(args)
		} else {
			out = v.Call(args)
		}
		if len(out) > 0 && !shallow {
			r := out[0]
			if size, _ := valueSize(r, false, maxv); size > maxv {
				panic(s.limit("%s: returned a value larger than %s", name, bytesString(maxv)))
			}
			if r.Kind() == reflect.String || r.Kind() == reflect.Slice && r.Type().Elem().Kind() == reflect.Uint8 {
				if err := s.charge(int64(r.Len())); err != nil {
					panic(err)
				}
			}
		}
		return out
	}).Interface()
}

// valueSize is the size of v as RenderLimits.MaxValue counts it: through nested lists, maps,
// structs and pointers when deep, else of the top level only. It stops counting past budget,
// and returns more than budget then, or past maxNesting levels, and says so then.
func valueSize(v reflect.Value, deep bool, budget int64) (size int64, tooDeep bool) {
	var n int64
	var walk func(v reflect.Value, depth int) bool
	walk = func(v reflect.Value, depth int) bool {
		if depth > maxNesting {
			tooDeep = true
			return false
		}
		if n > budget {
			return false
		}
		switch v.Kind() {
		case reflect.Interface, reflect.Pointer:
			if !v.IsNil() {
				return walk(v.Elem(), depth+1)
			}
		case reflect.String:
			n += int64(v.Len())
		case reflect.Slice, reflect.Array:
			if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
				n += int64(v.Len())
				break
			}
			n += int64(v.Len()) * (elemSize + 2*int64(depth))
			if deep {
				for i := range v.Len() {
					if !walk(v.Index(i), depth+1) {
						return false
					}
				}
			}
		case reflect.Map:
			n += int64(v.Len()) * (elemSize + 2*int64(depth))
			if deep {
				for it := v.MapRange(); it.Next(); {
					if !walk(it.Key(), depth+1) || !walk(it.Value(), depth+1) {
						return false
					}
				}
			}
		case reflect.Struct:
			if deep {
				for i := range v.NumField() {
					if !walk(v.Field(i), depth+1) {
						return false
					}
				}
			}
		}
		return n <= budget
	}
	walk(v, 0)
	return n, tooDeep
}

// bytesString says n bytes in MiB when it is a whole number of them.
func bytesString(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// allTemplates returns every template of a chart and its dependencies, each with the values of
// its scope.
func allTemplates(c *chart.Chart, vals chartutil.Values) map[string]renderable {
	templates := map[string]renderable{}
	recAllTpls(c, templates, vals)
	return templates
}

// recAllTpls adds the templates of c and its dependencies; a dependency sees the values under
// its name in its parent's.
func recAllTpls(c *chart.Chart, templates map[string]renderable, vals chartutil.Values) map[string]any {
	subCharts := map[string]any{}
	meta := struct {
		chart.Metadata
		IsRoot bool
	}{*c.Metadata, c.IsRoot()}
	next := map[string]any{
		"Chart":        meta,
		"Files":        newFiles(c.Files),
		"Release":      vals["Release"],
		"Capabilities": vals["Capabilities"],
		"Values":       make(chartutil.Values),
		"Subcharts":    subCharts,
	}
	if c.IsRoot() {
		next["Values"] = vals["Values"]
	} else if vs, err := vals.Table("Values." + c.Name()); err == nil {
		next["Values"] = vs
	}
	for _, child := range c.Dependencies() {
		subCharts[child.Name()] = recAllTpls(child, templates, next)
	}
	parentID := c.ChartFullPath()
	library := strings.EqualFold(c.Metadata.Type, "library")
	for _, t := range c.Templates {
		if t == nil || library && !strings.HasPrefix(path.Base(t.Name), "_") {
			continue
		}
		templates[path.Join(parentID, t.Name)] = renderable{tpl: string(t.Data), vals: next, basePath: path.Join(parentID, "templates")}
	}
	return next
}

// sortTemplates orders template names by depth in the file tree, then by name.
func sortTemplates(tpls map[string]renderable) []string {
	keys := make([]string, 0, len(tpls))
	for k := range tpls {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		ca, cb := strings.Count(a, "/"), strings.Count(b, "/")
		if ca == cb {
			return a > b
		}
		return ca > cb
	})
	return keys
}

const warnStartDelim, warnEndDelim = "HELM_ERR_START", "HELM_ERR_END"

var warnRegex = regexp.MustCompile(warnStartDelim + `((?s).*)` + warnEndDelim)

func warnWrap(warn string) string { return warnStartDelim + warn + warnEndDelim }

func cleanupParseError(filename string, err error) error {
	tokens := strings.Split(err.Error(), ": ")
	if len(tokens) == 1 {
		return fmt.Errorf("parse error in (%s): %s", filename, err)
	}
	// "template: FILE:LINE[:COL]: …: message"
	return fmt.Errorf("parse error at (%s): %s", tokens[1], tokens[len(tokens)-1])
}

func cleanupExecError(filename string, err error) error {
	if _, ok := err.(template.ExecError); !ok {
		return err
	}
	tokens := strings.SplitN(err.Error(), ": ", 3)
	if len(tokens) != 3 {
		return fmt.Errorf("execution error in (%s): %s", filename, err)
	}
	if parts := warnRegex.FindStringSubmatch(tokens[2]); len(parts) >= 2 {
		return fmt.Errorf("execution error at (%s): %s", tokens[1], parts[1])
	}
	return err
}

// files are a chart's files as templates see them: .Files.Get, .Files.Glob, …
type files map[string][]byte

func newFiles(from []*chart.File) files {
	f := files{}
	for _, file := range from {
		f[file.Name] = file.Data
	}
	return f
}

// GetBytes returns a file's content, empty when there is no such file.
func (f files) GetBytes(name string) []byte {
	if v, ok := f[name]; ok {
		return v
	}
	return []byte{}
}

// Get returns a file's content as a string.
func (f files) Get(name string) string { return string(f.GetBytes(name)) }

// Glob returns the files whose names match pattern (** for any depth).
func (f files) Glob(pattern string) files {
	g, err := glob.Compile(pattern, '/')
	if err != nil {
		g, _ = glob.Compile("**")
	}
	nf := files{}
	for name, contents := range f {
		if g.Match(name) {
			nf[name] = contents
		}
	}
	return nf
}

// AsConfig returns the files as the YAML data of a ConfigMap, keyed by base name.
func (f files) AsConfig() string {
	if f == nil {
		return ""
	}
	m := map[string]string{}
	for k, v := range f {
		m[path.Base(k)] = string(v)
	}
	return toYAML(m)
}

// AsSecrets returns the files base64-encoded as the YAML data of a Secret, keyed by base name.
func (f files) AsSecrets() string {
	if f == nil {
		return ""
	}
	m := map[string]string{}
	for k, v := range f {
		m[path.Base(k)] = base64.StdEncoding.EncodeToString(v)
	}
	return toYAML(m)
}

// Lines returns the lines of a file.
func (f files) Lines(path string) []string {
	if f == nil || len(f[path]) == 0 {
		return []string{}
	}
	return strings.Split(strings.TrimSuffix(string(f[path]), "\n"), "\n")
}

// Helm's serialisers: errors give an empty string (toYaml, toJson) or the message (toToml).

func toYAML(v any) string {
	data, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(data), "\n")
}

func toYAMLPretty(v any) string {
	var data bytes.Buffer
	enc := goyaml.NewEncoder(&data)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(data.String(), "\n")
}

func toTOML(v any) string {
	b := &bytes.Buffer{}
	if err := toml.NewEncoder(b).Encode(v); err != nil {
		return err.Error()
	}
	return b.String()
}

func toJSON(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(data)
}

func yamlUnmarshal(b []byte, v any) error { return yaml.Unmarshal(b, v) }

// decodeMap is Helm's fromYaml, fromJson and fromToml: a decoding error is the map's "Error".
func decodeMap(unmarshal func([]byte, any) error) func(string) map[string]any {
	return func(str string) map[string]any {
		m := map[string]any{}
		if err := unmarshal([]byte(str), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
}

// decodeList is Helm's fromYamlArray and fromJsonArray: a decoding error is the only element.
func decodeList(unmarshal func([]byte, any) error) func(string) []any {
	return func(str string) []any {
		a := []any{}
		if err := unmarshal([]byte(str), &a); err != nil {
			a = []any{err.Error()}
		}
		return a
	}
}
