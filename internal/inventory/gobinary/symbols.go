package gobinary

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"debug/gosym"
	"debug/macho"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/rampartsec/rampart/internal/inventory"
)

// ErrNoPclntab is returned by [Symbols] when the executable holds no readable Go function table.
var ErrNoPclntab = errors.New("gobinary: no pclntab found")

// maxSection bounds any one section read into memory; real pclntabs are tens of MiB at most.
const maxSection = 256 << 20

// Symbols returns the function names in a Go executable's pclntab, as the linker wrote them
// ("golang.org/x/text/language.(*Tag).String"). It returns an error wrapping [ErrNoPclntab]
// when no table is found.
func Symbols(r io.ReaderAt) ([]string, error) {
	stages, err := pclntabStages(r)
	if err != nil {
		return nil, err
	}
	for _, stage := range stages {
		for _, tab := range stage() {
			if names := parsePclntab(tab); len(names) > 0 {
				return names, nil
			}
		}
	}
	return nil, ErrNoPclntab
}

// stage yields byte ranges that may hold the pclntab. Stages run in order, cheapest and
// surest first, and later ones only when earlier ones found nothing.
type stage func() [][]byte

// pclntabStages returns the ways to find the pclntab: the dedicated section, the range the
// runtime.pclntab symbol names, then every table header found by scanning the file's data
// sections (what is left after stripping).
func pclntabStages(r io.ReaderAt) ([]stage, error) {
	var magic [4]byte
	if _, err := r.ReadAt(magic[:], 0); err != nil {
		return nil, fmt.Errorf("read magic: %w", err)
	}
	switch {
	case string(magic[:]) == "\x7fELF":
		return elfStages(r)
	case magic[0] == 'M' && magic[1] == 'Z':
		return peStages(r)
	case string(magic[:]) == "\xca\xfe\xba\xbe":
		ff, err := macho.NewFatFile(r)
		if err != nil {
			return nil, fmt.Errorf("open fat mach-o: %w", err)
		}
		if len(ff.Arches) == 0 {
			return nil, ErrNoPclntab
		}
		// Every slice links the same packages; the first one tells which.
		return machoStages(ff.Arches[0].File), nil
	default:
		mf, err := macho.NewFile(r)
		if err != nil {
			return nil, fmt.Errorf("open mach-o: %w", err)
		}
		return machoStages(mf), nil
	}
}

func elfStages(r io.ReaderAt) ([]stage, error) {
	ef, err := elf.NewFile(r)
	if err != nil {
		return nil, fmt.Errorf("open elf: %w", err)
	}
	bySection := func() [][]byte {
		var out [][]byte
		for _, name := range []string{".gopclntab", ".data.rel.ro.gopclntab"} {
			if s := ef.Section(name); s != nil && s.Type != elf.SHT_NOBITS && s.Size <= maxSection {
				if b, err := s.Data(); err == nil {
					out = append(out, b)
				}
			}
		}
		return out
	}
	bySymbol := func() [][]byte {
		syms, err := ef.Symbols()
		if err != nil {
			return nil
		}
		var start, end uint64
		for _, s := range syms {
			switch s.Name {
			case "runtime.pclntab":
				start = s.Value
			case "runtime.epclntab":
				end = s.Value
			}
		}
		for _, s := range ef.Sections {
			if start != 0 && end > start && s.Addr <= start && end <= s.Addr+s.Size && s.Type != elf.SHT_NOBITS {
				if b := readRange(s.Open(), s.Size, start-s.Addr, end-s.Addr); b != nil {
					return [][]byte{b}
				}
			}
		}
		return nil
	}
	byScan := func() [][]byte {
		var out [][]byte
		for _, s := range ef.Sections {
			if s.Type != elf.SHT_PROGBITS || s.Flags&elf.SHF_ALLOC == 0 || s.Flags&elf.SHF_EXECINSTR != 0 || s.Size > maxSection {
				continue
			}
			if b, err := s.Data(); err == nil {
				out = append(out, scanPclntab(b)...)
			}
		}
		return out
	}
	return []stage{bySection, bySymbol, byScan}, nil
}

