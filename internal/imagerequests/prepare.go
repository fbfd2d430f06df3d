package imagerequests

import (
	"context"
	"fmt"
	"time"

	"github.com/imagegen/imagegen-operator/internal/models"
	"github.com/imagegen/imagegen-operator/internal/rules"
)

// Request is one ImageRequest a caller asks for, as the adapter decoded it.
type Request struct {
	// Via is recorded in the requested-via annotation, e.g. "mcp/generate_image".
	Via string
	// Namespace is the one the call named, "" for the caller's default.
	Namespace string
	Params    Params
	// Edit asks for an edit of Image (with Mask, if not nil).
	Edit        bool
	Image, Mask []byte
	// Invalid are the rules the adapter found broken while decoding the
	// inputs (an MCP upload that is not base64, say). They are reported
	// after the parameters' and stop the edit inputs from being checked.
	Invalid InputErrors
}

// Prepared is a Request that passed every check, ready for Create.
type Prepared struct {
	caller    *Caller
	namespace string
	params    Params
	via       string
	// image and mask are an edit's inputs; image nil means Generate.
	image, mask []byte
}

// Namespace is where the request will be created.
func (p *Prepared) Namespace() string { return p.namespace }

// Prepare resolves the namespace, authorises the caller and checks every
// rule of r. Nothing is created here: an error (InputErrors, a
// *ForbiddenError, or one the Authorizer could not decide) means nothing
// will be.
func (s *Service) Prepare(ctx context.Context, caller *Caller, r Request) (*Prepared, error) {
	ns, err := s.ResolveNamespace(caller, r.Namespace)
	if err != nil {
		return nil, err
	}
	if err := s.Authorize(ctx, caller, "create", ns, ""); err != nil {
		return nil, err
	}
	p := r.Params.withDefaults(s.models)
	inputs := 0
	if r.Edit {
		inputs = 1
	}
	errs := validateParams(s.models, time.Now(), p, r.Edit, inputs)
	if m, ok := models.Lookup(p.Model); ok && len(errs) == 0 && m.Output == models.OutputBase64 && s.artifacts == nil {
		// As the controller would refuse it, before anything is created.
		errs = append(errs, &InputError{Field: models.FieldModel, Rule: rules.ArtifactStore, Message: fmt.Sprintf(
			"%s returns images only inline (base64) and this operator runs without an artifact store to keep them; ask its administrators to configure one (--artifact-bucket), or name a model that returns URLs", m.Name)})
	}
	errs = append(errs, r.Invalid...)
	if len(errs) == 0 && r.Edit {
		if ie := validateEditInputs(p.Model, r.Image, r.Mask, s.artifacts == nil); ie != nil {
			errs = append(errs, ie)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	pr := &Prepared{caller: caller, namespace: ns, params: p, via: r.Via}
	if r.Edit {
		pr.image, pr.mask = r.Image, r.Mask
	}
	return pr, nil
}
