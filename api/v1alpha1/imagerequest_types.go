package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Operation says what an ImageRequest asks the upstream API to do.
// +kubebuilder:validation:Enum=Generate;Edit
type Operation string

const (
	// OperationGenerate creates images from a prompt alone.
	OperationGenerate Operation = "Generate"
	// OperationEdit repaints the transparent area of an input image (or the
	// area a mask marks) following the prompt.
	OperationEdit Operation = "Edit"
)

// KeyReference names one key of a ConfigMap or Secret in the ImageRequest's
// namespace.
type KeyReference struct {
	// name of the ConfigMap or Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`
	// key within it. For a ConfigMap the bytes are read from binaryData.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Key string `json:"key"`
}

// ArtifactReference names an object in the operator's artifact store
// (--artifact-bucket), by its key or by its durable URI.
// +kubebuilder:validation:XValidation:rule="has(self.key) != has(self.uri)",message="exactly one of key or uri must be set"
type ArtifactReference struct {
	// key of the object in the bucket, e.g.
	// results/<namespace>/<name>/<uid>/attempt-1/0.png. Only objects under
	// results/, inputs/ or uploads/ of this ImageRequest's own namespace
	// may be read: a request never reads another namespace's images.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Key string `json:"key,omitempty"`
	// uri is the object's durable URI as status.images[].uri shows it, e.g.
	// s3://bucket/results/<namespace>/<name>/<uid>/attempt-1/0.png. The same
	// namespace rule as key applies.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +optional
	URI string `json:"uri,omitempty"`
}

// ImageSource points at the bytes of an input image. Exactly one of its fields is set.
// +kubebuilder:validation:XValidation:rule="(has(self.configMapKeyRef) ? 1 : 0) + (has(self.secretKeyRef) ? 1 : 0) + (has(self.artifactRef) ? 1 : 0) == 1",message="exactly one of configMapKeyRef, secretKeyRef or artifactRef must be set"
type ImageSource struct {
	// configMapKeyRef reads the PNG from a key of a ConfigMap's binaryData.
	// +optional
	ConfigMapKeyRef *KeyReference `json:"configMapKeyRef,omitempty"`
	// secretKeyRef reads the PNG from a key of a Secret's data.
	// +optional
	SecretKeyRef *KeyReference `json:"secretKeyRef,omitempty"`
	// artifactRef reads the PNG from the operator's artifact store: an
	// earlier request's result (to edit it further) or an object uploaded
	// there. The MCP and REST edit endpoints store their uploads this way.
	// +optional
	ArtifactRef *ArtifactReference `json:"artifactRef,omitempty"`
}

