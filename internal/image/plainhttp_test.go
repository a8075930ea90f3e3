package image

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

type countingTransport struct{ calls int }

func (c *countingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	c.calls++
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody}, nil
}

// TestPlainHTTPGuard: plain HTTP goes only to loopback unless --insecure; the refused request
// never reaches the network (the next transport is not called).
func TestPlainHTTPGuard(t *testing.T) {
	tests := []struct {
		url      string
		insecure bool
		allowed  bool
	}{
		{"http://127.0.0.1:5000/v2/", false, true},
		{"http://127.8.9.10:5000/v2/", false, true},
		{"http://[::1]:5000/v2/", false, true},
		{"http://localhost:5000/v2/", false, true},
		{"http://registry.localhost/v2/", false, true},
		{"https://10.1.2.3/v2/", false, true},
		{"http://10.1.2.3:5000/v2/", false, false},
		{"http://192.168.1.10/v2/", false, false},
		{"http://172.16.0.1/token?service=x", false, false},
		{"http://registry.example.com/v2/", false, false},
		{"http://10.1.2.3:5000/v2/", true, true},
	}
	for _, tt := range tests {
		next := &countingTransport{}
		g := plainHTTPGuard{next: next, insecure: tt.insecure}
		_, err := g.RoundTrip(httptest.NewRequest(http.MethodGet, tt.url, nil))
		if got := err == nil && next.calls == 1; got != tt.allowed {
			t.Errorf("%s (insecure %v): allowed %v (err %v, calls %d), want %v", tt.url, tt.insecure, got, err, next.calls, tt.allowed)
		}
		if !tt.allowed && !errors.Is(err, ErrUnreachable) {
			t.Errorf("%s: error %v does not wrap ErrUnreachable", tt.url, err)
		}
	}
}
