package controllers

import (
	"fmt"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/models"
	"github.com/imagegen/imagegen-operator/internal/upstream"
)

// upstreamRequest is the call of one attempt: the resolved spec, the
// options the spec gives (each omitted when unset, so the model's default
// applies and a dall-e-2 call is sent as before they existed), and the
// edit's inputs. resolveSpec has checked every value against the model.
func (r *ImageRequestReconciler) upstreamRequest(ir *imagesv1alpha1.ImageRequest, req resolvedSpec, attempt int32, in editInputs) upstream.Request {
	spec := ir.Spec
	call := upstream.Request{
		Model:             req.model.Name,
		Prompt:            spec.Prompt,
		N:                 req.n,
		Size:              req.size,
		ClientRequestID:   fmt.Sprintf("%s/%d", ir.UID, attempt),
		Images:            in.images,
		Mask:              in.mask,
		Quality:           spec.Quality,
		Background:        spec.Background,
		OutputFormat:      spec.OutputFormat,
		OutputCompression: intPtr(spec.OutputCompression),
		Moderation:        spec.Moderation,
	}
	if req.model.SafetyIdentifier {
		// safety_identifier replaced user for the GPT image models.
		call.SafetyIdentifier = spec.User
	} else {
		call.User = spec.User
	}
	if req.model.Output == models.OutputBase64 {
		// The model answers in base64 only and refuses response_format.
		call.OmitResponseFormat = true
	} else {
		call.ResponseFormat = r.responseFormat()
	}
	return call
}

// intPtr converts an optional spec integer to the upstream's.
func intPtr(v *int32) *int {
	if v == nil {
		return nil
	}
	i := int(*v)
	return &i
}