// ImageRequestSpec is what to generate or edit. The schema holds what is
// true whatever the model (the union of the models' values, and the rules
// between fields); a model's own rules (its sizes, prompt length, which
// parameters it takes) live in internal/models and are checked by the
// controller, and by the MCP and REST front door, before any paid call.
// The model is often not known at admission (an unset spec.model means the
// operator's --default-model), so only a request that names dall-e-2
// explicitly is held to its rules here too: they are the reference
// contract and were admission rules before the GPT image models came.
// +kubebuilder:validation:XValidation:rule="self.operation != 'Edit' || has(self.image)",message="image is required when operation is Edit"
// +kubebuilder:validation:XValidation:rule="self.operation == 'Edit' || !has(self.image)",message="image is only allowed when operation is Edit"
// +kubebuilder:validation:XValidation:rule="self.operation == 'Edit' || !has(self.mask)",message="mask is only allowed when operation is Edit"
// +kubebuilder:validation:XValidation:rule="self.operation == 'Edit' || !has(self.additionalImages)",message="additionalImages is only allowed when operation is Edit (rule unsupported)"
// +kubebuilder:validation:XValidation:rule="self.operation != 'Edit' || !has(self.moderation)",message="moderation applies to Generate only: the edits endpoint takes no moderation parameter (rule unsupported)"
// +kubebuilder:validation:XValidation:rule="!has(self.outputCompression) || (has(self.outputFormat) && self.outputFormat in ['jpeg', 'webp'])",message="outputCompression requires outputFormat jpeg or webp (rule requires)"
// +kubebuilder:validation:XValidation:rule="!has(self.background) || self.background != 'transparent' || !has(self.outputFormat) || self.outputFormat != 'jpeg'",message="a transparent background requires outputFormat png or webp (rule requires)"
// +kubebuilder:validation:XValidation:rule="!has(self.model) || self.model != 'dall-e-2' || size(self.prompt) <= 1000",message="prompt: dall-e-2 allows at most 1000 characters (rule maxLength)"
// +kubebuilder:validation:XValidation:rule="!has(self.model) || self.model != 'dall-e-2' || !has(self.size) || self.size in ['256x256', '512x512', '1024x1024']",message="size: dall-e-2 takes 256x256, 512x512 or 1024x1024 (rule enum)"
// +kubebuilder:validation:XValidation:rule="!has(self.model) || self.model != 'dall-e-2' || !(has(self.background) || has(self.outputFormat) || has(self.outputCompression) || has(self.moderation))",message="dall-e-2 takes no background, outputFormat, outputCompression or moderation (rule unsupported)"
// +kubebuilder:validation:XValidation:rule="!has(self.model) || self.model != 'dall-e-2' || !has(self.quality) || self.quality == 'standard'",message="quality: dall-e-2 takes only standard (rule enum)"
// +kubebuilder:validation:XValidation:rule="!has(self.model) || self.model != 'dall-e-2' || !has(self.additionalImages)",message="additionalImages: dall-e-2 takes one input image, so none here (rule maxItems)"
type ImageRequestSpec struct {
	// operation is Generate (from a prompt) or Edit (repaint part of an image).
	// +kubebuilder:default=Generate
	// +optional
	Operation Operation `json:"operation,omitempty"`

	// prompt describes the desired image, or for Edit the full desired result.
	// Control characters other than tab, line feed and carriage return are
	// refused: they carry nothing a model can draw and hide text from the
	// people who read the request.
	// The longest any model takes is 32000 characters (the GPT image
	// models); dall-e-2 takes 1000.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=32000
	// +kubebuilder:validation:XValidation:rule="!self.matches('[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F]')",message="prompt must not contain control characters (rule controlCharacters): only tab, line feed and carriage return are allowed"
	// +required
	Prompt string `json:"prompt"`

	// n is the number of images to produce.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10
	// +kubebuilder:default=1
	// +optional
	N int32 `json:"n,omitempty"`

	// size of each image, WIDTHxHEIGHT in pixels, or auto. Each model has
	// its own sizes: dall-e-2 256x256, 512x512 or 1024x1024 (its default);
	// the GPT image models 1024x1024, 1536x1024, 1024x1536 or auto (their
	// default), gpt-image-2 and 2.5 also a custom size with both sides
	// multiples of 16, an aspect ratio within 3:1 and at most 3840x2160.
	// Unset means the model's default.
	// +kubebuilder:validation:MaxLength=11
	// +kubebuilder:validation:Pattern=`^(auto|[1-9][0-9]{0,4}x[1-9][0-9]{0,4})$`
	// +optional
	Size string `json:"size,omitempty"`

	// model is the upstream image model, e.g. gpt-image-2. Unset means the
	// operator's default (its --default-model flag); status.model records
	// the model used. A model past its upstream shutdown date is refused
	// before any call unless the operator declares it still served.
	// +kubebuilder:validation:Enum=chatgpt-image-latest;dall-e-2;dall-e-3;gpt-image-1;gpt-image-1-mini;gpt-image-1.5;gpt-image-2;gpt-image-2-2026-04-21;gpt-image-2.5-flare;gpt-image-2.5-flare-2026-09-08;gpt-image-2.5-sunburst;gpt-image-2.5-sunburst-2026-09-08;gpt-image-2.6-flare;gpt-image-2.6-sunburst
	// +optional
	Model string `json:"model,omitempty"`

	// quality of the images: low, medium, high or auto (the default) for
	// the GPT image models, gpt-image-2.5 also xhigh and max; standard for
	// dall-e-2. Unset means the model's default.
	// +kubebuilder:validation:Enum=auto;high;hd;low;max;medium;standard;xhigh
	// +optional
	Quality string `json:"quality,omitempty"`

	// background of the images: transparent, opaque or auto (the default).
	// transparent needs outputFormat png or webp. GPT image models only.
	// +kubebuilder:validation:Enum=auto;opaque;transparent
	// +optional
	Background string `json:"background,omitempty"`

	// outputFormat of the images: png (the default), jpeg or webp. GPT
	// image models only; dall-e-2 returns PNG.
	// +kubebuilder:validation:Enum=jpeg;png;webp
	// +optional
	OutputFormat string `json:"outputFormat,omitempty"`

	// outputCompression is the jpeg or webp compression level, 0–100.
	// GPT image models only.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	OutputCompression *int32 `json:"outputCompression,omitempty"`

	// moderation is the upstream's content moderation level for
	// generations: low or auto (the default). GPT image models only; edits
	// take none.
	// +kubebuilder:validation:Enum=auto;low
	// +optional
	Moderation string `json:"moderation,omitempty"`

	// image is the image to edit. For dall-e-2: a square PNG, less than
	// 4 MB, with transparency unless a mask is given. For the GPT image
	// models: PNG, WebP or JPEG, less than 50 MB, any shape, no
	// transparency needed. Required for Edit, forbidden for Generate.
	// +optional
	Image *ImageSource `json:"image,omitempty"`

	// additionalImages are further input images of an edit, after image
	// (the GPT image models take up to 16 in all, so at most 15 here; each
	// as image). The mask applies to image. Only for Edit.
	// +kubebuilder:validation:MaxItems=15
	// +listType=atomic
	// +optional
	AdditionalImages []ImageSource `json:"additionalImages,omitempty"`

	// mask is an optional PNG with an alpha channel, the same size as
	// image and less than 4 MB, whose fully transparent pixels mark where
	// image is repainted. Only for Edit.
	// +optional
	Mask *ImageSource `json:"mask,omitempty"`

	// user is an end-user identifier for the upstream's abuse monitoring:
	// sent as user to dall-e-2 and as safety_identifier (its replacement)
	// to the GPT image models.
	// +kubebuilder:validation:MaxLength=256
	// +optional
	User string `json:"user,omitempty"`

	// ttlSecondsAfterFinished deletes the ImageRequest this many seconds after it
	// succeeded or failed. Unset keeps it forever.
	// +kubebuilder:validation:Minimum=0
	// +optional
	TTLSecondsAfterFinished *int32 `json:"ttlSecondsAfterFinished,omitempty"`
}

