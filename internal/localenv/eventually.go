package localenv

import (
	"testing"
	"time"
)

// Timeout is how long an integration test waits for the operator to do
// something (a phase, a call, a lease). One value for every suite, long
// enough for a slow hour of a 2-core machine.
const Timeout = 30 * time.Second

// pollInterval is how often Eventually checks.
const pollInterval = 20 * time.Millisecond

// Eventually polls cond until it holds and fails t, naming what it waited
// for, once Timeout has passed. state, if not nil, describes what was last
// seen, for the failure message.
func Eventually(t testing.TB, what string, cond func() bool, state ...func() string) {
	t.Helper()
	EventuallyWithin(t, Timeout, what, cond, state...)
}

// EventuallyWithin is Eventually with another deadline, for the few waits
// that are meant to be longer (a drain, an unreachable timeout).
func EventuallyWithin(t testing.TB, timeout time.Duration, what string, cond func() bool, state ...func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			msg := "timed out after " + timeout.String() + " waiting for " + what
			for _, s := range state {
				msg += "; " + s()
			}
			t.Fatal(msg)
		}
		time.Sleep(pollInterval)
	}
}
