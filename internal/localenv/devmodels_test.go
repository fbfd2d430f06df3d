package localenv

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/imagegen/imagegen-operator/internal/dallesim"
	"github.com/imagegen/imagegen-operator/internal/manager"
	"github.com/imagegen/imagegen-operator/internal/models"
)

// TestSimulatorModelsMatchSimulator: the policy `make dev` gives the
// operator offers exactly the models the bundled simulator serves with its
// default configuration, on the simulator's "today". A model the operator
// offers but the simulator refuses would fail at the upstream
// (ModelUnavailable) instead of before the call; one the simulator serves
// but the operator refuses would make dev stricter than it needs to be.
func TestSimulatorModelsMatchSimulator(t *testing.T) {
	var opts manager.Options
	UseSimulatorModels(&opts)
	if opts.DefaultModel != models.ConfiguredDefaultModel {
		t.Errorf("default model %q, want the --default-model default %q", opts.DefaultModel, models.ConfiguredDefaultModel)
	}
	policy, err := models.NewPolicy(opts.DefaultModel, opts.ServeRetiredModels)
	if err != nil {
		t.Fatalf("the dev policy is refused at start-up: %v", err)
	}
	today, err := time.Parse(time.DateOnly, dallesim.RetiredToday)
	if err != nil {
		t.Fatal(err)
	}

	sim := httptest.NewServer(dallesim.New(dallesim.Config{}))
	t.Cleanup(sim.Close)
	for _, name := range models.AllNames() {
		offered := policy.Available(name, today) == nil
		served := simulatorServes(t, sim.URL, name)
		if offered != served {
			t.Errorf("%s: the dev operator offers it: %v, the simulator serves it: %v", name, offered, served)
		}
	}
	if fe := policy.Available("", today); fe != nil {
		t.Errorf("a request naming no model is refused: %v", fe)
	}
}

// simulatorServes reports whether a minimal generation for model succeeds
// (200) or is answered model_not_found (404); anything else fails the test.
func simulatorServes(t *testing.T, base, model string) bool {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"model": model, "prompt": "a lighthouse"})
	req, err := http.NewRequest(http.MethodPost, base+"/v1/images/generations", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer sk-test")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&answer)
	switch {
	case resp.StatusCode == http.StatusOK:
		return true
	case resp.StatusCode == http.StatusNotFound && answer.Error.Code == "model_not_found":
		return false
	}
	t.Fatalf("%s: simulator answered %d %q, want 200 or 404 model_not_found", model, resp.StatusCode, answer.Error.Code)
	return false
}
