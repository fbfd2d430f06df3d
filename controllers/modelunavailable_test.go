package controllers_test

import (
	"strings"
	"testing"
	"time"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/dallesim"
	"github.com/imagegen/imagegen-operator/internal/manager"
	"github.com/imagegen/imagegen-operator/internal/models"
)

// TestModelUnavailableFailsWithoutRetry: against the API as it is today
// (dall-e-2 retired: 404 model_not_found) a dall-e-2 request fails with
// ModelUnavailable, naming the model and the models the operator offers,
// after exactly one upstream call: a retry could only be refused again.
func TestModelUnavailableFailsWithoutRetry(t *testing.T) {
	begin(t)
	retired, err := dallesim.ParseRetiredModels("today")
	if err != nil {
		t.Fatal(err)
	}
	today, ts := dallesim.NewTestServer(t, dallesim.Config{RetiredModels: retired})
	runManagerThrough(t, nil, nil, func(o *manager.Options) { o.OpenAIBaseURL = ts.URL + "/v1/" })

	created := createRequest(t, "model-unavailable", imagesv1alpha1.ImageRequestSpec{Prompt: "a retired model", Size: "256x256"})
	ir := waitTerminal(t, created)
	st := ir.Status
	if st.Phase != imagesv1alpha1.PhaseFailed || st.Reason != imagesv1alpha1.ReasonModelUnavailable {
		t.Fatalf("phase/reason = %s/%s (%s), want Failed/ModelUnavailable", st.Phase, st.Reason, st.Message)
	}
	for _, want := range append([]string{`"dall-e-2"`, "model_not_found"}, models.Policy{}.Offered(time.Now())...) {
		if !strings.Contains(st.Message, want) {
			t.Fatalf("message %q does not mention %s", st.Message, want)
		}
	}
	if st.Attempts != 1 || st.LastFailure == nil || st.LastFailure.Code != "model_not_found" || st.LastFailure.HTTPStatus != 404 {
		t.Fatalf("attempts = %d, lastFailure = %+v; want 1 attempt failed with 404 model_not_found", st.Attempts, st.LastFailure)
	}
	// Longer than several retry backoffs: no second call may come.
	time.Sleep(5 * retryBaseDelay)
	if calls := today.Calls(); len(calls) != 1 || calls[0].ErrorCode != "model_not_found" {
		t.Fatalf("upstream calls = %+v, want exactly one, answered model_not_found", calls)
	}
	if n := len(sim.CallsForPrompt("a retired model")); n != 0 {
		t.Fatalf("the suite's simulator got %d calls; the test manager must call the retiring one", n)
	}
}
