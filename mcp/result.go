package mcp

import (
	"fmt"
	"strings"
	"time"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/imagerequests"
)

// ImageOutput is one result image.
type ImageOutput struct {
	URL       string `json:"url" jsonschema:"where the PNG can be downloaded until expiresAt"`
	ExpiresAt string `json:"expiresAt,omitempty" jsonschema:"RFC 3339 time at which the URL stops working (DALL-E 2: 60 minutes after creation)"`
}

// ImageRequestOutput is the structured result of the creating tools and the
// core of get_image_request's.
type ImageRequestOutput struct {
	Namespace        string        `json:"namespace" jsonschema:"namespace of the ImageRequest"`
	Name             string        `json:"name" jsonschema:"name of the ImageRequest; pass it to get_image_request"`
	Phase            string        `json:"phase" jsonschema:"Pending or Running (still working: call get_image_request later), Succeeded or Failed"`
	Attempts         int           `json:"attempts" jsonschema:"upstream calls started so far"`
	Images           []ImageOutput `json:"images" jsonschema:"the results once Succeeded, in upstream order"`
	EstimatedCostUSD string        `json:"estimatedCostUSD,omitempty" jsonschema:"list price of the images returned, in US dollars"`
	Reason           string        `json:"reason,omitempty" jsonschema:"machine-readable state, e.g. WaitingForInput, RateLimited, ContentPolicy, AttemptsExhausted"`
	Message          string        `json:"message,omitempty" jsonschema:"human-readable explanation of reason, with the upstream's message on failure"`
	URI              string        `json:"uri" jsonschema:"imagerequest://{namespace}/{name}, readable as an MCP resource (and subscribable from protocol 2026-07-28)"`
}

// resourceURI is the MCP resource of an ImageRequest.
func resourceURI(namespace, name string) string {
	return resourceScheme + "://" + namespace + "/" + name
}

func outputOf(ir *imagesv1alpha1.ImageRequest) *ImageRequestOutput {
	st := ir.Status
	phase := imagerequests.PhaseOf(ir)
	out := &ImageRequestOutput{
		Namespace:        ir.Namespace,
		Name:             ir.Name,
		Phase:            string(phase),
		Attempts:         int(st.Attempts),
		Images:           []ImageOutput{},
		EstimatedCostUSD: st.EstimatedCostUSD,
		Reason:           st.Reason,
		Message:          st.Message,
		URI:              resourceURI(ir.Namespace, ir.Name),
	}
	for _, img := range st.Images {
		o := ImageOutput{URL: img.URL}
		if img.ExpiresAt != nil {
			o.ExpiresAt = img.ExpiresAt.UTC().Format(time.RFC3339)
		}
		out.Images = append(out.Images, o)
	}
	return out
}

// resourceLink points the client at the request's resource and says how a
// client of protocol version protocol can follow it.
func resourceLink(ir *imagesv1alpha1.ImageRequest, protocol string) *sdkmcp.ResourceLink {
	return &sdkmcp.ResourceLink{
		URI:         resourceURI(ir.Namespace, ir.Name),
		Name:        ir.Name,
		Title:       fmt.Sprintf("ImageRequest %s/%s", ir.Namespace, ir.Name),
		Description: "The ImageRequest's spec and status as JSON; " + followHint(protocol) + ".",
		MIMEType:    "application/json",
	}
}

// summaryText is the human-readable result of a creating tool.
func summaryText(ir *imagesv1alpha1.ImageRequest, waited time.Duration) string {
	st := ir.Status
	key := ir.Namespace + "/" + ir.Name
	var b strings.Builder
	switch st.Phase {
	case imagesv1alpha1.PhaseSucceeded:
		fmt.Fprintf(&b, "ImageRequest %s succeeded after %d attempt(s): %d image(s)", key, st.Attempts, len(st.Images))
		if st.EstimatedCostUSD != "" {
			fmt.Fprintf(&b, ", estimated cost $%s", st.EstimatedCostUSD)
		}
		b.WriteString(".\n")
		for i, img := range st.Images {
			fmt.Fprintf(&b, "%d. %s", i+1, img.URL)
			if img.ExpiresAt != nil {
				fmt.Fprintf(&b, " (expires %s)", img.ExpiresAt.UTC().Format(time.RFC3339))
			}
			b.WriteString("\n")
		}
		b.WriteString("Download the images before the URLs expire.")
	case imagesv1alpha1.PhaseFailed:
		fmt.Fprintf(&b, "ImageRequest %s failed after %d attempt(s): %s: %s", key, st.Attempts, st.Reason, st.Message)
	default:
		fmt.Fprintf(&b, "%s after waiting %s. The work goes on and is not cancelled: call get_image_request with namespace %q and name %q (or read %s) to get the images.",
			imagerequests.Describe(ir), waited.Round(time.Second), ir.Namespace, ir.Name, resourceURI(ir.Namespace, ir.Name))
	}
	return b.String()
}
