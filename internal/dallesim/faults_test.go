package dallesim_test

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/imagegen/imagegen-operator/internal/dallesim"
)

func TestAnsweringFaults(t *testing.T) {
	t.Parallel()
	srv, _, client := start(t, dallesim.Config{})
	tests := []struct {
		fault      dallesim.Fault
		status     int
		typ, code  string
		retryAfter string
	}{
		{dallesim.Fault{Kind: dallesim.FaultRateLimit, RetryAfterSeconds: 7}, 429, "requests", "rate_limit_exceeded", "7"},
		{dallesim.Fault{Kind: dallesim.FaultRateLimit}, 429, "requests", "rate_limit_exceeded", "1"},
		{dallesim.Fault{Kind: dallesim.FaultInsufficientQuota}, 429, "insufficient_quota", "insufficient_quota", ""},
		{dallesim.Fault{Kind: dallesim.FaultBillingHardLimit}, 400, "invalid_request_error", "billing_hard_limit_reached", ""},
		{dallesim.Fault{Kind: dallesim.FaultServerError}, 500, "server_error", "", ""},
		{dallesim.Fault{Kind: dallesim.FaultOverloaded}, 503, "server_error", "", ""},
	}
	for _, tc := range tests {
		t.Run(string(tc.fault.Kind)+tc.retryAfter, func(t *testing.T) {
			prompt := "fault " + string(tc.fault.Kind) + tc.retryAfter
			tc.fault.Match = prompt
			if err := srv.AddFault(tc.fault); err != nil {
				t.Fatal(err)
			}
			_, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: prompt, Size: "256x256"})
			e := asAPIError(t, err, tc.status, tc.typ, tc.code, "")
			if got := e.Response.Header.Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tc.retryAfter)
			}
			// The fault was consumed: the next call succeeds, and only it is billable.
			if _, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: prompt, Size: "256x256"}); err != nil {
				t.Fatalf("call after the fault: %v", err)
			}
			calls := srv.CallsForPrompt(prompt)
			if len(calls) != 2 || calls[0].Fault != tc.fault.Kind || calls[0].Billable || calls[0].Status != tc.status || !calls[1].Billable {
				t.Errorf("calls = %+v", calls)
			}
		})
	}
}

func TestFaultsAreConsumedInOrderAndScoped(t *testing.T) {
	t.Parallel()
	srv, _, client := start(t, dallesim.Config{})
	if err := srv.AddFault(
		dallesim.Fault{Kind: dallesim.FaultServerError, Match: "alpha"},
		dallesim.Fault{Kind: dallesim.FaultOverloaded, Match: "beta"},
		dallesim.Fault{Kind: dallesim.FaultBillingHardLimit, Match: "alpha"},
	); err != nil {
		t.Fatal(err)
	}
	gen := func(prompt string) error {
		_, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: prompt, Size: "256x256"})
		return err
	}
	if err := gen("unrelated"); err != nil {
		t.Fatalf("an unmatched prompt consumed a fault: %v", err)
	}
	wantAPIError(t, gen("alpha one"), 500, "server_error", "", "")
	wantAPIError(t, gen("alpha two"), 400, "invalid_request_error", "billing_hard_limit_reached", "")
	if err := gen("alpha three"); err != nil {
		t.Fatalf("alpha's faults should be used up: %v", err)
	}
	// A request rejected by validation does not consume a fault.
	_, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: "beta", N: openai.Int(0)})
	wantAPIError(t, err, 400, "invalid_request_error", "integer_below_min_value", "n")
	wantAPIError(t, gen("beta"), 503, "server_error", "", "")
	if n := len(srv.PendingFaults()); n != 0 {
		t.Errorf("%d faults left", n)
	}
	if got := srv.Stats().FaultsInjected; got != 3 {
		t.Errorf("FaultsInjected = %d, want 3", got)
	}

	if err := srv.AddFault(dallesim.Fault{Kind: "meteor"}); err == nil {
		t.Error("AddFault accepted an unknown kind")
	}
	_ = srv.AddFault(dallesim.Fault{Kind: dallesim.FaultServerError})
	srv.ClearFaults()
	if err := gen("after clear"); err != nil {
		t.Fatalf("ClearFaults left a fault: %v", err)
	}
}