func machoStages(mf *macho.File) []stage {
	bySection := func() [][]byte {
		if s := mf.Section("__gopclntab"); s != nil && s.Size <= maxSection {
			if b, err := s.Data(); err == nil {
				return [][]byte{b}
			}
		}
		return nil
	}
	byScan := func() [][]byte {
		var out [][]byte
		for _, s := range mf.Sections {
			if s.Name == "__text" || s.Size > maxSection || s.Flags&0xff == 0x1 /* S_ZEROFILL */ {
				continue
			}
			if b, err := s.Data(); err == nil {
				out = append(out, scanPclntab(b)...)
			}
		}
		return out
	}
	return []stage{bySection, byScan}
}

func peStages(r io.ReaderAt) ([]stage, error) {
	pf, err := pe.NewFile(r)
	if err != nil {
		return nil, fmt.Errorf("open pe: %w", err)
	}
	bySymbol := func() [][]byte {
		var start, end *pe.Symbol
		for _, s := range pf.Symbols {
			switch s.Name {
			case "runtime.pclntab":
				start = s
			case "runtime.epclntab":
				end = s
			}
		}
		if start == nil || end == nil || start.SectionNumber != end.SectionNumber || start.SectionNumber <= 0 ||
			int(start.SectionNumber) > len(pf.Sections) {
			return nil
		}
		s := pf.Sections[start.SectionNumber-1]
		if b := readRange(s.Open(), uint64(s.Size), uint64(start.Value), uint64(end.Value)); b != nil {
			return [][]byte{b}
		}
		return nil
	}
	byScan := func() [][]byte {
		var out [][]byte
		for _, s := range pf.Sections {
			const execute = 0x20000000 // IMAGE_SCN_MEM_EXECUTE
			if s.Characteristics&execute != 0 || s.Size > maxSection {
				continue
			}
			if b, err := s.Data(); err == nil {
				out = append(out, scanPclntab(b)...)
			}
		}
		return out
	}
	return []stage{bySymbol, byScan}, nil
}

// readRange reads [from, to) of a section of the given size, or returns nil.
func readRange(r io.ReadSeeker, size, from, to uint64) []byte {
	if from >= to || to > size || to-from > maxSection {
		return nil
	}
	b := make([]byte, to-from)
	if _, err := r.Seek(int64(from), io.SeekStart); err != nil {
		return nil
	}
	if _, err := io.ReadFull(r, b); err != nil {
		return nil
	}
	return b
}

// pclntab magics, Go 1.2 through 1.20+ (the format has not changed since 1.20).
var pclntabMagics = []uint32{0xfffffffb, 0xfffffffa, 0xfffffff0, 0xfffffff1}

// scanPclntab returns the slices of data, from each plausible pclntab header to the end.
func scanPclntab(data []byte) [][]byte {
	var out [][]byte
	for _, m := range pclntabMagics {
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			var pat [4]byte
			order.PutUint32(pat[:], m)
			// The linker aligns the table; stepping by 4 keeps the scan cheap and exact.
			for off := 0; off+16 <= len(data); {
				i := bytes.Index(data[off:], pat[:])
				if i < 0 {
					break
				}
				at := off + i
				off = at + 4
				if at%4 == 0 && validHeader(data[at:]) {
					out = append(out, data[at:])
				}
			}
		}
	}
	return out
}

// validHeader checks the fixed part of a pclntab header and that the function count fits the
// data, so that a corrupt count cannot make gosym allocate without bound.
func validHeader(b []byte) bool {
	if len(b) < 16 || b[4] != 0 || b[5] != 0 {
		return false
	}
	if q := b[6]; q != 1 && q != 2 && q != 4 {
		return false
	}
	ptr := int(b[7])
	if ptr != 4 && ptr != 8 || len(b) < 8+ptr {
		return false
	}
	var order binary.ByteOrder = binary.LittleEndian
	if binary.BigEndian.Uint32(b) >= 0xfffffff0 && binary.LittleEndian.Uint32(b) < 0xfffffff0 {
		order = binary.BigEndian
	}
	var n uint64
	if ptr == 8 {
		n = order.Uint64(b[8:])
	} else {
		n = uint64(order.Uint32(b[8:]))
	}
	// Every function takes at least 8 bytes of function table.
	return n > 0 && n <= uint64(len(b))/8
}