// InputSources are every input the spec reads: image, each of
// additionalImages, then mask; nil entries for the unset image and mask.
// Whatever indexes, waits for, keeps or cleans up inputs walks this one
// list, so an input kind added later cannot be forgotten by one of them.
func (s *ImageRequestSpec) InputSources() []*ImageSource {
	out := make([]*ImageSource, 0, 2+len(s.AdditionalImages))
	out = append(out, s.Image)
	for i := range s.AdditionalImages {
		out = append(out, &s.AdditionalImages[i])
	}
	return append(out, s.Mask)
}

// Phase is the coarse lifecycle state of an ImageRequest.
// +kubebuilder:validation:Enum=Pending;Running;Succeeded;Failed
type Phase string

const (
	// PhasePending means accepted, and waiting for inputs or for the next attempt.
	PhasePending Phase = "Pending"
	// PhaseRunning means an attempt has been recorded and its upstream call is in
	// flight. A controller that finds Running on start-up knows the call was
	// interrupted and counts the attempt as spent.
	PhaseRunning Phase = "Running"
	// PhaseSucceeded means images are in status.images. Terminal.
	PhaseSucceeded Phase = "Succeeded"
	// PhaseFailed means status.reason and status.message say why. Terminal.
	PhaseFailed Phase = "Failed"
)

// IsTerminal reports whether the phase is Succeeded or Failed.
func (p Phase) IsTerminal() bool { return p == PhaseSucceeded || p == PhaseFailed }

// ConditionType is the type of an ImageRequest condition.
type ConditionType string

// Condition types, so `kubectl wait --for=condition=Complete` works as it does for Jobs.
const (
	// ConditionAccepted is True once the inputs passed validation, False with
	// reason WaitingForInput while a referenced ConfigMap or Secret is missing.
	ConditionAccepted ConditionType = "Accepted"
	// ConditionComplete is True when the images are ready.
	ConditionComplete ConditionType = "Complete"
	// ConditionFailed is True when the request failed for good.
	ConditionFailed ConditionType = "Failed"
)

