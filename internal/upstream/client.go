// Package upstream is the operator's only door to the OpenAI Images API. It
// wraps openai-go with the SDK's own retries turned off (retries belong to
// the controller, which records every attempt before it starts), reads the
// API key per call so a rotated Secret takes effect without a restart, and
// turns SDK errors into a classified *Error.
package upstream

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/imagegen/imagegen-operator/internal/rules"
)

// Config says where the upstream is and how to authenticate.
type Config struct {
	// BaseURL of an OpenAI-compatible API, e.g. https://api.openai.com/v1/ or
	// the simulator's http://127.0.0.1:8089/v1/. Empty means OpenAI's.
	BaseURL string
	// Keys supplies the API key for each call.
	Keys KeySource
	// Timeout bounds one call, including the upload of an edit's inputs.
	Timeout time.Duration
	// HTTPClient carries the calls; nil means a pooled client sized for many
	// concurrent calls.
	HTTPClient *http.Client
}

// Client calls the Images API.
type Client struct {
	sdk     openai.Client
	keys    KeySource
	timeout time.Duration
}

// New builds a Client.
func New(cfg Config) *Client {
	httpClient := cfg.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{Transport: newTransport()}
	}
	opts := []option.RequestOption{
		option.WithMaxRetries(0),
		option.WithHTTPClient(httpClient),
	}
	if cfg.BaseURL != "" {
		opts = append(opts, option.WithBaseURL(cfg.BaseURL))
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	return &Client{sdk: openai.NewClient(opts...), keys: cfg.Keys, timeout: timeout}
}

// newTransport keeps enough idle connections that 100+ concurrent calls reuse
// them instead of paying a TLS handshake each, and lets them go after half a
// minute so a burst doesn't leave a thousand idle connections (and their
// goroutines) behind for long.
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 1024
	t.MaxIdleConnsPerHost = 1024
	t.IdleConnTimeout = 30 * time.Second
	return t
}

// Request is one generate or edit call.
//
// Every field added for the GPT image models is omitted from the wire when
// it has its zero value, so a DALL-E 2 request that sets none of them is
// sent exactly as before they existed. Which of them a model takes is the
// model registry's (internal/models) business: this client sends what it
// is given.
type Request struct {
	Model  string
	Prompt string
	N      int
	Size   string
	// User is forwarded as OpenAI's end-user identifier, `user`: what
	// DALL-E 2 takes. The GPT image models replace it with
	// SafetyIdentifier; the caller picks which one to fill per model, and
	// both are sent when both are set.
	User string
	// SafetyIdentifier is sent as `safety_identifier`, the GPT image
	// models' replacement for `user`; "" sends nothing.
	SafetyIdentifier string
	// ClientRequestID is sent as X-Client-Request-Id so a call can be traced
	// on both sides (the controller uses <uid>/<attempt>).
	ClientRequestID string
	// Image is the one input image of an edit, as DALL-E 2 takes it; Images
	// are all an edit's input images (the GPT image models take several),
	// first the one Mask applies to. Set one of them, not both: either
	// makes the call an edit, and neither a generation. Each image is
	// PNG, JPEG or WebP, and its part is named and typed by the format its
	// bytes start with ("image.png", "image-1.jpg", ...); anything else
	// is refused before sending (KindConfig), as the API would refuse it.
	// One image goes as the form field `image`, several as `image[]`.
	Image  []byte
	Images [][]byte
	// Mask is the PNG mask of an edit; nil sends none.
	Mask []byte
	// ResponseFormat is FormatURL (also when empty) or FormatB64JSON: the
	// images come back inline, which saves whoever keeps them a download
	// and a second round trip (DALL-E 2 and the simulator support both).
	ResponseFormat string
	// OmitResponseFormat sends no response_format at all: the GPT image
	// models refuse the parameter (400 unknown_parameter) and always answer
	// in base64. ResponseFormat is ignored then.
	OmitResponseFormat bool
	// Quality is `quality` ("low", "medium", "high", "auto", and "xhigh"
	// or "max" on the models that have them); "" sends nothing.
	Quality string
	// Background is `background` ("transparent", "opaque", "auto"); ""
	// sends nothing.
	Background string
	// OutputFormat is `output_format` ("png", "jpeg", "webp"), the
	// encoding of the returned images; "" sends nothing (png).
	OutputFormat string
	// OutputCompression is `output_compression` (0-100, jpeg and webp
	// only); nil sends nothing, so 0 can be asked for.
	OutputCompression *int
	// Moderation is `moderation` ("low", "auto") of a generation; ""
	// sends nothing. The edits endpoint has no such parameter (openai-go's
	// ImageEditParams has none), so an edit with it is a caller bug and
	// is refused before sending (KindConfig).
	Moderation string
}

