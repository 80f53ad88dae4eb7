// Package pctx gives a Go service of parigot the per-call context (parigot:context/pctx): what
// the call under way carries from its caller (request id, W3C trace context, deadline, user,
// baggage), without the service passing anything by hand.
//
// [Current] reads it; [Background] turns it into a standard [context.Context] with the call's
// deadline, for code that takes one; [SetBaggage] hands baggage to the calls the service makes;
// [RequireUser] refuses a caller who did not log in.
//
// A service using this package includes parigot:sdk/imports@0.1.0 in its world.
package pctx

import (
	"context"
	"errors"
	"fmt"
	"time"

	wit "wit_component/parigot_context_pctx"
)

// Context is the context of the call under way.
type Context struct {
	// RequestID identifies the request that started the chain.
	RequestID string
	// TraceID is the W3C trace id (32 hex digits), the same at every hop.
	TraceID string
	// SpanID is this call's W3C span id (16 hex digits).
	SpanID string
	// ParentSpanID is the span of the call that made this one ("" at the start of a trace).
	ParentSpanID string
	// Sampled is the W3C sampled flag.
	Sampled bool
	// Deadline is when the call must be done; zero when it has none.
	Deadline time.Time
	// User is the authenticated user the chain runs as ("" when logged out).
	User string
	// Baggage holds the W3C baggage, in the order its members were added.
	Baggage []Member
}

// Member is one baggage member.
type Member struct {
	Key, Value string
}

// LoggedIn reports whether the chain runs as an authenticated user.
func (c Context) LoggedIn() bool { return c.User != "" }

// BaggageValue returns the value of baggage member key, and whether it is there.
func (c Context) BaggageValue(key string) (string, bool) {
	for _, member := range c.Baggage {
		if member.Key == key {
			return member.Value, true
		}
	}
	return "", false
}

// Current returns the context of the call under way.
func Current() Context {
	raw := wit.Current()
	ctx := Context{
		RequestID:    raw.RequestId,
		TraceID:      raw.TraceId,
		SpanID:       raw.SpanId,
		ParentSpanID: raw.ParentSpanId.SomeOr(""),
		Sampled:      raw.Sampled,
		User:         raw.User.SomeOr(""),
	}
	if raw.TimeLeftMs.IsSome() {
		ctx.Deadline = time.Now().Add(time.Duration(raw.TimeLeftMs.Some()) * time.Millisecond)
	}
	for _, member := range raw.Baggage {
		ctx.Baggage = append(ctx.Baggage, Member{Key: member.F0, Value: member.F1})
	}
	return ctx
}

type key struct{}

// Background returns a standard context for the call under way: it ends at the call's
// deadline, and [From] finds the parigot context in it. Call cancel when done with it.
func Background() (ctx context.Context, cancel context.CancelFunc) {
	current := Current()
	ctx = context.WithValue(context.Background(), key{}, current)
	if current.Deadline.IsZero() {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, current.Deadline)
}

// From returns the parigot context that [Background] put in ctx.
func From(ctx context.Context) (Context, bool) {
	current, ok := ctx.Value(key{}).(Context)
	return current, ok
}

// ErrLoginRequired means the caller did not log in, and the service serves logged-in callers
// only.
var ErrLoginRequired = errors.New("pctx: this call needs a logged-in user")

// RequireUser returns the user the chain runs as, for a service that serves logged-in callers
// only. When the caller did not log in it returns [ErrLoginRequired], and the request that
// started the chain is answered as unauthenticated (gRPC UNAUTHENTICATED, Connect 401)
// whatever the service returns: return early.
func RequireUser() (string, error) {
	user := wit.RequireUser()
	if user.IsNone() {
		return "", ErrLoginRequired
	}
	return user.Some(), nil
}

// ErrBaggageTooLarge means the baggage would be over W3C's limits (180 members, 8192 bytes).
var ErrBaggageTooLarge = errors.New("pctx: the baggage would be over W3C's limits (180 members, 8192 bytes)")

// InvalidKeyError means a baggage key is not a W3C token.
type InvalidKeyError struct{ Key string }

func (e *InvalidKeyError) Error() string {
	return fmt.Sprintf("pctx: baggage key %q is not a W3C token", e.Key)
}

// SetBaggage adds key=value to the baggage of the call under way: every call the service
// makes for the rest of it carries the pair.
func SetBaggage(key, value string) error {
	result := wit.SetBaggage(key, value)
	if !result.IsErr() {
		return nil
	}
	failure := result.Err()
	if failure.Tag() == wit.BaggageError_InvalidKey {
		return &InvalidKeyError{Key: failure.InvalidKey()}
	}
	return ErrBaggageTooLarge
}

// RemoveBaggage removes key from the baggage of the call under way.
func RemoveBaggage(key string) { wit.RemoveBaggage(key) }