// Reasons in status.reason and on conditions: machine-readable and stable.
const (
	ReasonAccepted         = "Accepted"
	ReasonWaitingForInput  = "WaitingForInput"
	ReasonInputNotFound    = "InputNotFound"
	ReasonInvalidImage     = "InvalidImage"
	ReasonInvalidMask      = "InvalidMask"
	ReasonInvalidRequest   = "InvalidRequest"
	ReasonUnsupportedModel = "UnsupportedModel"
	// ReasonModelRetired: the model is past its upstream shutdown date and
	// the operator does not declare it still served; refused before any
	// call, with the date and the replacement in the message.
	ReasonModelRetired = "ModelRetired"
	// ReasonModelUnavailable: the upstream answered model_not_found (the
	// model is retired or not offered to this key); never retried.
	ReasonModelUnavailable = "ModelUnavailable"
	ReasonContentPolicy    = "ContentPolicy"
	ReasonRateLimited      = "RateLimited"
	ReasonQuotaExceeded    = "QuotaExceeded"
	ReasonUnauthorized     = "Unauthorized"
	ReasonUpstreamError    = "UpstreamError"
	// ReasonUpstreamUnreachable: calls could not even connect to the upstream
	// (nothing was sent, so no attempt was spent); Pending while the
	// controller keeps trying, Failed once --upstream-unreachable-timeout
	// has passed.
	ReasonUpstreamUnreachable = "UpstreamUnreachable"
	ReasonAttemptsExhausted   = "AttemptsExhausted"
	// ReasonStorageError: the upstream call succeeded (and was paid for) but
	// its images could not be downloaded or written to the artifact store.
	ReasonStorageError = "StorageError"
	ReasonSucceeded    = "Succeeded"
	// ReasonAttemptInterrupted (in status.lastFailure): the attempt's call was
	// cut short by a crash or a lost lease before its outcome was recorded;
	// it counts as spent.
	ReasonAttemptInterrupted = "AttemptInterrupted"
)

// Annotations the MCP and REST server puts on the ImageRequests it creates.
const (
	// AnnotationRequestedBy holds the Kubernetes username of the caller who
	// asked for the request through the MCP or REST server.
	AnnotationRequestedBy = "images.imagegen.dev/requested-by"
	// AnnotationRequestedVia names the interface and operation that created
	// the request, e.g. "mcp/generate_image" or "rest/edit_image".
	AnnotationRequestedVia = "images.imagegen.dev/requested-via"
	// AnnotationKeepArtifacts, set to "true", keeps the request's objects in
	// the artifact store (results and inputs) when the request finishes or is
	// deleted; the orphan sweep leaves them too.
	AnnotationKeepArtifacts = "images.imagegen.dev/keep-artifacts"
)

// FinalizerArtifacts is the finalizer that deletes an ImageRequest's
// objects from the artifact store before the request goes away. It is set
// only when the operator runs with an artifact store.
const FinalizerArtifacts = "images.imagegen.dev/artifacts"

// GeneratedImage is one result image.
type GeneratedImage struct {
	// url where the image can be downloaded until expiresAt. With an
	// artifact store it is a signed URL of the stored copy (the backend's
	// presigned URL or the operator's own); without one, the upstream's URL.
	URL string `json:"url"`
	// expiresAt is when url stops working.
	// +optional
	ExpiresAt *metav1.Time `json:"expiresAt,omitempty"`
	// uri is the durable location of the stored copy in the artifact store,
	// e.g. s3://bucket/results/<namespace>/<name>/<uid>/attempt-1/0.png.
	// Set only when the operator runs with an artifact store.
	// +optional
	URI string `json:"uri,omitempty"`
	// contentType is the image's media type, e.g. image/png.
	// +optional
	ContentType string `json:"contentType,omitempty"`
	// bytes is the image's size.
	// +optional
	Bytes int64 `json:"bytes,omitempty"`
	// sha256 is the hex SHA-256 of the image's bytes.
	// +optional
	SHA256 string `json:"sha256,omitempty"`
	// width and height are the image's dimensions in pixels, from its header.
	// +optional
	Width int32 `json:"width,omitempty"`
	// +optional
	Height int32 `json:"height,omitempty"`
}

// AttemptFailure is why an attempt did not produce images, kept as data so
// clients need not parse status.message.
type AttemptFailure struct {
	// attempt is the attempt that failed (status.attempts when it was
	// recorded; for a call that never reached the upstream, the attempt it
	// would have been).
	Attempt int32 `json:"attempt"`
	// reason is the machine-readable cause: RateLimited, UpstreamError,
	// UpstreamUnreachable, AttemptInterrupted, or a terminal reason.
	Reason string `json:"reason"`
	// httpStatus is the upstream's HTTP status; 0 when no response arrived.
	// +optional
	HTTPStatus int32 `json:"httpStatus,omitempty"`
	// code is the upstream's error code, e.g. rate_limit_exceeded.
	// +optional
	Code string `json:"code,omitempty"`
	// retryAfterSeconds is the wait the upstream asked for (Retry-After),
	// rounded up; unset when it gave none.
	// +optional
	RetryAfterSeconds *int32 `json:"retryAfterSeconds,omitempty"`
	// time is when the failure was recorded.
	Time metav1.Time `json:"time"`
}

