package mcp

import (
	"fmt"
	"strings"
	"time"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/imagerequests"
)

// ImageOutput is one result image. With an artifact store its URL is
// signed afresh on every read and the rest describes the stored copy;
// without one only url and expiresAt are set, from the upstream.
type ImageOutput struct {
	URL         string `json:"url" jsonschema:"where the image can be downloaded until expiresAt; every read hands out a fresh one when the operator keeps results in its artifact store"`
	ExpiresAt   string `json:"expiresAt,omitempty" jsonschema:"RFC 3339 time at which the URL stops working"`
	URI         string `json:"uri,omitempty" jsonschema:"durable location of the stored copy in the operator's artifact store (s3://, gs://, file://...); set only with a store"`
	ContentType string `json:"contentType,omitempty" jsonschema:"media type of the image, e.g. image/png"`
	Bytes       int64  `json:"bytes,omitempty" jsonschema:"size of the image in bytes"`
	SHA256      string `json:"sha256,omitempty" jsonschema:"hex SHA-256 of the image's bytes"`
	Width       int    `json:"width,omitempty" jsonschema:"width in pixels"`
	Height      int    `json:"height,omitempty" jsonschema:"height in pixels"`
	Resource    string `json:"resource,omitempty" jsonschema:"imagerequest://{namespace}/{name}/images/{index}: resources/read of it returns the bytes as a blob; set only with a store"`
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
	for i, img := range st.Images {
		o := ImageOutput{URL: img.URL, URI: img.URI, ContentType: img.ContentType, Bytes: img.Bytes, SHA256: img.SHA256,
			Width: int(img.Width), Height: int(img.Height)}
		if img.ExpiresAt != nil {
			o.ExpiresAt = img.ExpiresAt.UTC().Format(time.RFC3339)
		}
		if img.URI != "" {
			o.Resource = imageResourceURI(ir.Namespace, ir.Name, i)
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
		stored := false
		for i, img := range st.Images {
			fmt.Fprintf(&b, "%d. %s", i+1, img.URL)
			if img.ExpiresAt != nil {
				fmt.Fprintf(&b, " (expires %s)", img.ExpiresAt.UTC().Format(time.RFC3339))
			}
			if img.URI != "" {
				stored = true
				fmt.Fprintf(&b, "; bytes on demand: resources/read %s", imageResourceURI(ir.Namespace, ir.Name, i))
			}
			b.WriteString("\n")
		}
		if stored {
			b.WriteString("The images are kept: get_image_request hands out fresh URLs whenever these expire.")
		} else {
			b.WriteString("Download the images before the URLs expire.")
		}
	case imagesv1alpha1.PhaseFailed:
		fmt.Fprintf(&b, "ImageRequest %s failed after %d attempt(s): %s: %s", key, st.Attempts, st.Reason, st.Message)
	default:
		fmt.Fprintf(&b, "%s after waiting %s. The work goes on and is not cancelled: call get_image_request with namespace %q and name %q (or read %s) to get the images.",
			imagerequests.Describe(ir), waited.Round(time.Second), ir.Namespace, ir.Name, resourceURI(ir.Namespace, ir.Name))
	}
	return b.String()
}
