package mask

import (
	"context"
	"fmt"
	"log/slog"
)

// Handler wraps h so that every record it handles has its secrets masked: the message, string
// attributes, errors and other values printed with %v (their text is masked, and they are
// handed on as strings), inside groups too, and the attributes given to WithAttrs.
func Handler(h slog.Handler) slog.Handler {
	if _, ok := h.(*handler); ok {
		return h
	}
	return &handler{h: h}
}

type handler struct{ h slog.Handler }

func (m *handler) Enabled(ctx context.Context, l slog.Level) bool { return m.h.Enabled(ctx, l) }

func (m *handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, String(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(attr(a))
		return true
	})
	return m.h.Handle(ctx, out)
}

func (m *handler) WithAttrs(as []slog.Attr) slog.Handler {
	masked := make([]slog.Attr, len(as))
	for i, a := range as {
		masked[i] = attr(a)
	}
	return &handler{h: m.h.WithAttrs(masked)}
}

func (m *handler) WithGroup(name string) slog.Handler {
	return &handler{h: m.h.WithGroup(String(name))}
}

// attr masks one attribute: its key and, for strings, errors, Stringers and other values printed
// as text, its value.
func attr(a slog.Attr) slog.Attr {
	a.Key = String(a.Key)
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(String(v.String()))
	case slog.KindGroup:
		g := v.Group()
		out := make([]slog.Attr, len(g))
		for i, x := range g {
			out[i] = attr(x)
		}
		a.Value = slog.GroupValue(out...)
	case slog.KindAny:
		// Errors, Stringers, slices, structs: what a text or JSON handler would print, masked.
		switch x := v.Any().(type) {
		case error:
			a.Value = slog.StringValue(String(x.Error()))
		case fmt.Stringer:
			a.Value = slog.StringValue(String(x.String()))
		default:
			a.Value = slog.StringValue(String(fmt.Sprintf("%+v", x)))
		}
	default:
		a.Value = v
	}
	return a
}
