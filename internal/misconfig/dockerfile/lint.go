package dockerfile

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/command"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/misconfig"
	"github.com/rampartsec/rampart/internal/secret"
)

// Linter runs the Dockerfile checks. It is safe for concurrent use.
type Linter struct {
	secrets *secret.Scanner
}

// NewLinter returns a Linter. secrets recognises known credential formats in ENV and ARG values
// (see [secret.New]); with a nil scanner only the variable-name test of [SecretEnv] runs.
func NewLinter(secrets *secret.Scanner) *Linter { return &Linter{secrets: secrets} }

// Lint runs every check on f and returns the findings sorted by line and ID. A nil f has none.
func (l *Linter) Lint(f *File) []finding.Finding {
	if f == nil || len(f.Stages) == 0 {
		return nil
	}
	lc := &lintRun{l: l, f: f, meta: map[string]string{}}
	for _, a := range f.MetaArgs {
		lc.args(a)
		for _, kv := range a.Args {
			if k, v, ok := strings.Cut(kv, "="); ok {
				lc.meta[k] = unquote(v)
			}
		}
	}
	final := f.chain(len(f.Stages) - 1)
	aliases := map[string]bool{}
	for i := range f.Stages {
		st := &f.Stages[i]
		lc.from(st, aliases)
		if st.Name != "" {
			aliases[st.Name] = true
		}
		inFinal := slices.Contains(final, i)
		for _, in := range st.Instructions {
			lc.instruction(in, inFinal, final)
			if in.OnBuild != nil {
				// ONBUILD runs in a later build, not in this image: only the checks about the
				// Dockerfile's content apply.
				lc.instruction(*in.OnBuild, false, nil)
			}
		}
	}
	lc.finalStage(final)
	misconfig.Sort(lc.out)
	return lc.out
}

// chain returns the indexes of stage i and of the earlier stages it is built FROM, oldest first:
// everything they do is in stage i's image.
func (f *File) chain(i int) []int {
	out := []int{i}
	for {
		base := strings.ToLower(f.Stages[i].Base)
		j := slices.IndexFunc(f.Stages[:i], func(s Stage) bool { return s.Name != "" && s.Name == base })
		if j < 0 {
			break
		}
		out = append(out, j)
		i = j
	}
	slices.Reverse(out)
	return out
}

type lintRun struct {
	l    *Linter
	f    *File
	meta map[string]string
	out  []finding.Finding
}

func (lc *lintRun) add(c *misconfig.Check, in Instruction, evidence string) {
	if evidence == "" {
		evidence = in.Original
	}
	lc.out = append(lc.out, c.Finding(finding.Location{Path: lc.f.Path, Line: in.Line}, evidence))
}

func (lc *lintRun) from(st *Stage, aliases map[string]bool) {
	base := lc.expand(st.Base)
	if strings.Contains(base, "$") || base == "" {
		return // an ARG without a default: unknown until build time
	}
	lower := strings.ToLower(base)
	if lower == "scratch" || aliases[lower] {
		return
	}
	if strings.Contains(base, "@") {
		return // pinned by digest
	}
	name := base[strings.LastIndex(base, "/")+1:]
	_, tag, tagged := strings.Cut(name, ":")
	switch {
	case !tagged:
		lc.add(FromLatest, st.From, fmt.Sprintf("FROM %s (no tag: Docker pulls :latest)", base))
	case tag == "latest":
		lc.add(FromLatest, st.From, "")
	}
}

var argRef = regexp.MustCompile(`\$\{(\w+)(?::?-([^}]*))?\}|\$(\w+)`)

// expand replaces references to meta ARGs by their defaults; unknown ones stay.
func (lc *lintRun) expand(s string) string {
	return argRef.ReplaceAllStringFunc(s, func(m string) string {
		sm := argRef.FindStringSubmatch(m)
		name := sm[1] + sm[3]
		if v, ok := lc.meta[name]; ok && v != "" {
			return v
		}
		if sm[2] != "" {
			return sm[2]
		}
		return m
	})
}

