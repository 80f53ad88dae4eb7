// Package plog sends a Go service's log/slog records to the parigot host (parigot:log/log),
// which prints them with the service's name and the call's trace id.
//
//	func init() { plog.Install() }
//	...
//	slog.Info("greeting built", "name", name, "excitement", n)
//
// Attributes become structured fields (groups as dotted keys); slog.LevelDebug-4 and below
// are trace. A service using this package includes parigot:sdk/imports@0.1.0 in its world.
package plog

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"time"

	wit "wit_component/parigot_log_log"
)

// LevelTrace is the slog level of parigot's trace lines.
const LevelTrace = slog.LevelDebug - 4

// Install makes a [Handler] the default of log/slog (and so of the log package too).
func Install() { slog.SetDefault(slog.New(Handler{})) }

// Handler is a slog.Handler that writes to the host.
type Handler struct {
	attrs  []wit.Field
	prefix string
}

func level(l slog.Level) wit.Level {
	switch {
	case l <= LevelTrace:
		return wit.Level_Trace
	case l < slog.LevelInfo:
		return wit.Level_Debug
	case l < slog.LevelWarn:
		return wit.Level_Info
	case l < slog.LevelError:
		return wit.Level_Warn
	default:
		return wit.Level_Error
	}
}

// Enabled asks the host whether the service's level keeps lines at l.
func (h Handler) Enabled(_ context.Context, l slog.Level) bool { return wit.Enabled(level(l)) }

// Handle sends one record, with the handler's attributes and the record's.
func (h Handler) Handle(_ context.Context, record slog.Record) error {
	fields := append([]wit.Field(nil), h.attrs...)
	record.Attrs(func(attr slog.Attr) bool {
		fields = appendAttr(fields, h.prefix, attr)
		return true
	})
	wit.Log(level(record.Level), record.Message, fields)
	return nil
}

// WithAttrs returns a handler that adds attrs to every record.
func (h Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	next := Handler{attrs: append([]wit.Field(nil), h.attrs...), prefix: h.prefix}
	for _, attr := range attrs {
		next.attrs = appendAttr(next.attrs, h.prefix, attr)
	}
	return next
}

// WithGroup returns a handler whose later attributes are keyed "name.key".
func (h Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return Handler{attrs: h.attrs, prefix: h.prefix + name + "."}
}

func appendAttr(fields []wit.Field, prefix string, attr slog.Attr) []wit.Field {
	value := attr.Value.Resolve()
	if value.Kind() == slog.KindGroup {
		inner := prefix
		if attr.Key != "" {
			inner = prefix + attr.Key + "."
		}
		for _, member := range value.Group() {
			fields = appendAttr(fields, inner, member)
		}
		return fields
	}
	if attr.Equal(slog.Attr{}) {
		return fields
	}
	return append(fields, wit.Field{Key: prefix + attr.Key, Value: fieldValue(value)})
}

func fieldValue(value slog.Value) wit.Value {
	switch value.Kind() {
	case slog.KindString:
		return wit.MakeValueText(value.String())
	case slog.KindInt64:
		return wit.MakeValueInteger(value.Int64())
	case slog.KindUint64:
		return wit.MakeValueInteger(int64(min(value.Uint64(), math.MaxInt64)))
	case slog.KindFloat64:
		return wit.MakeValueReal(value.Float64())
	case slog.KindBool:
		return wit.MakeValueBoolean(value.Bool())
	case slog.KindDuration:
		return wit.MakeValueText(value.Duration().String())
	case slog.KindTime:
		return wit.MakeValueText(value.Time().Format(time.RFC3339Nano))
	default:
		return wit.MakeValueText(fmt.Sprint(value.Any()))
	}
}
