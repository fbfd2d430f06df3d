package mcp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"k8s.io/klog/v2"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
)

func (s *Server) generateImage(ctx context.Context, req *mcp.CallToolRequest, in GenerateInput) (*mcp.CallToolResult, *ImageRequestOutput, error) {
	return s.createTool(ctx, req, ToolGenerateImage, createArgs{
		params:      imageParams{Prompt: in.Prompt, N: in.N, Size: in.Size, Model: in.Model},
		namespace:   in.Namespace,
		waitSeconds: in.WaitSeconds,
		preview:     in.IncludePreview,
	})
}

func (s *Server) editImage(ctx context.Context, req *mcp.CallToolRequest, in EditInput) (*mcp.CallToolResult, *ImageRequestOutput, error) {
	args := createArgs{
		params:      imageParams{Prompt: in.Prompt, N: in.N, Size: in.Size, Model: in.Model},
		namespace:   in.Namespace,
		waitSeconds: in.WaitSeconds,
		preview:     in.IncludePreview,
		edit:        true,
		imageB64:    in.Image,
		maskB64:     in.Mask,
	}
	return s.createTool(ctx, req, ToolEditImage, args)
}

// createArgs are a creating tool's arguments, decoded.
type createArgs struct {
	params      imageParams
	namespace   string
	waitSeconds int
	preview     bool
	edit        bool
	// imageB64 and maskB64 are an edit's inputs as sent ("" mask: none).
	imageB64, maskB64 string
}

// tokenInfo is the SDK's view of the caller, if the request came over HTTP
// with a bearer token.
func tokenInfo(extra *mcp.RequestExtra) *auth.TokenInfo {
	if extra == nil {
		return nil
	}
	return extra.TokenInfo
}

// createTool is generate_image and edit_image: check everything, create,
// wait, answer.
func (s *Server) createTool(ctx context.Context, req *mcp.CallToolRequest, tool string, args createArgs) (*mcp.CallToolResult, *ImageRequestOutput, error) {
	caller := callerFrom(ctx, tokenInfo(req.Extra))
	log := s.log.WithValues("tool", tool, "user", callerName(caller))
	cr, err := s.prepareCreate(ctx, caller, "mcp/"+tool, args.namespace, args.params, args.edit, func() (image, mask []byte, err error) {
		if !args.edit {
			return nil, nil, nil
		}
		var errs InputErrors
		image, ierr := decodeBase64("image", args.imageB64)
		if ierr != nil {
			errs = append(errs, ierr)
		}
		if args.maskB64 != "" {
			if mask, ierr = decodeBase64("mask", args.maskB64); ierr != nil {
				errs = append(errs, ierr)
			}
		}
		if len(errs) > 0 {
			return nil, nil, errs
		}
		return image, mask, nil
	})
	if err != nil {
		calls.WithLabelValues("mcp", tool, outcomeFor(err)).Inc()
		log.V(1).Info("call refused", "reason", err.Error())
		return nil, nil, err
	}
	ir, err := s.create(ctx, cr)
	if err != nil {
		calls.WithLabelValues("mcp", tool, outcomeError).Inc()
		log.Error(err, "creating the ImageRequest")
		return nil, nil, err
	}
	log = log.WithValues("imagerequest", klog.KObj(ir))
	log.Info("created ImageRequest", "operation", ir.Spec.Operation, "n", ir.Spec.N, "size", ir.Spec.Size, "promptChars", len(ir.Spec.Prompt))

	wait := time.Duration(args.waitSeconds) * time.Second
	progress := newProgressReporter(ctx, req, wait, func(err error) { log.V(1).Info("sending progress failed", "error", err.Error()) })
	var report reporter
	if progress != nil {
		report = progress.report
	}
	start := time.Now()
	outcome, err := s.await(ctx, ir, wait, report)
	if err != nil {
		calls.WithLabelValues("mcp", tool, outcomePending).Inc()
		if ctx.Err() != nil || errors.Is(err, errCallerGone) {
			log.Info("caller went away; the ImageRequest carries on", "phase", outcome.ir.Status.Phase)
			return nil, nil, fmt.Errorf("the call was cancelled, but ImageRequest %s/%s carries on: follow it with get_image_request", ir.Namespace, ir.Name)
		}
		return nil, nil, err
	}
	final := outcome.ir
	res := &mcp.CallToolResult{Content: []mcp.Content{
		&mcp.TextContent{Text: summaryText(final, time.Since(start))},
		resourceLink(final, req.ProtocolVersion()),
	}}
	switch final.Status.Phase {
	case imagesv1alpha1.PhaseSucceeded:
		calls.WithLabelValues("mcp", tool, outcomeOK).Inc()
		if args.preview {
			res.Content = append(res.Content, s.previews(ctx, final)...)
		}
	case imagesv1alpha1.PhaseFailed:
		calls.WithLabelValues("mcp", tool, outcomeFailed).Inc()
		res.IsError = true
	default:
		calls.WithLabelValues("mcp", tool, outcomePending).Inc()
	}
	log.Info("answered", "phase", final.Status.Phase, "reason", final.Status.Reason, "attempts", final.Status.Attempts, "waited", time.Since(start).Round(time.Millisecond))
	return res, outputOf(final), nil
}

// prepareCreate resolves the namespace, authorises the caller and checks
// every rule; inputs decodes an edit's image and mask (nil, nil for a
// generate). Nothing is created here: an error means nothing will be.
func (s *Server) prepareCreate(ctx context.Context, caller *Caller, via, namespace string, p imageParams, edit bool, inputs func() (image, mask []byte, err error)) (createRequest, error) {
	ns, err := s.resolveNamespace(caller, namespace)
	if err != nil {
		return createRequest{}, err
	}
	if err := s.authz.authorize(ctx, caller, "create", ns, ""); err != nil {
		return createRequest{}, err
	}
	image, mask, inErr := inputs()
	p = p.withDefaults()
	errs := validateParams(p, edit)
	if inErr != nil {
		if ies := asInputErrors(inErr); ies != nil {
			errs = append(errs, ies...)
		} else {
			return createRequest{}, inErr
		}
	}
	if len(errs) == 0 && edit {
		if ie := validateEditInputs(p.Model, image, mask); ie != nil {
			errs = append(errs, ie)
		}
	}
	if len(errs) > 0 {
		return createRequest{}, errs
	}
	return createRequest{caller: caller, namespace: ns, params: p, via: via, image: image, mask: mask}, nil
}

// resolveNamespace picks the namespace of a call: the one named, else the
// caller's ServiceAccount namespace, else the server's default.
func (s *Server) resolveNamespace(caller *Caller, namespace string) (string, error) {
	if namespace == "" && caller != nil {
		namespace = caller.ServiceAccountNamespace()
	}
	if namespace == "" {
		namespace = s.opts.DefaultNamespace
	}
	if namespace == "" {
		return "", &InputError{Field: "namespace", Rule: "required", Message: "is required: the caller is not a ServiceAccount and the server has no default namespace"}
	}
	if err := validateNamespace(namespace); err != nil {
		return "", &InputError{Field: "namespace", Rule: "pattern", Message: fmt.Sprintf("%q is not a namespace name: %v", namespace, err)}
	}
	return namespace, nil
}

func outcomeFor(err error) string {
	var fe *ForbiddenError
	switch {
	case asInputErrors(err) != nil:
		return outcomeInvalid
	case errors.As(err, &fe):
		return outcomeForbidden
	}
	return outcomeError
}

func callerName(c *Caller) string {
	if c == nil {
		return ""
	}
	return c.Username
}
