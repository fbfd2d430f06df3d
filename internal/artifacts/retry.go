package artifacts

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// RetryPolicy bounds retries of a store write. The zero value retries for
// DefaultRetryFor, from 250 ms doubling to 10 s.
type RetryPolicy struct {
	// For is how long to keep trying, from the first try.
	For time.Duration
	// Initial and Max bound the wait between tries, which doubles, with
	// jitter, from Initial to Max.
	Initial, Max time.Duration
}

// DefaultRetryFor is how long PutResultWithRetry keeps trying by default:
// long enough to ride out a store restart, short enough that the request
// fails clearly while someone is still looking.
const DefaultRetryFor = 2 * time.Minute

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.For <= 0 {
		p.For = DefaultRetryFor
	}
	if p.Initial <= 0 {
		p.Initial = 250 * time.Millisecond
	}
	if p.Max <= 0 {
		p.Max = 10 * time.Second
	}
	if p.Max < p.Initial {
		p.Max = p.Initial
	}
	return p
}

// PutResultWithRetry is PutResult retried from memory with backoff until it
// succeeds, ctx ends, or the policy's time is spent: a store failure after a
// paid call must not throw the paid bytes away at the first error. Invalid
// arguments are not retried. The last error is returned, wrapped with the
// number of tries.
func (s *Store) PutResultWithRetry(ctx context.Context, ref Ref, attempt int32, images [][]byte, contentType string, p RetryPolicy) ([]Object, error) {
	if err := validateResultArgs(ref, attempt); err != nil {
		return nil, err
	}
	var objects []Object
	err := retry(ctx, p, func(ctx context.Context) error {
		var err error
		objects, err = s.PutResult(ctx, ref, attempt, images, contentType)
		return err
	})
	return objects, err
}

// retry calls try until it returns nil or the policy's time is spent.
func retry(ctx context.Context, p RetryPolicy, try func(context.Context) error) error {
	p = p.withDefaults()
	deadline := time.Now().Add(p.For)
	wait := p.Initial
	for tries := 1; ; tries++ {
		err := try(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("after %d tries, stopped: %w (last error: %w)", tries, context.Cause(ctx), err)
		}
		// Jitter in [wait/2, wait) keeps many managers from retrying together.
		sleep := wait/2 + rand.N(wait/2+1)
		if time.Now().Add(sleep).After(deadline) {
			return fmt.Errorf("gave up after %d tries over %s: %w", tries, p.For, err)
		}
		t := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("after %d tries, stopped: %w (last error: %w)", tries, context.Cause(ctx), err)
		case <-t.C:
		}
		wait = min(2*wait, p.Max)
	}
}
