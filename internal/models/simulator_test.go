package models_test

import (
	"testing"

	"github.com/imagegen/imagegen-operator/internal/dallesim"
	"github.com/imagegen/imagegen-operator/internal/models"
)

// TestDALLE2InputLimitsMatchSimulator: the registry's edit-input limits are
// the ones the DALL-E 2 simulator (the reference contract) enforces, so an
// input the operator passes is never one the upstream refuses for its size.
func TestDALLE2InputLimitsMatchSimulator(t *testing.T) {
	m, ok := models.Lookup(models.DALLE2)
	if !ok {
		t.Fatal("dall-e-2 is not registered")
	}
	if m.MaxInputSide != dallesim.MaxUploadDimension {
		t.Errorf("MaxInputSide = %d, simulator allows %d", m.MaxInputSide, dallesim.MaxUploadDimension)
	}
	if m.MaxInputBytes != dallesim.MaxUploadBytes {
		t.Errorf("MaxInputBytes = %d, simulator allows less than %d", m.MaxInputBytes, dallesim.MaxUploadBytes)
	}
}
