package mcp

import (
	"context"
	"errors"
	"fmt"
	"time"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"
	"k8s.io/klog/v2"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/imagerequests"
)

func (s *server) generateImage(ctx context.Context, req *sdkmcp.CallToolRequest, in GenerateInput) (*sdkmcp.CallToolResult, *ImageRequestOutput, error) {
	return s.createTool(ctx, req, ToolGenerateImage, createArgs{
		params: imagerequests.Params{Prompt: in.Prompt, N: in.N, Size: in.Size, Model: in.Model, Quality: in.Quality, Background: in.Background,
			OutputFormat: in.OutputFormat, OutputCompression: in.OutputCompression, Moderation: in.Moderation},
		namespace:   in.Namespace,
		waitSeconds: in.WaitSeconds,
		preview:     in.IncludePreview,
	})
}

func (s *server) editImage(ctx context.Context, req *sdkmcp.CallToolRequest, in EditInput) (*sdkmcp.CallToolResult, *ImageRequestOutput, error) {
	args := createArgs{
		params: imagerequests.Params{Prompt: in.Prompt, N: in.N, Size: in.Size, Model: in.Model, Quality: in.Quality, Background: in.Background,
			OutputFormat: in.OutputFormat, OutputCompression: in.OutputCompression, Moderation: in.Moderation},
		namespace:     in.Namespace,
		waitSeconds:   in.WaitSeconds,
		preview:       in.IncludePreview,
		edit:          true,
		imageB64:      in.Image,
		maskB64:       in.Mask,
		additionalB64: in.AdditionalImages,
	}
	return s.createTool(ctx, req, ToolEditImage, args)
}

// createArgs are a creating tool's arguments, decoded.
type createArgs struct {
	params      imagerequests.Params
	namespace   string
	waitSeconds int
	preview     bool
	edit        bool
	// imageB64, maskB64 and additionalB64 are an edit's inputs as sent
	// ("" mask: none).
	imageB64, maskB64 string
	additionalB64     []string
}

// request decodes an edit's inputs (a generate has none) into the
// service's request; what does not decode is passed on as its Invalid.
func (a createArgs) request(tool string) imagerequests.Request {
	r := imagerequests.Request{Via: "mcp/" + tool, Namespace: a.namespace, Params: a.params, Edit: a.edit}
	if !a.edit {
		return r
	}
	var ierr *imagerequests.InputError
	if r.Image, ierr = decodeBase64("image", a.imageB64); ierr != nil {
		r.Invalid = append(r.Invalid, ierr)
	}
	for i, b64 := range a.additionalB64 {
		data, ierr := decodeBase64(imagerequests.AdditionalImageField(i), b64)
		if ierr != nil {
			r.Invalid = append(r.Invalid, ierr)
		}
		r.AdditionalImages = append(r.AdditionalImages, data)
	}
	if a.maskB64 != "" {
		if r.Mask, ierr = decodeBase64("mask", a.maskB64); ierr != nil {
			r.Invalid = append(r.Invalid, ierr)
		}
	}
	return r
}

// createTool is generate_image and edit_image: check everything, create,
// wait, answer. callsMiddleware counts and logs how it ended.
func (s *server) createTool(ctx context.Context, req *sdkmcp.CallToolRequest, tool string, args createArgs) (*sdkmcp.CallToolResult, *ImageRequestOutput, error) {
	caller := imagerequests.CallerFrom(ctx)
	cr, err := s.svc.Prepare(ctx, caller, args.request(tool))
	if err != nil {
		return nil, nil, err
	}
	ir, err := s.svc.Create(ctx, cr)
	if err != nil {
		return nil, nil, err
	}
	log := s.log.WithValues("tool", tool, "user", caller.Name(), "imagerequest", klog.KObj(ir))
	log.Info("created ImageRequest", "operation", ir.Spec.Operation, "n", ir.Spec.N, "size", ir.Spec.Size, "promptChars", len(ir.Spec.Prompt))

	wait := time.Duration(args.waitSeconds) * time.Second
	progress := newProgressReporter(ctx, req, wait, func(err error) { log.V(1).Info("sending progress failed", "error", err.Error()) })
	var report imagerequests.Reporter
	if progress != nil {
		report = progress.report
	}
	start := time.Now()
	outcome, err := s.svc.Await(ctx, ir, wait, report)
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, imagerequests.ErrCallerGone) {
			log.Info("caller went away; the ImageRequest carries on", "phase", outcome.Request.Status.Phase)
			return nil, nil, &pendingError{fmt.Errorf("the call was cancelled, but ImageRequest %s/%s carries on: follow it with get_image_request", ir.Namespace, ir.Name)}
		}
		return nil, nil, &pendingError{err}
	}
	final := outcome.Request
	res := &sdkmcp.CallToolResult{Content: []sdkmcp.Content{
		&sdkmcp.TextContent{Text: summaryText(final, time.Since(start))},
		resourceLink(final, req.ProtocolVersion()),
	}}
	switch final.Status.Phase {
	case imagesv1alpha1.PhaseSucceeded:
		res.Content = append(res.Content, imageLinks(final)...)
		if args.preview {
			res.Content = append(res.Content, s.previews(ctx, final)...)
		}
	case imagesv1alpha1.PhaseFailed:
		res.IsError = true
	}
	return res, outputOf(final), nil
}
