// Package scan is the scan pipeline every way into Rampart calls: the CLI's `image`, `fs`,
// `sbom` and `registry`, the graph's workload images, and the server, worker, admission webhook
// and sensor to come. A [Pipeline] is built once from [Options] — the scanners and their rules,
// malware hash lists, the vulnerability database, the layer cache — and then scans any number of
// artifacts, concurrently if the caller wishes:
//
//	open artifact → analyze layers (cached) → image-config checks → match vulnerabilities →
//	VEX, ignore rules, --ignore-unfixed, --severity → fingerprints → result.Report
//
// It returns results and errors and never prints: rendering is the caller's (package report,
// package sbom). Errors carry exit codes (package exitcode) where the cause is the caller's input.
package scan
