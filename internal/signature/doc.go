// Package signature verifies Sigstore cosign key-based image signatures offline: it reads the
// signature manifest cosign pushes beside an image (the tag sha256-HEX.sig), checks each
// signature over its "simple signing" payload with a public key, and checks that the payload
// names the image's digest. It talks to no transparency log or certificate authority, and
// imports no cosign or sigstore code: Go's crypto and the registry client of internal/image.
package signature
