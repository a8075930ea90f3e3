package finding

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"
)

// FingerprintVersion names the fingerprint scheme; it prefixes nothing in the value but is
// the key SARIF's partialFingerprints carry it under ("rampart/v1"), and is bumped if the
// scheme ever changes.
const FingerprintVersion = "rampart/v1"

// Fingerprint returns the finding's stable identity: the same problem in the same place gives
// the same value in every scan, whatever the scan time, cache state, output order, image tag or
// digest, and the version of the package. It hashes, in order:
//
//   - subject: what was scanned, by a name that survives a new build ([Subject] of the report:
//     an image's repository, not its tag or digest; a directory's path; "" when the finding's
//     Resource already names the object);
//   - the kind and the rule or advisory ID;
//   - for vulnerabilities, the package URL without its version, and the file that proves the
//     package (two copies of one library at two paths are two findings);
//   - the file path, and the field (env:NAME, history:N, an object field path);
//   - the resource: kind, namespace, name and container.
//
// Lines, layers, severities, evidence and fixed versions are left out on purpose: they change
// when a file is edited or a database updated, and the finding stays the same one.
func Fingerprint(subject string, f *Finding) string {
	parts := []string{subject, string(f.Kind), f.ID}
	if f.Package != nil {
		parts = append(parts, versionlessPURL(f.Package))
	} else {
		parts = append(parts, "")
	}
	parts = append(parts, f.Location.Path, f.Location.Field)
	if r := f.Resource; r != nil {
		parts = append(parts, r.Kind, r.Namespace, r.Name, r.Container)
	}
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// SetFingerprints sets the Fingerprint of every finding.
func SetFingerprints(fs []Finding, subject string) {
	for i := range fs {
		fs[i].Fingerprint = Fingerprint(subject, &fs[i])
	}
}

// versionlessPURL is the package's PURL without its version, qualifiers sorted; when the
// package has no PURL, ecosystem/name.
func versionlessPURL(p *Package) string {
	if p.PURL == "" {
		return p.Ecosystem + "/" + p.Name
	}
	s := p.PURL
	var qual, sub string
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s, sub = s[:i], s[i:]
	}
	if i := strings.IndexByte(s, '?'); i >= 0 {
		s, qual = s[:i], s[i+1:]
	}
	// The version follows the last '@' after the last '/': a scope's '@' (npm's %40 or a raw
	// @scope) comes before it.
	if slash := strings.LastIndexByte(s, '/'); slash >= 0 {
		if at := strings.IndexByte(s[slash:], '@'); at >= 0 {
			s = s[:slash+at]
		}
	}
	if qual != "" {
		q := strings.Split(qual, "&")
		q = dropVersionQualifiers(q)
		sort.Strings(q)
		if len(q) > 0 {
			s += "?" + strings.Join(q, "&")
		}
	}
	return s + sub
}

// dropVersionQualifiers removes qualifiers that carry a version (a package's upgrade changes
// them): Debian's and RPM's epoch, for one.
func dropVersionQualifiers(q []string) []string {
	out := q[:0]
	for _, kv := range q {
		k, _, _ := strings.Cut(kv, "=")
		if k, err := url.QueryUnescape(k); err == nil && (k == "epoch" || k == "upstream") {
			continue
		}
		out = append(out, kv)
	}
	return out
}