func (lc *lintRun) instruction(in Instruction, inFinal bool, final []int) {
	switch in.Cmd {
	case command.Env:
		lc.env(in)
	case command.Arg:
		lc.args(in)
	case command.Add:
		lc.add2(in)
		lc.copyContext(in)
	case command.Copy:
		lc.copyContext(in)
	case command.Run:
		lc.run(in, inFinal, final)
	}
}

// env checks ENV KEY=VALUE pairs; the parser yields key, value, separator triples.
func (lc *lintRun) env(in Instruction) {
	for i := 0; i+1 < len(in.Args); i += 3 {
		if ev, ok := misconfig.SecretVariable(lc.l.secrets, in.Args[i], unquote(in.Args[i+1])); ok {
			lc.add(SecretEnv, in, "ENV "+ev)
		}
	}
}

func (lc *lintRun) args(in Instruction) {
	for _, kv := range in.Args {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if ev, ok := misconfig.SecretVariable(lc.l.secrets, k, unquote(v)); ok {
			lc.add(SecretEnv, in, "ARG "+ev)
		}
	}
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

// sources are the source arguments of COPY or ADD: all but the destination.
func sources(in Instruction) []string {
	if len(in.Args) < 2 {
		return nil
	}
	return in.Args[:len(in.Args)-1]
}

var tarSuffixes = []string{".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz", ".tar.zst", ".tzst"}

func isURL(s string) bool {
	l := strings.ToLower(s)
	for _, p := range []string{"http://", "https://", "git://", "git@", "ssh://"} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}

// add2 checks ADD: remote sources without --checksum, and local sources that are not archives.
func (lc *lintRun) add2(in Instruction) {
	var remote, local bool
	for _, s := range sources(in) {
		switch {
		case isURL(s):
			if _, ok := in.Flag("checksum"); !ok {
				remote = true
			}
		case strings.HasPrefix(s, "<<"):
			local = true // a here-document: COPY <<EOF does the same
		case strings.Contains(s, "$"):
			// unknown until build time
		case !slices.ContainsFunc(tarSuffixes, func(suf string) bool { return strings.HasSuffix(strings.ToLower(s), suf) }):
			local = true
		}
	}
	if remote {
		lc.add(AddURL, in, "")
	}
	if local {
		lc.add(AddLocal, in, "")
	}
}

// copyContext flags COPY . and ADD . from the build context when no .dockerignore is there.
func (lc *lintRun) copyContext(in Instruction) {
	if lc.f.Dockerignore {
		return
	}
	if _, ok := in.Flag("from"); ok {
		return
	}
	for _, s := range sources(in) {
		if s == "." || s == "./" || s == "./." {
			lc.add(CopyContext, in, "")
			return
		}
	}
}

var heredocMarker = regexp.MustCompile(`<<[-~]?\s*["']?[A-Za-z_][A-Za-z0-9_]*["']?`)

// runScript returns the shell script a RUN executes.
func runScript(in Instruction) string {
	if in.JSON {
		if len(in.Args) >= 3 && isShell(pathBase(in.Args[0])) && in.Args[1] == "-c" {
			return in.Args[2]
		}
		return strings.Join(quoteAll(in.Args), " ")
	}
	line := strings.Join(in.Args, " ")
	if len(in.Heredocs) > 0 {
		first := strings.Fields(line)
		if len(first) == 0 || strings.HasPrefix(first[0], "<<") || isShell(pathBase(first[0])) {
			return strings.Join(in.Heredocs, "\n")
		}
		return heredocMarker.ReplaceAllString(line, "")
	}
	return line
}

func pathBase(s string) string { return s[strings.LastIndex(s, "/")+1:] }

func quoteAll(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = strconv.Quote(a)
	}
	return out
}

