package inventory

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/package-url/packageurl-go"
)

func TestOSPURL(t *testing.T) {
	debian := OS{Family: "debian", Version: "12", Codename: "bookworm"}
	tests := []struct {
		name string
		os   OS
		pkg  Package
		want string
	}{
		{"debian with source", debian,
			Package{Type: TypeDpkg, Name: "libc6", Version: "2.36-9+deb12u4", Arch: "amd64", SourceName: "glibc", SourceVersion: "2.36-9+deb12u4"},
			"pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc"},
		{"debian source is itself", debian,
			Package{Type: TypeDpkg, Name: "bash", Version: "5.2.15-2+b8", Arch: "amd64", SourceName: "bash", SourceVersion: "5.2.15-2"},
			"pkg:deb/debian/bash@5.2.15-2%2Bb8?arch=amd64&distro=debian-12"},
		{"debian epoch stays in the version", debian,
			Package{Type: TypeDpkg, Name: "zlib1g", Version: "1:1.2.13.dfsg-1", Arch: "amd64", SourceName: "zlib"},
			"pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12&upstream=zlib"},
		{"debian testing has no version", OS{Family: "debian"},
			Package{Type: TypeDpkg, Name: "tzdata", Version: "2024a-1", Arch: "all"},
			"pkg:deb/debian/tzdata@2024a-1?arch=all&distro=debian"},
		{"ubuntu", OS{Family: "ubuntu", Version: "22.04"},
			Package{Type: TypeDpkg, Name: "libssl3", Version: "3.0.2-0ubuntu1.15", Arch: "amd64", SourceName: "openssl"},
			"pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.15?arch=amd64&distro=ubuntu-22.04&upstream=openssl"},
		{"distroless is debian", OS{Family: "debian", Version: "12", Distroless: true},
			Package{Type: TypeDpkg, Name: "base-files", Version: "12.4+deb12u5", Arch: "amd64"},
			"pkg:deb/debian/base-files@12.4%2Bdeb12u5?arch=amd64&distro=debian-12"},
		{"alpine", OS{Family: "alpine", Version: "3.20.3"},
			Package{Type: TypeApk, Name: "ssl_client", Version: "1.36.1-r29", Arch: "x86_64", SourceName: "busybox"},
			"pkg:apk/alpine/ssl_client@1.36.1-r29?arch=x86_64&distro=3.20.3&upstream=busybox"},
		{"wolfi", OS{Family: "wolfi", Version: "20230201"},
			Package{Type: TypeApk, Name: "glibc", Version: "2.39-r5", Arch: "aarch64", SourceName: "glibc"},
			"pkg:apk/wolfi/glibc@2.39-r5?arch=aarch64&distro=20230201"},
		{"rhel with epoch", OS{Family: "rhel", Version: "9.3"},
			Package{Type: TypeRPM, Name: "openssl-libs", Version: "1:3.0.7-24.el9", Arch: "x86_64", SourceName: "openssl"},
			"pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64&distro=rhel-9.3&epoch=1&upstream=openssl"},
		{"rocky", OS{Family: "rocky", Version: "9.3"},
			Package{Type: TypeRPM, Name: "bash", Version: "5.1.8-6.el9_1", Arch: "x86_64", SourceName: "bash"},
			"pkg:rpm/rocky/bash@5.1.8-6.el9_1?arch=x86_64&distro=rocky-9.3"},
		{"almalinux", OS{Family: "almalinux", Version: "8.9"},
			Package{Type: TypeRPM, Name: "curl", Version: "7.61.1-33.el8", Arch: "x86_64"},
			"pkg:rpm/almalinux/curl@7.61.1-33.el8?arch=x86_64&distro=almalinux-8.9"},
		{"fedora noarch", OS{Family: "fedora", Version: "40"},
			Package{Type: TypeRPM, Name: "python3-pip", Version: "23.3.2-1.fc40", Arch: "noarch", SourceName: "python-pip"},
			"pkg:rpm/fedora/python3-pip@23.3.2-1.fc40?arch=noarch&distro=fedora-40&upstream=python-pip"},
		{"amazon linux", OS{Family: "amzn", Version: "2023"},
			Package{Type: TypeRPM, Name: "glibc", Version: "2.34-52.amzn2023.0.8", Arch: "x86_64"},
			"pkg:rpm/amazon/glibc@2.34-52.amzn2023.0.8?arch=x86_64&distro=amzn-2023"},
		{"rpm colon that is no epoch", OS{Family: "fedora", Version: "40"},
			Package{Type: TypeRPM, Name: "odd", Version: "x:1-1"},
			"pkg:rpm/fedora/odd@x:1-1?distro=fedora-40"},
		{"unknown os, deb", Unknown,
			Package{Type: TypeDpkg, Name: "libc6", Version: "2.36-9", Arch: "amd64"},
			"pkg:deb/debian/libc6@2.36-9?arch=amd64"},
		{"unknown os, apk", Unknown,
			Package{Type: TypeApk, Name: "musl", Version: "1.2.5-r0"},
			"pkg:apk/alpine/musl@1.2.5-r0"},
		{"unknown os, rpm", OS{},
			Package{Type: TypeRPM, Name: "bash", Version: "2:5.1-1", Arch: "x86_64"},
			"pkg:rpm/bash@5.1-1?arch=x86_64&epoch=2"},
		{"not an os package", debian, Package{Type: TypeNpm, Name: "lodash", Version: "4.17.21"}, ""},
		{"no name", debian, Package{Type: TypeDpkg, Version: "1"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := OSPURL(tt.os, tt.pkg)
			if got != tt.want {
				t.Fatalf("OSPURL() = %q, want %q", got, tt.want)
			}
			if got == "" {
				return
			}
			// The purl must parse back to the package's name, and the version without the epoch.
			u, err := packageurl.FromString(got)
			if err != nil {
				t.Fatalf("FromString(%q): %v", got, err)
			}
			if diff := cmp.Diff([]string{string(tt.pkg.Type), tt.pkg.Name}, []string{u.Type, u.Name}); diff != "" {
				t.Errorf("parsed purl (-want +got):\n%s", diff)
			}
			if v := u.Version; u.Qualifiers.Map()["epoch"] != "" {
				v = u.Qualifiers.Map()["epoch"] + ":" + v
				if v != tt.pkg.Version {
					t.Errorf("epoch:version = %q, want %q", v, tt.pkg.Version)
				}
			} else if v != tt.pkg.Version {
				t.Errorf("version = %q, want %q", v, tt.pkg.Version)
			}
		})
	}
}
