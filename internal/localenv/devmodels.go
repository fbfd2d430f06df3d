package localenv

import (
	"github.com/imagegen/imagegen-operator/internal/manager"
	"github.com/imagegen/imagegen-operator/internal/models"
)

// SimulatorServedRetired are the retired models the bundled simulator still
// serves with its default configuration (dallesim.DefaultRetiredModels
// refuses every other retired one): dall-e-2, the reference contract.
// An operator in front of the simulator declares them with
// --serve-retired-models; one in front of api.openai.com declares none.
func SimulatorServedRetired() []string { return []string{models.DALLE2} }

// UseSimulatorModels gives opts the model policy `make dev` runs the
// operator with in front of the bundled simulator: a request that names no
// model gets the --default-model flag's default (gpt-image-2) unless a
// default is already set, and the retired models the simulator still serves
// are declared served, so dall-e-2 requests keep working. The samples test
// runs the operator the same way.
func UseSimulatorModels(opts *manager.Options) {
	if opts.DefaultModel == "" {
		opts.DefaultModel = models.ConfiguredDefaultModel
	}
	opts.ServeRetiredModels = SimulatorServedRetired()
}