// cacheMount reports whether the RUN mounts a build cache (or tmpfs) at or under one of dirs, so
// that what the package manager leaves there never reaches the image.
func cacheMount(in Instruction, dirs ...string) bool {
	for _, f := range in.Flags {
		k, v, _ := strings.Cut(strings.TrimPrefix(f, "--"), "=")
		if k != "mount" {
			continue
		}
		var typ, target string
		for _, kv := range strings.Split(v, ",") {
			key, val, _ := strings.Cut(kv, "=")
			switch key {
			case "type":
				typ = val
			case "target", "dst", "destination":
				target = strings.TrimSuffix(val, "/")
			}
		}
		if typ != "cache" && typ != "tmpfs" {
			continue
		}
		for _, d := range dirs {
			if target != "" && (strings.HasPrefix(d, target) || strings.HasPrefix(target, d)) {
				return true
			}
		}
	}
	return false
}

func isApt(p string) bool { return p == "apt-get" || p == "apt" }

var pipProg = regexp.MustCompile(`^pip[0-9.]*$`)

func (lc *lintRun) run(in Instruction, inFinal bool, final []int) {
	s := parseScript(runScript(in))
	if len(s.fetchToShell) > 0 {
		lc.add(PipeToShell, in, s.fetchToShell[0])
	}
	var sudo, upgrade, update, install bool
	var aptInstall, aptNoRec, apkNoCache, pipNoCache, yumInstall bool
	var rmAptLists, rmApkCache, yumClean, rmPipCache bool
	for _, c := range s.calls {
		p, sub := c.prog(), c.sub()
		sudo = sudo || c.sudo || p == "sudo"
		switch {
		case isApt(p) && slices.Contains([]string{"upgrade", "dist-upgrade", "full-upgrade"}, sub):
			upgrade, install = true, true
		case isApt(p) && sub == "update", p == "apk" && sub == "update":
			update = true
		case isApt(p) && (sub == "install" || sub == "build-dep" || sub == "reinstall"):
			install, aptInstall = true, true
			if sub == "install" && !c.has("--no-install-recommends") && !slices.ContainsFunc(c.args, noRecommendsOption) {
				aptNoRec = true
			}
		case p == "apk" && (sub == "add" || sub == "upgrade"):
			install = true
			if !c.has("--no-cache") {
				apkNoCache = true
			}
		case (pipProg.MatchString(p) && sub == "install") || (strings.HasPrefix(p, "python") && isPipModule(c.args)):
			if !c.has("--no-cache-dir") && !slices.ContainsFunc(c.env, isPipNoCacheEnv) {
				pipNoCache = true
			}
		case (p == "yum" || p == "dnf" || p == "microdnf" || p == "tdnf") && sub == "install":
			yumInstall = true
		case (p == "yum" || p == "dnf" || p == "microdnf" || p == "tdnf") && sub == "clean":
			yumClean = true
		case p == "rm":
			for _, a := range c.args[1:] {
				a = strings.TrimPrefix(a, "${HOME}")
				switch {
				case strings.HasPrefix(a, "/var/lib/apt/lists"):
					rmAptLists = true
				case strings.HasPrefix(a, "/var/cache/apk"):
					rmApkCache = true
				case strings.HasPrefix(a, "/var/cache/yum"), strings.HasPrefix(a, "/var/cache/dnf"):
					yumClean = true
				case strings.Contains(a, ".cache/pip"):
					rmPipCache = true
				}
			}
		}
	}
	if sudo {
		lc.add(Sudo, in, "")
	}
	if upgrade {
		lc.add(AptUpgrade, in, "")
	}
	if update && !install {
		lc.add(UpdateAlone, in, "")
	}
	if !inFinal {
		return // what a builder stage leaves behind is not in the image
	}
	if aptNoRec {
		lc.add(NoInstallRecommends, in, "")
	}
	var caches []string
	if aptInstall && !rmAptLists && !cacheMount(in, "/var/lib/apt/lists") {
		caches = append(caches, "apt-get install without rm -rf /var/lib/apt/lists/*")
	}
	if apkNoCache && !rmApkCache && !cacheMount(in, "/var/cache/apk") {
		caches = append(caches, "apk add without --no-cache")
	}
	if pipNoCache && !rmPipCache && !cacheMount(in, "/root/.cache/pip") && !lc.envSet(final, "PIP_NO_CACHE_DIR") {
		caches = append(caches, "pip install without --no-cache-dir")
	}
	if yumInstall && !yumClean && !cacheMount(in, "/var/cache/yum", "/var/cache/dnf") {
		caches = append(caches, "yum/dnf install without clean all")
	}
	if len(caches) > 0 {
		lc.add(PackageCache, in, strings.Join(caches, "; ")+": "+in.Original)
	}
}