// ImageRequestStatus is the observed state of an ImageRequest.
type ImageRequestStatus struct {
	// observedGeneration is the metadata.generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// phase is Pending, Running, Succeeded or Failed.
	// +optional
	Phase Phase `json:"phase,omitempty"`

	// conditions: Accepted, Complete and Failed.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// attempts counts upstream calls started, each recorded here before it was made.
	// +optional
	Attempts int32 `json:"attempts,omitempty"`

	// startTime is when the first attempt was recorded.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`

	// lastAttemptTime is when the latest attempt was recorded.
	// +optional
	LastAttemptTime *metav1.Time `json:"lastAttemptTime,omitempty"`

	// nextAttemptTime is the earliest time the next attempt may start, from the
	// upstream's Retry-After or the controller's backoff. It survives restarts.
	// +optional
	NextAttemptTime *metav1.Time `json:"nextAttemptTime,omitempty"`

	// upstreamUnreachableSince is when calls for this request began failing
	// without reaching the upstream (nothing sent, no attempt spent); cleared
	// once a call gets through. It bounds how long such calls are retried.
	// +optional
	UpstreamUnreachableSince *metav1.Time `json:"upstreamUnreachableSince,omitempty"`

	// lastFailure is why the latest failed attempt failed; it stays after
	// a later attempt succeeds, as a record.
	// +optional
	LastFailure *AttemptFailure `json:"lastFailure,omitempty"`

	// completionTime is when the request reached Succeeded or Failed.
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`

	// images are the results, in upstream order.
	// +optional
	Images []GeneratedImage `json:"images,omitempty"`

	// upstreamRequestID is the x-request-id of the latest upstream response,
	// for support tickets with the provider.
	// +optional
	UpstreamRequestID string `json:"upstreamRequestID,omitempty"`

	// reason is a machine-readable word for the current state, e.g.
	// WaitingForInput, RateLimited, ContentPolicy, AttemptsExhausted.
	// +optional
	Reason string `json:"reason,omitempty"`

	// message is a human-readable explanation of reason.
	// +optional
	Message string `json:"message,omitempty"`

	// estimatedCostUSD is the cost of the images returned, in US dollars:
	// the list price per image for per-image models (dall-e-2), the usage
	// times the per-token prices for per-token models.
	// +optional
	EstimatedCostUSD string `json:"estimatedCostUSD,omitempty"`

	// model is the upstream model the request is for: spec.model, or the
	// operator's default when spec.model is unset. Set when the request is
	// first checked, before any call.
	// +optional
	Model string `json:"model,omitempty"`

	// usage is the token usage the upstream reported for the successful
	// call; absent when it reported none (dall-e-2 reports none).
	// +optional
	Usage *TokenUsage `json:"usage,omitempty"`
}

// TokenUsage is an upstream response's usage block.
type TokenUsage struct {
	// inputTokens is every input token: text and image.
	InputTokens int64 `json:"inputTokens"`
	// inputTextTokens are the prompt's tokens.
	// +optional
	InputTextTokens int64 `json:"inputTextTokens,omitempty"`
	// inputImageTokens are the edit input images' tokens.
	// +optional
	InputImageTokens int64 `json:"inputImageTokens,omitempty"`
	// outputTokens are the generated images' tokens.
	OutputTokens int64 `json:"outputTokens"`
	// totalTokens is inputTokens plus outputTokens.
	TotalTokens int64 `json:"totalTokens"`
}

// ImageRequest is a one-shot request for generated or edited images. Like a
// batch Job it runs once to completion; its spec cannot change after creation.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=imgreq,categories=imagegen
// +kubebuilder:printcolumn:name="Operation",type=string,JSONPath=`.spec.operation`
// +kubebuilder:printcolumn:name="Model",type=string,JSONPath=`.status.model`
// +kubebuilder:printcolumn:name="Size",type=string,JSONPath=`.spec.size`
// +kubebuilder:printcolumn:name="N",type=integer,JSONPath=`.spec.n`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Attempts",type=integer,JSONPath=`.status.attempts`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ImageRequest struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is immutable after creation: a request is a record of what was paid for.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec is immutable after creation"
	// +required
	Spec ImageRequestSpec `json:"spec"`

	// +optional
	Status ImageRequestStatus `json:"status,omitempty"`
}

// ImageRequestList contains a list of ImageRequest.
// +kubebuilder:object:root=true
type ImageRequestList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ImageRequest `json:"items"`
}
