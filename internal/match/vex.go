package match

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/rampartsec/rampart/internal/finding"
)

// ErrInvalidVEX is wrapped by [ParseVEX] for documents that are not valid OpenVEX.
var ErrInvalidVEX = errors.New("match: invalid OpenVEX document")

// VEX statuses (OpenVEX).
const (
	VEXNotAffected        = "not_affected"
	VEXAffected           = "affected"
	VEXFixed              = "fixed"
	VEXUnderInvestigation = "under_investigation"
)

// VEX is an OpenVEX document's statements, ready to apply to findings.
type VEX struct {
	statements []vexStatement // ordered by timestamp: a later statement overrides an earlier one
}

type vexStatement struct {
	vulns    []string // name, @id and aliases
	products []string // PURLs of products and their subcomponents
	status   string
	when     time.Time
	order    int
}

// The OpenVEX JSON forms: v0.2 uses objects, v0.0.1 plain strings for vulnerability and products.
type vexDoc struct {
	Context    string          `json:"@context"`
	Timestamp  *time.Time      `json:"timestamp"`
	Statements []vexStatementJ `json:"statements"`
}

type vexStatementJ struct {
	Vulnerability   json.RawMessage   `json:"vulnerability"`
	Products        []json.RawMessage `json:"products"`
	Status          string            `json:"status"`
	Justification   string            `json:"justification"`
	ImpactStatement string            `json:"impact_statement"`
	Timestamp       *time.Time        `json:"timestamp"`
}

type vexVuln struct {
	ID      string   `json:"@id"`
	Name    string   `json:"name"`
	Aliases []string `json:"aliases"`
}

type vexProduct struct {
	ID          string `json:"@id"`
	Identifiers struct {
		PURL string `json:"purl"`
	} `json:"identifiers"`
	Subcomponents []vexProduct `json:"subcomponents"`
}

// maxVEX bounds what ParseVEX reads.
const maxVEX = 64 << 20

// ParseVEX reads an OpenVEX JSON document (v0.2.0, and v0.0.1's string forms). Statements with
// an unknown status, without a vulnerability or products, and not_affected statements without
// a justification or impact statement (which OpenVEX requires) are errors wrapping
// [ErrInvalidVEX].
func ParseVEX(b []byte) (*VEX, error) {
	if len(b) > maxVEX {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrInvalidVEX, maxVEX)
	}
	var doc vexDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidVEX, err)
	}
	if !strings.HasPrefix(doc.Context, "https://openvex.dev/ns") {
		return nil, fmt.Errorf("%w: @context %q is not OpenVEX", ErrInvalidVEX, doc.Context)
	}
	v := &VEX{}
	for i, sj := range doc.Statements {
		s := vexStatement{status: sj.Status, order: i}
		switch sj.Status {
		case VEXNotAffected:
			if sj.Justification == "" && sj.ImpactStatement == "" {
				return nil, fmt.Errorf("%w: statement %d: not_affected needs a justification or impact_statement", ErrInvalidVEX, i+1)
			}
		case VEXAffected, VEXFixed, VEXUnderInvestigation:
		default:
			return nil, fmt.Errorf("%w: statement %d: unknown status %q", ErrInvalidVEX, i+1, sj.Status)
		}
		var name string
		var vv vexVuln
		if json.Unmarshal(sj.Vulnerability, &name) == nil {
			s.vulns = []string{name}
		} else if json.Unmarshal(sj.Vulnerability, &vv) == nil {
			s.vulns = append([]string{vv.Name, vv.ID}, vv.Aliases...)
		}
		s.vulns = slices.DeleteFunc(s.vulns, func(x string) bool { return x == "" })
		if len(s.vulns) == 0 {
			return nil, fmt.Errorf("%w: statement %d: no vulnerability", ErrInvalidVEX, i+1)
		}
		for _, raw := range sj.Products {
			var id string
			var p vexProduct
			if json.Unmarshal(raw, &id) == nil {
				s.products = append(s.products, id)
			} else if json.Unmarshal(raw, &p) == nil {
				s.products = appendPURLs(s.products, p, 0)
			}
		}
		s.products = slices.DeleteFunc(s.products, func(x string) bool { return !strings.HasPrefix(x, "pkg:") })
		if len(s.products) == 0 {
			return nil, fmt.Errorf("%w: statement %d: no product with a package URL", ErrInvalidVEX, i+1)
		}
		switch {
		case sj.Timestamp != nil:
			s.when = *sj.Timestamp
		case doc.Timestamp != nil:
			s.when = *doc.Timestamp
		}
		v.statements = append(v.statements, s)
	}
	slices.SortStableFunc(v.statements, func(a, b vexStatement) int {
		return cmp.Or(a.when.Compare(b.when), cmp.Compare(a.order, b.order))
	})
	return v, nil
}

