package image

import "strings"

// isDaemonNotFound recognises the engine's "No such image" answer, which ggcr passes on as text.
func isDaemonNotFound(err error) bool {
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "no such image") || strings.Contains(s, "not found")
}