// isEdit reports whether req is an edit: it has an input image.
func (req Request) isEdit() bool {
	return req.Image != nil || len(req.Images) > 0
}

// Response formats of Request.ResponseFormat.
const (
	FormatURL     = "url"
	FormatB64JSON = "b64_json"
)

// Result is a successful call.
type Result struct {
	// Created is when the upstream made the images.
	Created time.Time
	// Images in upstream order.
	Images []Image
	// RequestID is the upstream's x-request-id.
	RequestID string
	// Usage is the response's usage block; nil when it had none (DALL-E 2
	// sends none).
	Usage *Usage
}

// Usage is a response's token counts, as OpenAI reports them.
type Usage struct {
	InputTokens      int64
	InputTextTokens  int64
	InputImageTokens int64
	OutputTokens     int64
	// OutputImageTokens and OutputTextTokens are output_tokens_details;
	// when the response has no details, all output tokens are image tokens.
	OutputImageTokens int64
	OutputTextTokens  int64
	TotalTokens       int64
}

// usageOf reads resp's usage block, nil when it has none.
func usageOf(resp *openai.ImagesResponse) *Usage {
	u := resp.Usage
	if !resp.JSON.Usage.Valid() {
		return nil
	}
	out := &Usage{
		InputTokens:       u.InputTokens,
		InputTextTokens:   u.InputTokensDetails.TextTokens,
		InputImageTokens:  u.InputTokensDetails.ImageTokens,
		OutputTokens:      u.OutputTokens,
		OutputImageTokens: u.OutputTokens,
		TotalTokens:       u.TotalTokens,
	}
	if u.JSON.OutputTokensDetails.Valid() {
		out.OutputImageTokens = u.OutputTokensDetails.ImageTokens
		out.OutputTextTokens = u.OutputTokensDetails.TextTokens
	}
	return out
}

// Image is one result image: a URL, or the image itself in base64 when
// the call asked for FormatB64JSON (a server may ignore that and send a
// URL anyway).
type Image struct {
	URL string
	// ExpiresAt is when URL stops working, as the URL's signature says
	// (see URLExpiry); zero when the URL does not say.
	ExpiresAt time.Time
	// B64JSON is the image's bytes in standard base64, as the upstream sent
	// them; Decode turns them into bytes with a bound. Decoding is left to
	// the caller so that a result too large or garbled to keep fails the
	// way a bad download does, not as an upstream error that is retried
	// (and paid for again).
	B64JSON string
}

// Do makes one call: an edit when req.Image or req.Images is set, a
// generation otherwise. Errors are *Error.
func (c *Client) Do(ctx context.Context, req Request) (*Result, error) {
	if f := req.ResponseFormat; f != "" && f != FormatURL && f != FormatB64JSON {
		return nil, &Error{Kind: KindConfig, Message: fmt.Sprintf("response format %q is neither %q nor %q", f, FormatURL, FormatB64JSON)}
	}
	// The parameters are built before the key is read: a request that
	// cannot be sent fails as itself, whatever the state of the key.
	var (
		edit     openai.ImageEditParams
		generate openai.ImageGenerateParams
	)
	if req.isEdit() {
		var paramErr *Error
		if edit, paramErr = editParams(req); paramErr != nil {
			return nil, paramErr
		}
	} else {
		generate = generateParams(req)
	}
	key, err := c.keys.Key()
	if err != nil {
		return nil, &Error{Kind: KindConfig, Message: err.Error(), Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	// Whether a connection to the upstream was ever had: a call that failed
	// before that (DNS, connection refused, TLS handshake) provably sent
	// nothing, so nothing can have been billed.
	var connected atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { connected.Store(true) }})

	var httpResp *http.Response
	opts := []option.RequestOption{
		option.WithAPIKey(key),
		option.WithResponseInto(&httpResp),
	}
	if req.ClientRequestID != "" {
		opts = append(opts, option.WithHeader("X-Client-Request-Id", req.ClientRequestID))
	}

	var resp *openai.ImagesResponse
	if req.isEdit() {
		resp, err = c.sdk.Images.Edit(ctx, edit, opts...)
	} else {
		resp, err = c.sdk.Images.Generate(ctx, generate, opts...)
	}
	if err != nil {
		e := classify(err)
		e.NeverSent = e.StatusCode == 0 && !connected.Load()
		return nil, e
	}
	out := &Result{Created: time.Unix(resp.Created, 0), RequestID: requestID(httpResp), Usage: usageOf(resp)}
	for i, img := range resp.Data {
		if img.URL == "" && img.B64JSON == "" {
			return nil, &Error{Kind: KindServer, RequestID: out.RequestID,
				Message: fmt.Sprintf("image %d of the response has neither url nor b64_json", i)}
		}
		if img.URL == "" && req.ResponseFormat != FormatB64JSON && !req.OmitResponseFormat {
			return nil, &Error{Kind: KindServer, RequestID: out.RequestID,
				Message: fmt.Sprintf("image %d of the response has no url (the model may only return base64)", i)}
		}
		image := Image{URL: img.URL, B64JSON: img.B64JSON}
		if img.URL != "" {
			image.ExpiresAt, _ = URLExpiry(img.URL)
		}
		out.Images = append(out.Images, image)
	}
	return out, nil
}