// appendPURLs collects a product's package URLs, or its subcomponents' when it lists any: a
// statement about an image's subcomponents is not one about the whole image.
func appendPURLs(out []string, p vexProduct, depth int) []string {
	if len(p.Subcomponents) == 0 || depth >= 4 {
		return append(out, p.ID, p.Identifiers.PURL)
	}
	for _, s := range p.Subcomponents {
		out = appendPURLs(out, s, depth+1)
	}
	return out
}

// Apply returns the findings the document does not suppress and how many it did. The latest
// statement naming a finding's vulnerability (ID or alias) and its package URL, or the scanned
// image itself, decides: not_affected and fixed suppress it; affected and under_investigation
// keep it.
//
// artifactDigests are the scanned image's digests ("sha256:…": manifest digest, image ID): a
// product "pkg:oci/NAME@sha256:…" with one of them names the whole image, so its statement
// applies to every finding of the vulnerability in it.
func (v *VEX) Apply(fs []finding.Finding, artifactDigests ...string) ([]finding.Finding, int) {
	if v == nil {
		return fs, 0
	}
	var kept []finding.Finding
	suppressed := 0
	for _, f := range fs {
		status := ""
		for _, s := range v.statements {
			if s.covers(&f, artifactDigests) {
				status = s.status
			}
		}
		if status == VEXNotAffected || status == VEXFixed {
			suppressed++
			continue
		}
		kept = append(kept, f)
	}
	return kept, suppressed
}

func (s *vexStatement) covers(f *finding.Finding, artifactDigests []string) bool {
	named := false
	for _, id := range s.vulns {
		if namesVuln(f, id) {
			named = true
			break
		}
	}
	if !named {
		return false
	}
	for _, p := range s.products {
		if f.Package != nil && f.Package.PURL != "" && samePURL(p, f.Package.PURL) {
			return true
		}
		if base, digest := splitPURL(p); strings.HasPrefix(base, "oci/") && digest != "" && slices.Contains(artifactDigests, digest) {
			return true
		}
	}
	return false
}

// samePURL reports whether the package URL want names have: same type, namespace and name,
// and the same version unless want has none. Qualifiers and subpaths are ignored.
func samePURL(want, have string) bool {
	wb, wv := splitPURL(want)
	hb, hv := splitPURL(have)
	return wb != "" && wb == hb && (wv == "" || wv == hv)
}

// splitPURL returns a PURL's type/namespace/name, unescaped and with the type lower-cased, and
// its version.
func splitPURL(p string) (base, version string) {
	p, _, _ = strings.Cut(p, "#")
	p, _, _ = strings.Cut(p, "?")
	rest, ok := strings.CutPrefix(p, "pkg:")
	if !ok {
		return "", ""
	}
	if i := strings.LastIndex(rest, "@"); i >= 0 && !strings.Contains(rest[i:], "/") {
		rest, version = rest[:i], rest[i+1:]
	}
	typ, path, _ := strings.Cut(strings.Trim(rest, "/"), "/")
	if u, err := url.PathUnescape(path); err == nil {
		path = u
	}
	if u, err := url.PathUnescape(version); err == nil {
		version = u
	}
	return strings.ToLower(typ) + "/" + path, version
}
