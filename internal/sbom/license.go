package sbom

import (
	"strings"

	"github.com/github/go-spdx/v2/spdxexp"
	"github.com/github/go-spdx/v2/spdxexp/spdxlicenses"
)

// noAssertion is SPDX's word for "the tool makes no claim".
const noAssertion = "NOASSERTION"

// license is one declared licence string of a package, classified.
type license struct {
	raw string
	// id is the canonical SPDX licence identifier when raw is exactly one (e.g. "mit" → "MIT").
	id string
	// expr is the normalised SPDX expression when raw is a valid one that uses only listed
	// licences and exceptions (no LicenseRef-/DocumentRef-, which need declarations elsewhere).
	expr string
}

// classify sorts a package's licence strings into SPDX identifiers, SPDX expressions and free
// text (Debian copyright short names such as "GPL-2+", "public-domain", or a README's words).
// Empty strings are dropped.
func classify(raw []string) []license {
	var out []license
	for _, s := range raw {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		l := license{raw: s}
		if ok, id := spdxexp.ActiveLicense(s); ok {
			l.id, l.expr = id, id
		} else if ok, id := spdxlicenses.IsDeprecatedLicense(s); ok {
			l.id, l.expr = id, id
		} else {
			norm, invalid := spdxexp.ValidateAndNormalizeLicensesWithOptions([]string{s},
				spdxexp.ValidateLicensesOptions{FailAllLicenseRefs: true, FailAllDocumentRefs: true})
			if len(invalid) == 0 && len(norm) == 1 {
				l.expr = norm[0]
			}
		}
		out = append(out, l)
	}
	return out
}

// spdxExpression joins a package's licences into one SPDX expression, "A AND (B OR C)", or
// returns NOASSERTION when there are none or any one is not valid SPDX. Several declared
// licences are joined with AND: a package's copyright file listing several licences means each
// applies to some of its files.
func spdxExpression(ls []license) string {
	if len(ls) == 0 {
		return noAssertion
	}
	parts := make([]string, 0, len(ls))
	seen := map[string]bool{}
	for _, l := range ls {
		if l.expr == "" {
			return noAssertion
		}
		if seen[l.expr] {
			continue
		}
		seen[l.expr] = true
		p := l.expr
		if len(ls) > 1 && l.id == "" && strings.ContainsRune(p, ' ') {
			p = "(" + p + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " AND ")
}
