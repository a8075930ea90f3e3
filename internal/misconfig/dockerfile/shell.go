package dockerfile

import (
	"path"
	"regexp"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// call is one simple command of a RUN: its words, with wrappers (sudo, env, exec, …) removed.
type call struct {
	args []string
	// env are the VAR=value assignments written before the command or given to env.
	env []string
	// sudo is set when the command ran through sudo.
	sudo bool
}

// prog is the command's base name ("/usr/bin/apt-get" → "apt-get"), or "".
func (c call) prog() string {
	if len(c.args) == 0 {
		return ""
	}
	return path.Base(c.args[0])
}

// sub is the first argument that is not an option (and not an option's value), e.g. the
// "install" of "apt-get -y -o X=1 install curl".
func (c call) sub() string {
	for i := 1; i < len(c.args); i++ {
		a := c.args[i]
		switch {
		case a == "-o" || a == "-c" || a == "-t" || a == "-X":
			i++ // option with a separate value
		case strings.HasPrefix(a, "-"):
		default:
			return a
		}
	}
	return ""
}

func (c call) has(flag string) bool {
	for _, a := range c.args[1:] {
		if a == flag || strings.HasPrefix(a, flag+"=") {
			return true
		}
	}
	return false
}

// script is what the shell checks see of one RUN.
type script struct {
	calls []call
	// fetchToShell are the remote-content-into-interpreter constructs: "curl … | sh",
	// "bash <(wget …)", "sh -c \"$(curl …)\"".
	fetchToShell []string
}

// parseScript reads a RUN's shell script with a real shell parser. Bash syntax covers what
// Dockerfiles use; a script it cannot read is split on the common operators instead, so that a
// check still sees the commands.
func parseScript(src string) script {
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(src), "")
	if err != nil {
		return roughScript(src)
	}
	var s script
	syntax.Walk(f, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.CallExpr:
			c := unwrap(words(n.Args), assigns(n.Assigns))
			if len(c.args) > 0 {
				s.calls = append(s.calls, c)
			}
			if isShell(c.prog()) {
				for _, w := range n.Args[1:] {
					if fetchIn(w) {
						s.fetchToShell = append(s.fetchToShell, printNode(n))
						break
					}
				}
			}
		case *syntax.BinaryCmd:
			if n.Op == syntax.Pipe || n.Op == syntax.PipeAll {
				if fetchIn(n.X) && isShell(firstCall(n.Y).prog()) {
					s.fetchToShell = append(s.fetchToShell, printNode(n))
				}
			}
		}
		return true
	})
	return s
}

// fetchIn reports whether a curl or wget runs anywhere under n.
func fetchIn(n syntax.Node) bool {
	found := false
	syntax.Walk(n, func(m syntax.Node) bool {
		if ce, ok := m.(*syntax.CallExpr); ok {
			if p := unwrap(words(ce.Args), nil).prog(); p == "curl" || p == "wget" {
				found = true
			}
		}
		return !found
	})
	return found
}

// firstCall is the first simple command of st: the command a pipe feeds.
func firstCall(st *syntax.Stmt) call {
	var c call
	syntax.Walk(st, func(m syntax.Node) bool {
		if ce, ok := m.(*syntax.CallExpr); ok && c.args == nil {
			c = unwrap(words(ce.Args), nil)
			return false
		}
		return c.args == nil
	})
	return c
}

var shells = map[string]bool{"sh": true, "bash": true, "dash": true, "zsh": true, "ash": true, "ksh": true, "mksh": true, "source": true, ".": true}

func isShell(p string) bool { return shells[p] }

// wrappers run the rest of their arguments as a command; sudo is noted.
var wrappers = map[string]bool{"sudo": true, "env": true, "exec": true, "command": true, "nohup": true, "time": true, "nice": true, "doas": true}

// sudoValued are sudo's options that take a separate value.
var sudoValued = map[string]bool{"-u": true, "-g": true, "-C": true, "-D": true, "-h": true, "-p": true, "-r": true, "-t": true, "-U": true}

var assignWord = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

// unwrap removes wrapper commands and their options from the front of args.
func unwrap(args, env []string) call {
	c := call{env: env}
	for len(args) > 0 {
		p := path.Base(args[0])
		if !wrappers[p] {
			break
		}
		if p == "sudo" || p == "doas" {
			c.sudo = true
		}
		args = args[1:]
	opts:
		for len(args) > 0 {
			a := args[0]
			switch {
			case p == "sudo" && sudoValued[a]:
				args = args[min(2, len(args)):]
				continue
			case strings.HasPrefix(a, "-"):
			case p == "env" && assignWord.MatchString(a):
				c.env = append(c.env, a)
			case p == "nice" && isNumber(a):
			default:
				break opts
			}
			args = args[1:]
		}
	}
	c.args = args
	return c
}

func isNumber(s string) bool {
	return s != "" && strings.Trim(s, "0123456789+-") == ""
}

func words(ws []*syntax.Word) []string {
	out := make([]string, 0, len(ws))
	for _, w := range ws {
		out = append(out, wordString(w))
	}
	return out
}

func assigns(as []*syntax.Assign) []string {
	var out []string
	for _, a := range as {
		if a.Name == nil {
			continue
		}
		v := ""
		if a.Value != nil {
			v = wordString(a.Value)
		}
		out = append(out, a.Name.Value+"="+v)
	}
	return out
}

// wordString is a word with its quotes removed; expansions are kept as written.
func wordString(w *syntax.Word) string {
	var b strings.Builder
	var parts func([]syntax.WordPart)
	parts = func(ps []syntax.WordPart) {
		for _, p := range ps {
			switch p := p.(type) {
			case *syntax.Lit:
				b.WriteString(p.Value)
			case *syntax.SglQuoted:
				b.WriteString(p.Value)
			case *syntax.DblQuoted:
				parts(p.Parts)
			default:
				b.WriteString(printNode(p))
			}
		}
	}
	parts(w.Parts)
	return b.String()
}

func printNode(n syntax.Node) string {
	var b strings.Builder
	if err := syntax.NewPrinter(syntax.SingleLine(true)).Print(&b, n); err != nil {
		return ""
	}
	return b.String()
}

// roughScript splits on && || ; | and new lines, for scripts the shell parser refuses.
func roughScript(src string) script {
	var s script
	var cur []string
	prevFetch := false
	flush := func(op string) {
		if len(cur) > 0 {
			c := unwrap(cur, nil)
			if len(c.args) > 0 {
				s.calls = append(s.calls, c)
				if prevFetch && isShell(c.prog()) {
					s.fetchToShell = append(s.fetchToShell, strings.Join(cur, " "))
				}
				prevFetch = op == "|" && (c.prog() == "curl" || c.prog() == "wget")
			}
		}
		cur = nil
	}
	for _, line := range strings.Split(src, "\n") {
		for _, tok := range strings.Fields(line) {
			switch tok {
			case "&&", "||", ";", "|":
				flush(tok)
			default:
				cur = append(cur, strings.Trim(tok, `"'`))
			}
		}
		flush("")
	}
	return s
}