func generateParams(req Request) openai.ImageGenerateParams {
	p := openai.ImageGenerateParams{
		Prompt:         req.Prompt,
		Model:          openai.ImageModel(req.Model),
		N:              openai.Int(int64(req.N)),
		Size:           openai.ImageGenerateParamsSize(req.Size),
		ResponseFormat: openai.ImageGenerateParamsResponseFormat(responseFormat(req)),
		// The string options are omitted when "" (omitzero).
		Quality:      openai.ImageGenerateParamsQuality(req.Quality),
		Background:   openai.ImageGenerateParamsBackground(req.Background),
		OutputFormat: openai.ImageGenerateParamsOutputFormat(req.OutputFormat),
		Moderation:   openai.ImageGenerateParamsModeration(req.Moderation),
	}
	if req.OutputCompression != nil {
		p.OutputCompression = openai.Int(int64(*req.OutputCompression))
	}
	if req.User != "" {
		// openai-go deprecates "user" for "safety_identifier", but DALL-E
		// 2's API (and the simulator) take "user": the caller picks.
		p.User = openai.String(req.User) //nolint:staticcheck // SA1019, see above.
	}
	if req.SafetyIdentifier != "" {
		p.SafetyIdentifier = openai.String(req.SafetyIdentifier)
	}
	return p
}

// editParams builds an edit's form, or a KindConfig *Error for a request
// that is a caller bug (see Request).
func editParams(req Request) (openai.ImageEditParams, *Error) {
	var p openai.ImageEditParams
	if req.Moderation != "" {
		return p, configError("moderation", rules.Unsupported,
			"the edits endpoint takes no moderation parameter; only generations do")
	}
	image, err := editImages(req)
	if err != nil {
		return p, err
	}
	p = openai.ImageEditParams{
		Prompt:         req.Prompt,
		Image:          image,
		Model:          openai.ImageModel(req.Model),
		N:              openai.Int(int64(req.N)),
		Size:           openai.ImageEditParamsSize(req.Size),
		ResponseFormat: openai.ImageEditParamsResponseFormat(responseFormat(req)),
		Quality:        openai.ImageEditParamsQuality(req.Quality),
		Background:     openai.ImageEditParamsBackground(req.Background),
		OutputFormat:   openai.ImageEditParamsOutputFormat(req.OutputFormat),
	}
	if req.OutputCompression != nil {
		p.OutputCompression = openai.Int(int64(*req.OutputCompression))
	}
	if req.Mask != nil {
		p.Mask = openai.File(bytes.NewReader(req.Mask), "mask.png", "image/png")
	}
	if req.User != "" {
		p.User = openai.String(req.User) //nolint:staticcheck // SA1019, as in generateParams.
	}
	if req.SafetyIdentifier != "" {
		p.SafetyIdentifier = openai.String(req.SafetyIdentifier)
	}
	return p, nil
}

// responseFormat is what goes on the wire for req.ResponseFormat; ""
// (omitted) when req.OmitResponseFormat.
func responseFormat(req Request) string {
	if req.OmitResponseFormat {
		return ""
	}
	if req.ResponseFormat == FormatB64JSON {
		return FormatB64JSON
	}
	return FormatURL
}

func requestID(resp *http.Response) string {
	if resp == nil {
		return ""
	}
	return resp.Header.Get("x-request-id")
}