// noRecommendsOption matches apt's -o APT::Install-Recommends=false (or 0, no).
func noRecommendsOption(a string) bool {
	k, v, ok := strings.Cut(a, "=")
	return ok && strings.EqualFold(k, "APT::Install-Recommends") && (v == "0" || strings.EqualFold(v, "false") || strings.EqualFold(v, "no"))
}

func isPipModule(args []string) bool {
	i := slices.Index(args, "-m")
	return i > 0 && i+1 < len(args) && args[i+1] == "pip" && slices.Contains(args[i+2:], "install")
}

func isPipNoCacheEnv(kv string) bool {
	return strings.HasPrefix(kv, "PIP_NO_CACHE_DIR=")
}

// envSet reports whether an ENV in the given stages sets name.
func (lc *lintRun) envSet(stages []int, name string) bool {
	for _, i := range stages {
		for _, in := range lc.f.Stages[i].Instructions {
			if in.Cmd != command.Env {
				continue
			}
			for j := 0; j < len(in.Args); j += 3 {
				if in.Args[j] == name {
					return true
				}
			}
		}
	}
	return false
}

// finalStage runs the checks about the image docker build produces: its user, health check,
// exposed ports, and its own CMD and ENTRYPOINT.
func (lc *lintRun) finalStage(chain []int) {
	last := &lc.f.Stages[chain[len(chain)-1]]
	var user, health *Instruction
	for _, i := range chain {
		for j := range lc.f.Stages[i].Instructions {
			in := &lc.f.Stages[i].Instructions[j]
			switch in.Cmd {
			case command.User:
				user = in
			case command.Healthcheck:
				health = in
			case command.Expose:
				for _, p := range in.Args {
					if exposes22(lc.expand(p)) {
						lc.add(ExposeSSH, *in, "")
						break
					}
				}
			}
		}
	}
	switch {
	case user == nil:
		lc.add(UserRoot, last.From, "no USER instruction: the container runs as the base image's user, root unless it sets another")
	case isRoot(lc.expand(user.Args[0])):
		lc.add(UserRoot, *user, "")
	}
	switch {
	case health == nil:
		lc.add(NoHealthcheck, last.From, "no HEALTHCHECK instruction in the final stage")
	case len(health.Args) > 0 && strings.EqualFold(health.Args[0], "none"):
		lc.add(NoHealthcheck, *health, "")
	}
	for _, cmd := range []string{command.Cmd, command.Entrypoint} {
		var seen []Instruction
		for _, in := range last.Instructions {
			if in.Cmd == cmd {
				seen = append(seen, in)
			}
		}
		for _, in := range seen[:max(0, len(seen)-1)] {
			lc.add(MultipleCmd, in, fmt.Sprintf("%s (line %d) is overridden by line %d", in.Original, in.Line, seen[len(seen)-1].Line))
		}
	}
}

// isRoot reports whether a USER argument names root: "root", "0", "root:grp", "0:0".
func isRoot(u string) bool {
	name, _, _ := strings.Cut(u, ":")
	return name == "root" || name == "0"
}

// exposes22 reports whether an EXPOSE argument ("22", "22/tcp", "20-30") covers TCP port 22.
func exposes22(p string) bool {
	port, proto, _ := strings.Cut(p, "/")
	if proto != "" && !strings.EqualFold(proto, "tcp") {
		return false
	}
	lo, hi, isRange := strings.Cut(port, "-")
	if !isRange {
		hi = lo
	}
	a, err1 := strconv.Atoi(lo)
	b, err2 := strconv.Atoi(hi)
	return err1 == nil && err2 == nil && a <= 22 && 22 <= b
}
