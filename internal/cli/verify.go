package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampartsec/rampart/internal/image"
	"github.com/rampartsec/rampart/internal/regularfile"
	"github.com/rampartsec/rampart/internal/report"
	"github.com/rampartsec/rampart/internal/result"
	"github.com/rampartsec/rampart/internal/signature"
)

var verifyFormats = []string{"table", "json"}

// VerifyReport is the JSON document of `rampart verify`, described in docs/signatures.md.
type VerifyReport struct {
	Tool  result.Tool `json:"tool"`
	Image string      `json:"image"`
	// Key is the --key file and its algorithm.
	Key     string `json:"key"`
	KeyType string `json:"key_type"`
	// Annotations are the --annotation constraints, as given.
	Annotations []string `json:"annotations,omitempty"`
	signature.Result
	// Verified counts the signatures that verified; the command fails when it is 0.
	Verified int `json:"verified"`
}

func newVerifyCmd(g *Globals) *cobra.Command {
	var af ArtifactFlags
	var of OutputFlags
	var keyPath string
	var annotations []string
	cmd := &cobra.Command{
		Use:   "verify IMAGE --key cosign.pub",
		Short: "Verify an image's cosign signatures with a public key, offline",
		Long: `Verify the Sigstore cosign signatures of a registry image with a public key (cosign's
key-based signing: ` + "`cosign sign --key`" + `). IMAGE, by tag or digest, is resolved to its manifest
digest; the signatures cosign stored for that digest are read and each is checked: its signature
with --key, the digest its payload names against the image's, and the --annotation constraints.
No transparency log (Rekor) or certificate authority (Fulcio) is consulted.

Exits 0 when at least one signature verifies, 3 when signatures exist but none verifies, 4 when
the image or its signatures do not exist. See docs/signatures.md.`,
		Example: `  rampart verify registry.example.com/app:1.4 --key cosign.pub
  rampart verify 127.0.0.1:5000/app@sha256:… --key cosign.pub -a env=prod -f json`,
		Args: UsageArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if keyPath == "" {
				return WithCode(ExitUsage, fmt.Errorf("--key is required"))
			}
			var want [][2]string
			for _, a := range annotations {
				k, v, err := signature.ParseAnnotation(a)
				if err != nil {
					return WithCode(ExitUsage, fmt.Errorf("--annotation: %w", err))
				}
				want = append(want, [2]string{k, v})
			}
			pem, err := regularfile.Read(keyPath, 1<<20) // a PEM public key is a few hundred bytes
			if err != nil {
				return WithCode(ExitUsage, fmt.Errorf("--key: %w", err))
			}
			key, err := signature.ParseKey(pem)
			if err != nil {
				return WithCode(ExitUsage, fmt.Errorf("--key %s: %w", keyPath, err))
			}
			ref, err := af.Ref(args[0])
			if err != nil {
				return err
			}
			if ref.Source != image.SourceRegistry {
				return WithCode(ExitUsage, fmt.Errorf("%s: signatures are read from a registry; give a registry image", args[0]))
			}
			ctx := cmd.Context()
			if af.Timeout > 0 {
				var cancel func()
				ctx, cancel = context.WithTimeout(ctx, af.Timeout)
				defer cancel()
			}
			res, err := signature.Verify(ctx, ref.Name, key, signature.Options{Annotations: want, Registry: imageOptions(g, &af)})
			if err != nil {
				return err
			}
			doc := &VerifyReport{Tool: result.Tool{Name: "rampart", Version: Version()}, Image: args[0], Key: keyPath,
				KeyType: key.Type, Annotations: annotations, Result: *res, Verified: res.Verified()}
			w, done, err := of.Writer(g.Stdout)
			if err != nil {
				return err
			}
			if of.Format == "json" {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				err = enc.Encode(doc)
			} else {
				err = writeVerifyTable(w, doc)
			}
			if err := CloseOutput(done, err); err != nil {
				return err
			}
			if doc.Verified == 0 {
				// Exit 3 prints nothing on stderr by itself: say it here, for CI logs.
				fmt.Fprintf(g.Stderr, "rampart: %s: none of %d signatures verified with %s\n", args[0], len(res.Signatures), keyPath)
				return WithCode(ExitGate, fmt.Errorf("no signature verified"))
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&keyPath, "key", "", "PEM public key to verify with (cosign.pub)")
	fl.StringArrayVarP(&annotations, "annotation", "a", nil, "key=value a verified signature's payload must hold (repeatable)")
	fl.BoolVar(&af.Insecure, "insecure", false, "allow plain HTTP and unverified TLS to the registry")
	fl.StringVar(&af.CACert, "ca-cert", "", "PEM file with extra CA certificates to trust for the registry")
	fl.DurationVar(&af.Timeout, "timeout", 2*time.Minute, "give up after this long")
	of.Register(cmd, "table", verifyFormats)
	return cmd
}

// writeVerifyTable writes one row per signature. Payload fields are the signer's (or an
// attacker's) text: escaped.
func writeVerifyTable(w io.Writer, doc *VerifyReport) error {
	fmt.Fprintf(w, "%s\ndigest %s\nsignatures %s\n\n", doc.Repository, doc.Digest, doc.SignatureRef)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LAYER\tSIGNED REFERENCE\tSTATUS")
	for _, s := range doc.Signatures {
		layer := strings.TrimPrefix(s.Layer, "sha256:")
		if len(layer) > 12 {
			layer = layer[:12]
		}
		refText := report.Clean(s.DockerReference)
		if refText == "" {
			refText = "-"
		}
		status := "verified"
		if !s.Verified {
			status = "NOT verified: " + report.Clean(s.Reason)
		}
		for _, warn := range s.Warnings {
			status += "; warning: " + report.Clean(warn)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", layer, refText, status)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d of %d signatures verified with %s (%s)\n", doc.Verified, len(doc.Signatures), doc.Key, doc.KeyType)
	return err
}