// parsePclntab returns the function names of a table, or nil when it does not parse as one of
// a Go program (which always holds runtime functions). From Go 1.16 on, the names come from
// the function name table, which also names the functions inlined into others; older tables
// are read through debug/gosym, which lists compiled functions only.
func parsePclntab(data []byte) (names []string) {
	if !validHeader(data) {
		return nil
	}
	hasRuntime := func(names []string) bool {
		return slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "runtime.") })
	}
	if names := funcNameTable(data); names != nil {
		if hasRuntime(names) {
			return names
		}
		return nil
	}
	// gosym recovers from malformed tables itself in most places; this catches the rest.
	defer func() {
		if recover() != nil {
			names = nil
		}
	}()
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(data, 0))
	if err != nil {
		return nil
	}
	names = make([]string, 0, len(tab.Funcs))
	for i := range tab.Funcs {
		names = append(names, tab.Funcs[i].Name)
	}
	if !hasRuntime(names) {
		return nil
	}
	return names
}

// funcNameTable returns every name in the function name table of a Go 1.16+ pclntab. The
// table holds the names of compiled functions and of the functions inlined into them (the
// inline trees refer to it), and nothing else.
func funcNameTable(data []byte) []string {
	var order binary.ByteOrder = binary.LittleEndian
	magic := order.Uint32(data)
	if magic < 0xfffffff0 {
		order = binary.BigEndian
		magic = order.Uint32(data)
	}
	ptr := int(data[7])
	word := func(i int) uint64 {
		off := 8 + i*ptr
		if off+ptr > len(data) {
			return 0
		}
		if ptr == 8 {
			return order.Uint64(data[off:])
		}
		return uint64(order.Uint32(data[off:]))
	}
	var start, end uint64
	switch magic {
	case 0xfffffffa: // Go 1.16-1.17: nfunc, nfiles, funcnameOffset, cuOffset, …
		start, end = word(2), word(3)
	case 0xfffffff0, 0xfffffff1: // Go 1.18+: nfunc, nfiles, textStart, funcnameOffset, cuOffset, …
		start, end = word(3), word(4)
	default:
		return nil
	}
	if start >= end || end > uint64(len(data)) {
		return nil
	}
	var names []string
	for n := range bytes.SplitSeq(data[start:end], []byte{0}) {
		if len(n) > 0 {
			names = append(names, string(n))
		}
	}
	return names
}

// Normalize splits a linker function name into its package path and the name advisories use:
// "golang.org/x/text/language.(*Tag).String" gives ("golang.org/x/text/language", "Tag.String").
// ok is false for compiler-generated functions that belong to no package.
func Normalize(name string) (pkg, sym string, ok bool) {
	if strings.HasPrefix(name, "go:") || strings.HasPrefix(name, "type:") || strings.HasPrefix(name, "type..") ||
		strings.HasPrefix(name, "go.") && !strings.Contains(name, "/") {
		return "", "", false
	}
	// Generic instantiations: "pkg.F[go.shape.int]", "pkg.(*T[...]).M".
	if i := strings.IndexByte(name, '['); i >= 0 {
		if j := strings.LastIndexByte(name, ']'); j > i {
			name = name[:i] + name[j+1:]
		}
	}
	slash := max(strings.LastIndexByte(name, '/'), 0)
	dot := strings.IndexByte(name[slash:], '.')
	if dot < 0 {
		return "", "", false
	}
	pkg, rest := name[:slash+dot], name[slash+dot+1:]
	if p, err := url.PathUnescape(pkg); err == nil {
		pkg = p // the linker writes dots in the last element as %2e ("gopkg.in/yaml%2ev3")
	}
	rest = strings.ReplaceAll(rest, "(*", "")
	rest = strings.ReplaceAll(rest, ")", "")
	// The symbol is rest up to the first closure element, with "-fm" dropped from each element.
	// Most names need no "-fm" trimming: their symbol is a prefix of rest, taken without copying
	// (a Go binary has tens of thousands of names).
	end, n, trim := 0, 0, false
	for p := range strings.SplitSeq(rest, ".") {
		if closurePart(p) || n == 0 && p == "glob" {
			break
		}
		trim = trim || strings.HasSuffix(p, "-fm")
		end += len(p) + 1
		n++
	}
	if n == 0 || pkg == "" {
		return "", "", false
	}
	sym = rest[:end-1]
	if trim {
		sym = strings.ReplaceAll(sym+".", "-fm.", ".")
		sym = sym[:len(sym)-1]
	}
	return pkg, sym, true
}

