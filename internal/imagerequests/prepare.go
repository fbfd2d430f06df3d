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
	// Edit asks for an edit of Image (with Mask, if not nil) and the
	// AdditionalImages after it, in order (the GPT image models take up to
	// 15 more; each needs the artifact store).
	Edit             bool
	Image, Mask      []byte
	AdditionalImages [][]byte
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
	// additional are the images after image.
	image, mask []byte
	additional  [][]byte
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
		inputs = 1 + len(r.AdditionalImages)
	}
	errs := validateParams(s.models, time.Now(), p, r.Edit, inputs)
	if len(errs) == 0 && s.artifacts == nil {
		// As the controller would refuse it, before anything is created.
		errs = append(errs, needsStore(p.Model, len(r.AdditionalImages))...)
	}
	errs = append(errs, r.Invalid...)
	if len(errs) == 0 && r.Edit {
		images := append([][]byte{r.Image}, r.AdditionalImages...)
		if ie := validateEditInputs(p.Model, images, r.Mask, s.artifacts == nil); ie != nil {
			errs = append(errs, ie)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	pr := &Prepared{caller: caller, namespace: ns, params: p, via: r.Via}
	if r.Edit {
		pr.image, pr.mask, pr.additional = r.Image, r.Mask, r.AdditionalImages
	}
	return pr, nil
}

// needsStore refuses, on an operator without an artifact store, what only
// a store can carry: the images of a base64-only model (the controller
// refuses those before any call) and additional edit images (the input
// Secret holds one image and a mask, DALL-E 2's contract).
func needsStore(model string, additional int) InputErrors {
	if m, ok := models.Lookup(model); ok && m.Output == models.OutputBase64 {
		return InputErrors{{Field: models.FieldModel, Rule: rules.ArtifactStore, Message: fmt.Sprintf(
			"%s returns images only inline (base64) and this operator runs without an artifact store to keep them; ask its administrators to configure one (--artifact-bucket), or name a model that returns URLs", m.Name)}}
	}
	if additional > 0 {
		return InputErrors{{Field: FieldAdditionalImages, Rule: rules.ArtifactStore, Message: fmt.Sprintf(
			"%d additional images need an artifact store (--artifact-bucket), and this operator has none; without one an edit takes one image and a mask", additional)}}
	}
	return nil
}
