package vulndb

import (
	"encoding/json"
	"io"
	"strings"
	"testing"
)

// TestWindowReaderBoundsOneValue: one JSON value larger than the window fails the decode
// instead of being buffered whole; values under it, one after another, are fine.
func TestWindowReaderBoundsOneValue(t *testing.T) {
	big := `["` + strings.Repeat("a", 1<<16) + `"]`
	win := &windowReader{r: strings.NewReader(big), max: 1 << 12}
	var v any
	if err := json.NewDecoder(win).Decode(&v); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("a 64 KiB value through a 4 KiB window: %v, want an error", err)
	}
	small := strings.Repeat(`{"a":"`+strings.Repeat("b", 1000)+`"}`, 100)
	win = &windowReader{r: strings.NewReader(small), max: 1 << 12}
	dec := json.NewDecoder(win)
	for i := 0; ; i++ {
		win.reset()
		if err := dec.Decode(&v); err == io.EOF {
			if i != 100 {
				t.Errorf("%d values, want 100", i)
			}
			break
		} else if err != nil {
			t.Fatalf("value %d: %v", i, err)
		}
	}
}