// closurePart reports whether a name element marks code nested in a function: "func1",
// "gowrap2", "deferwrap1", a bare number ("func1.2", "init.0") or empty ("glob..func1").
func closurePart(p string) bool {
	for _, prefix := range []string{"func", "gowrap", "deferwrap", ""} {
		if rest, ok := strings.CutPrefix(p, prefix); ok && allDigits(rest) {
			return true
		}
	}
	return false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// symbolModule returns the import path of the module a package belongs to: the longest
// module path that is the package path or a prefix of it ending at a slash; "stdlib" for a
// package whose first element has no dot; "" for none. "main" is the main module's.
func symbolModule(pkg string, modules []string, mainModule string) string {
	if pkg == "main" {
		return mainModule
	}
	best := ""
	for _, m := range modules {
		if len(m) > len(best) && (pkg == m || strings.HasPrefix(pkg, m+"/")) {
			best = m
		}
	}
	if best != "" {
		return best
	}
	first, _, _ := strings.Cut(pkg, "/")
	if !strings.Contains(first, ".") {
		return "stdlib"
	}
	return ""
}

// assignSymbols fills each package's Symbols from the binary's function names. pkgs must be
// as [Packages] built them from bi: main module first when present, dependencies in order,
// stdlib last.
func assignSymbols(pkgs []inventory.Package, bi *buildinfo.BuildInfo, names []string) {
	// Symbols carry import paths, so a replaced module is found by its original path.
	index := map[string]int{}
	var modules []string
	i := 0
	if bi.Main.Path != "" {
		index[bi.Main.Path] = i
		modules = append(modules, bi.Main.Path)
		i++
	}
	for _, d := range bi.Deps {
		if d == nil || d.Path == "" {
			continue
		}
		if _, dup := index[d.Path]; !dup {
			index[d.Path] = i
			modules = append(modules, d.Path)
		}
		i++
	}
	index["stdlib"] = len(pkgs) - 1
	sets := make([]map[string]bool, len(pkgs))
	// Functions come grouped by package: remember each package's module rather than search
	// the module list for every name.
	moduleOf := map[string]int{}
	for _, n := range names {
		pkg, sym, ok := Normalize(n)
		if !ok {
			continue
		}
		j, seen := moduleOf[pkg]
		if !seen {
			var known bool
			if j, known = index[symbolModule(pkg, modules, bi.Main.Path)]; !known {
				j = -1
			}
			moduleOf[pkg] = j
		}
		if j < 0 {
			continue
		}
		if sets[j] == nil {
			sets[j] = map[string]bool{}
		}
		key := n // already "pkg.sym" for most names: no new string
		if len(n) != len(pkg)+1+len(sym) || !strings.HasPrefix(n, pkg) || !strings.HasSuffix(n, sym) || n[len(pkg)] != '.' {
			key = pkg + "." + sym
		}
		sets[j][key] = true
	}
	for j, set := range sets {
		if set != nil {
			pkgs[j].Symbols = slices.Sorted(maps.Keys(set))
		}
	}
}
