// Package rules is the one vocabulary of input rules: the word an error
// names (as "rule" in REST bodies, in MCP error data and tool errors, and in
// the CRD's messages) for each rule an input can break. The JSON schema's
// keywords are used where the tools' input schema says the same thing, so
// a value refused by the schema and one refused by our own checks name the
// same rule.
package rules

// Rules of the JSON schema of the tools' inputs, also used by our checks
// of the same constraints.
const (
	// Required: a required input is missing.
	Required = "required"
	// MinLength: a string is empty (or shorter than allowed). An empty
	// prompt breaks this rule, as the schema's minLength 1 says.
	MinLength = "minLength"
	// MaxLength: a string is longer than allowed.
	MaxLength = "maxLength"
	// Pattern: a name does not have the required form.
	Pattern = "pattern"
	// Minimum and Maximum bound a number.
	Minimum = "minimum"
	Maximum = "maximum"
	// Enum: a value is not one of those allowed (model, size, quality,
	// background, output format, moderation).
	Enum = "enum"
	// AdditionalProperties: an argument the tool (or a field the REST
	// endpoint) does not have.
	AdditionalProperties = "additionalProperties"
)

// Rules of the model registry (internal/models) and the CRD.
const (
	// SupportsEdit: the model cannot edit images.
	SupportsEdit = "supportsEdit"
	// ControlCharacters: a prompt holds a control character other than
	// tab, line feed or carriage return (the CRD's CEL rule on spec.prompt
	// says the same).
	ControlCharacters = "controlCharacters"
	// Retired: the model is past its upstream shutdown date and the
	// operator has not declared it still served; the message names the
	// date and the replacement.
	Retired = "retired"
	// Unsupported: the model (or the operation) does not take this
	// parameter at all, e.g. quality on dall-e-2 or moderation on an edit.
	Unsupported = "unsupported"
	// Requires: a value needs another field to hold certain values, e.g. a
	// transparent background needs output format png or webp, and output
	// compression needs jpeg or webp.
	Requires = "requires"
	// MultipleOf: a custom size's width or height is not a multiple of 16
	// (the JSON schema's keyword for the same constraint).
	MultipleOf = "multipleOf"
	// AspectRatio: a custom size's long side is more than three times its
	// short side.
	AspectRatio = "aspectRatio"
	// MaxPixels: a custom size is larger than the model renders (its
	// longest edge or its pixel count).
	MaxPixels = "maxPixels"
	// MaxItems: more edit input images than the model takes (the JSON
	// schema's keyword for an array's length).
	MaxItems = "maxItems"
)

// Rules of an edit's input images (internal/imagecheck, and the size of
// the input Secret).
const (
	PNG           = "png"
	SizeBytes     = "size-bytes"
	DimensionsMax = "dimensions-max"
	Square        = "square"
	Dimensions    = "dimensions"
	Alpha         = "alpha"
	Transparency  = "transparency"
	// InlineSize: image and mask do not fit in the input Secret.
	InlineSize = "inlineSize"
	// Base64: an MCP upload is not valid base64.
	Base64 = "base64"
	// Format: an input image is in a format the model does not take (the
	// message names those it does). A model that takes PNG only names the
	// PNG rule instead, as it always has.
	Format = "format"
	// JPEG and WebP: an input that opens as a JPEG or WebP file is not a
	// valid one (a truncated or garbled header); PNG's counterpart is PNG.
	JPEG = "jpeg"
	WebP = "webp"
)

// Rules of an input referenced in the artifact store (spec.image.artifactRef,
// spec.mask.artifactRef).
const (
	// ArtifactKey: the key (or the key a uri names) is not one the request
	// may read: another namespace's, a path that could escape its prefix,
	// a prefix other than results/, inputs/ or uploads/, or a uri of
	// another bucket.
	ArtifactKey = "artifactKey"
	// ArtifactStore: an artifactRef needs an operator running with an
	// artifact store (--artifact-bucket), and this one has none.
	ArtifactStore = "artifactStore"
)

// Rules of a call's form, found by the adapters.
const (
	// Unique: a JSON key or form field is given more than once.
	Unique = "unique"
	// Type: a value of the wrong type (a JSON string where a number
	// belongs, a form field that is not an integer), as the schema's
	// "type" keyword says.
	Type = "type"
	// Conflict: the query and the body name different namespaces.
	Conflict = "conflict"
	// Template: a resource URI not of the imagerequest:// form.
	Template = "template"
	// Cursor: a resources/list cursor this server did not issue.
	Cursor = "cursor"
)

// Rules the API server enforces when the ImageRequest is created.
const (
	// Exists: the namespace does not exist.
	Exists = "exists"
	// Admission: admission refused the request.
	Admission = "admission"
)