func TestSDKRetriesScriptedRateLimit(t *testing.T) {
	t.Parallel()
	srv, ts, _ := start(t, dallesim.Config{})
	client := newClient(ts, option.WithMaxRetries(2))
	_ = srv.AddFault(dallesim.Fault{Kind: dallesim.FaultRateLimit, Match: "retry me", RetryAfterSeconds: 1})
	begin := time.Now()
	if _, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: "retry me", Size: "256x256"}); err != nil {
		t.Fatalf("Generate with retries: %v", err)
	}
	if time.Since(begin) < 900*time.Millisecond {
		t.Errorf("the SDK did not honour Retry-After: %v", time.Since(begin))
	}
	calls := srv.CallsForPrompt("retry me")
	if len(calls) != 2 || calls[0].Status != 429 || calls[1].Status != 200 {
		t.Fatalf("calls = %+v, want a 429 then a 200", calls)
	}
	if srv.BillableImagesForPrompt("retry me") != 1 {
		t.Errorf("billable images = %d, want 1", srv.BillableImagesForPrompt("retry me"))
	}
}

func TestConnectionResetFault(t *testing.T) {
	t.Parallel()
	srv, _, client := start(t, dallesim.Config{})
	_ = srv.AddFault(dallesim.Fault{Kind: dallesim.FaultConnectionReset, Match: "reset"})
	_, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: "reset", Size: "256x256"})
	var apiErr *openai.Error
	if err == nil || errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want a transport error", err)
	}
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("transport error is %v, want a connection reset (SO_LINGER 0)", err)
	}
	calls := srv.CallsForPrompt("reset")
	if len(calls) != 1 || !calls[0].ConnectionReset || calls[0].Status != 0 || calls[0].Billable {
		t.Errorf("calls = %+v", calls)
	}
	// The server keeps serving.
	if _, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: "reset", Size: "256x256"}); err != nil {
		t.Fatalf("after reset: %v", err)
	}
}

func TestHangFault(t *testing.T) {
	t.Parallel()
	srv, _, client := start(t, dallesim.Config{})
	gen := func(ctx context.Context, prompt string) error {
		_, err := client.Images.Generate(ctx, openai.ImageGenerateParams{Prompt: prompt, Size: "256x256"})
		return err
	}

	t.Run("until the client gives up", func(t *testing.T) {
		_ = srv.AddFault(dallesim.Fault{Kind: dallesim.FaultHang, Match: "hang forever"})
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancel()
		begin := time.Now()
		err := gen(ctx, "hang forever")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want the client's deadline", err)
		}
		if d := time.Since(begin); d < 150*time.Millisecond || d > 5*time.Second {
			t.Errorf("returned after %v", d)
		}
	})
	t.Run("then answer", func(t *testing.T) {
		_ = srv.AddFault(dallesim.Fault{Kind: dallesim.FaultHang, Match: "hang answer", Duration: 200 * time.Millisecond})
		begin := time.Now()
		if err := gen(context.Background(), "hang answer"); err != nil {
			t.Fatalf("Generate: %v", err)
		}
		if d := time.Since(begin); d < 200*time.Millisecond {
			t.Errorf("answered after %v, want ≥ 200ms", d)
		}
		if calls := srv.CallsForPrompt("hang answer"); len(calls) != 1 || !calls[0].Billable {
			t.Errorf("calls = %+v", calls)
		}
	})
	t.Run("then close", func(t *testing.T) {
		_ = srv.AddFault(dallesim.Fault{Kind: dallesim.FaultHang, Match: "hang close", Duration: 100 * time.Millisecond, AfterHang: dallesim.HangThenClose})
		err := gen(context.Background(), "hang close")
		var apiErr *openai.Error
		if err == nil || errors.As(err, &apiErr) {
			t.Fatalf("err = %v, want a transport error", err)
		}
	})
	t.Run("client timeout option", func(t *testing.T) {
		_ = srv.AddFault(dallesim.Fault{Kind: dallesim.FaultHang, Match: "hang timeout"})
		_, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: "hang timeout"},
			option.WithRequestTimeout(100*time.Millisecond))
		if err == nil {
			t.Fatal("a hung request returned")
		}
	})
	// Hung calls the client abandoned are logged as such and not billed.
	deadline := time.Now().Add(5 * time.Second)
	for len(srv.CallsForPrompt("hang forever")) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if calls := srv.CallsForPrompt("hang forever"); len(calls) != 1 || calls[0].Status != dallesim.StatusClientClosedRequest || calls[0].Billable {
		t.Errorf("calls = %+v", calls)
	}
}

func TestCloseReleasesHangingRequests(t *testing.T) {
	t.Parallel()
	srv, _, client := start(t, dallesim.Config{})
	_ = srv.AddFault(dallesim.Fault{Kind: dallesim.FaultHang, Match: "held"})
	done := make(chan error, 1)
	go func() {
		_, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: "held"})
		done <- err
	}()
	deadline := time.Now().Add(5 * time.Second)
	for srv.Stats().FaultsInjected == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	srv.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a released hang answered with images")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not release the hanging request")
	}
}
