package httpx

import (
	"context"
	"log/slog"
)

// RequestLogger returns log with a handler that puts the request id on every
// line logged with a request's context (log.InfoContext(r.Context(), …)):
// handler lines share the access-log line's request_id, in any format. A
// line that names request_id itself keeps its own. log is returned as is when
// it already does this, or is nil.
func RequestLogger(log *slog.Logger) *slog.Logger {
	if log == nil {
		return nil
	}
	if _, ok := log.Handler().(requestIDHandler); ok {
		return log
	}
	return slog.New(requestIDHandler{log.Handler()})
}

// requestIDHandler adds request_id, first after the message, to records
// logged with a context that holds the Log middleware's Info.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	i, ok := ctx.Value(infoKey{}).(*Info)
	if !ok || i.ID == "" || hasRequestID(r) {
		return h.Handler.Handle(ctx, r)
	}
	nr := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	nr.AddAttrs(slog.String("request_id", i.ID))
	r.Attrs(func(a slog.Attr) bool {
		nr.AddAttrs(a)
		return true
	})
	return h.Handler.Handle(ctx, nr)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// hasRequestID reports whether r names request_id itself.
func hasRequestID(r slog.Record) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		found = a.Key == "request_id"
		return !found
	})
	return found
}
