package dallesim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// Error types OpenAI puts in error.type.
const (
	typeInvalidRequest    = "invalid_request_error"
	typeRequests          = "requests"
	typeInsufficientQuota = "insufficient_quota"
	typeServerError       = "server_error"
)

// Error codes the simulator answers with, in error.code. OpenAI sends null
// for some errors (missing API key, malformed JSON, 500, 503); those have no
// constant here.
const (
	CodeInvalidAPIKey            = "invalid_api_key"
	CodeModelNotFound            = "model_not_found"
	CodeMissingRequiredParameter = "missing_required_parameter"
	CodeEmptyString              = "empty_string"
	CodeStringAboveMaxLength     = "string_above_max_length"
	CodeIntegerBelowMinValue     = "integer_below_min_value"
	CodeIntegerAboveMaxValue     = "integer_above_max_value"
	CodeInvalidType              = "invalid_type"
	CodeInvalidValue             = "invalid_value"
	CodeUnknownParameter         = "unknown_parameter"
	CodeUnsupportedParameter     = "unsupported_parameter"
	CodeInvalidImageFormat       = "invalid_image_format"
	CodeImageTooLarge            = "image_too_large"
	CodeInvalidImageDimensions   = "invalid_image_dimensions"
	CodeImageMissingTransparency = "image_missing_transparency"
	CodeInvalidMaskImageFormat   = "invalid_mask_image_format"
	CodeContentPolicyViolation   = "content_policy_violation"
	CodeRateLimitExceeded        = "rate_limit_exceeded"
	CodeInsufficientQuota        = "insufficient_quota"
	CodeBillingHardLimitReached  = "billing_hard_limit_reached"
	CodeURLExpired               = "url_expired"
	CodeInvalidSignature         = "invalid_signature"
	CodeImageNotFound            = "image_not_found"
)

// apiError is one OpenAI error response: an HTTP status plus the JSON body
// {"error":{"message","type","param","code"}}. Param and Code are nil where
// OpenAI sends null.
type apiError struct {
	Status     int
	Message    string
	Type       string
	Param      *string
	Code       *string
	RetryAfter int // seconds; > 0 adds a Retry-After header
	// Moderation is the moderation_details a moderation_blocked error carries.
	Moderation *moderationDetails
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, e.code(), e.Message)
}

// code is the error code for logs and the call log ("" when null).
func (e *apiError) code() string {
	if e.Code == nil {
		return ""
	}
	return *e.Code
}

// nullable turns "" into JSON null, the way OpenAI omits param and code.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// invalidRequest builds a 400 invalid_request_error.
func invalidRequest(param, code, format string, args ...any) *apiError {
	return &apiError{
		Status:  http.StatusBadRequest,
		Message: fmt.Sprintf(format, args...),
		Type:    typeInvalidRequest,
		Param:   nullable(param),
		Code:    nullable(code),
	}
}

// errorBody is the wire shape; field order matches OpenAI's responses.
type errorBody struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
		// ModerationDetails is only sent with moderation_blocked.
		ModerationDetails *moderationDetails `json:"moderation_details,omitempty"`
	} `json:"error"`
}

// writeAPIError answers with e in OpenAI's error shape.
func writeAPIError(w http.ResponseWriter, e *apiError) {
	var body errorBody
	body.Error.Message, body.Error.Type, body.Error.Param, body.Error.Code = e.Message, e.Type, e.Param, e.Code
	body.Error.ModerationDetails = e.Moderation
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	writeJSON(w, e.Status, body)
}

// writeJSON answers with v as indented JSON, as OpenAI does.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		// Only our own types reach here; failing to encode them is a bug.
		panic(fmt.Sprintf("dallesim: encoding response: %v", err))
	}
	b = append(b, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// --- Authentication ---------------------------------------------------------

func errMissingAPIKey() *apiError {
	return &apiError{
		Status: http.StatusUnauthorized,
		Type:   typeInvalidRequest,
		Message: "You didn't provide an API key. You need to provide your API key in an Authorization header " +
			"using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) " +
			"if you're accessing the API from your browser and are prompted for a username. " +
			"You can obtain an API key from https://platform.openai.com/account/api-keys.",
	}
}

func errInvalidAPIKey(key string) *apiError {
	return &apiError{
		Status: http.StatusUnauthorized,
		Type:   typeInvalidRequest,
		Code:   nullable(CodeInvalidAPIKey),
		Message: fmt.Sprintf("Incorrect API key provided: %s. "+
			"You can find your API key at https://platform.openai.com/account/api-keys.", maskKey(key)),
	}
}

// maskKey hides all but the ends of a key, as OpenAI does in its 401 message.
func maskKey(key string) string {
	if len(key) <= 8 {
		return "********"
	}
	return key[:3] + "*****" + key[len(key)-4:]
}

// --- Request shape ------------------------------------------------------------

func errMalformedJSON() *apiError {
	return invalidRequest("", "", "We could not parse the JSON body of your request. (HINT: This likely means you aren't "+
		"using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. "+
		"If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)")
}

func errContentType(got, want string) *apiError {
	return invalidRequest("", "", "Invalid Content-Type header (%s), expected %s.", got, want)
}

func errMalformedMultipart(err error) *apiError {
	return invalidRequest("", "", "Could not parse multipart form: %v", err)
}

func errBodyTooLarge(limit int64) *apiError {
	e := invalidRequest("", "", "Request body too large. The maximum request size is %d bytes.", limit)
	e.Status = http.StatusRequestEntityTooLarge
	return e
}

func errNotFound(method, path string) *apiError {
	e := invalidRequest("", "", "Invalid URL (%s %s)", method, path)
	e.Status = http.StatusNotFound
	return e
}

// --- Parameter validation ---------------------------------------------------

func errMissingParam(param string) *apiError {
	return invalidRequest(param, CodeMissingRequiredParameter, "Missing required parameter: '%s'.", param)
}

func errEmptyString(param string) *apiError {
	return invalidRequest(param, CodeEmptyString,
		"Invalid '%s': empty string. Expected a string with minimum length 1, but got an empty string instead.", param)
}

func errStringTooLong(param string, max, got int) *apiError {
	return invalidRequest(param, CodeStringAboveMaxLength,
		"Invalid '%s': string too long. Expected a string with maximum length %d, but got a string with length %d instead.",
		param, max, got)
}

func errIntegerTooSmall(param string, min int, got int64) *apiError {
	return invalidRequest(param, CodeIntegerBelowMinValue,
		"Invalid '%s': integer below minimum value. Expected a value >= %d, but got %d instead.", param, min, got)
}

func errIntegerTooLarge(param string, max int, got int64) *apiError {
	return invalidRequest(param, CodeIntegerAboveMaxValue,
		"Invalid '%s': integer above maximum value. Expected a value <= %d, but got %d instead.", param, max, got)
}

func errInvalidType(param, want, got string) *apiError {
	return invalidRequest(param, CodeInvalidType,
		"Invalid type for '%s': expected %s, but got %s instead.", param, want, got)
}

func errInvalidValue(param, got string, supported []string) *apiError {
	return invalidRequest(param, CodeInvalidValue,
		"Invalid value: '%s'. Supported values are: %s.", got, quoteList(supported))
}

func errUnknownParam(param string) *apiError {
	return invalidRequest(param, CodeUnknownParameter, "Unknown parameter: '%s'.", param)
}

func errUnsupportedParam(param string) *apiError {
	return invalidRequest(param, CodeUnsupportedParameter,
		"Unsupported parameter: '%s' is not supported with this model.", param)
}

func errModelNotFound(model string) *apiError {
	e := invalidRequest("model", CodeModelNotFound,
		"The model `%s` does not exist or you do not have access to it.", model)
	e.Status = http.StatusNotFound
	return e
}

// quoteList renders ["a","b","c"] as "'a', 'b', and 'c'", OpenAI's style.
func quoteList(values []string) string {
	out := ""
	for i, v := range values {
		switch {
		case i == 0:
		case i == len(values)-1 && len(values) == 2:
			out += " and "
		case i == len(values)-1:
			out += ", and "
		default:
			out += ", "
		}
		out += "'" + v + "'"
	}
	return out
}

// --- Uploaded images ----------------------------------------------------------

func errImageFormat(param string) *apiError {
	code := CodeInvalidImageFormat
	if param == "mask" {
		code = CodeInvalidMaskImageFormat
	}
	return invalidRequest(param, code, "Invalid input image - format must be PNG. Uploaded %s must be a valid PNG and less than 4 MB.", param)
}

func errImageTooLarge(param string, size int64) *apiError {
	return invalidRequest(param, CodeImageTooLarge,
		"Uploaded %s must be a PNG and less than 4 MB (got %d bytes).", param, size)
}

func errImageTooManyPixels(param string, w, h int) *apiError {
	return invalidRequest(param, CodeInvalidImageDimensions,
		"Invalid input image - dimensions %dx%d exceed the maximum of %dx%d.", w, h, MaxUploadDimension, MaxUploadDimension)
}

func errImageNotSquare(w, h int) *apiError {
	return invalidRequest("image", CodeInvalidImageDimensions, "Invalid input image - image must be square, got %dx%d.", w, h)
}

func errTooManyImages() *apiError {
	return invalidRequest("image", CodeInvalidValue, "Invalid 'image': dall-e-2 accepts exactly one image.")
}

func errImageNoTransparency() *apiError {
	return invalidRequest("image", CodeImageMissingTransparency,
		"Invalid input image - image must have transparent areas (alpha 0) when no mask is provided.")
}

func errMaskNoAlpha() *apiError {
	return invalidRequest("mask", CodeInvalidMaskImageFormat, "Invalid mask image format - mask image missing alpha channel.")
}

func errMaskSize(mw, mh, iw, ih int) *apiError {
	return invalidRequest("mask", CodeInvalidMaskImageFormat,
		"Invalid mask image format - mask size (%dx%d) does not match image size (%dx%d).", mw, mh, iw, ih)
}

// --- Policy, limits and faults ----------------------------------------------

func errContentPolicy() *apiError {
	return invalidRequest("", CodeContentPolicyViolation,
		"Your request was rejected as a result of our safety system. "+
			"Your prompt may contain text that is not allowed by our safety system.")
}

func errRateLimited(limit, used, requested, retryAfter int) *apiError {
	return &apiError{
		Status: http.StatusTooManyRequests,
		Type:   typeRequests,
		Code:   nullable(CodeRateLimitExceeded),
		Message: fmt.Sprintf("Rate limit reached for images per minute: Limit %d, Used %d, Requested %d. "+
			"Please try again in %ds. Visit https://platform.openai.com/account/rate-limits to learn more.",
			limit, used, requested, retryAfter),
		RetryAfter: retryAfter,
	}
}

func errInsufficientQuota() *apiError {
	return &apiError{
		Status: http.StatusTooManyRequests,
		Type:   typeInsufficientQuota,
		Code:   nullable(CodeInsufficientQuota),
		Message: "You exceeded your current quota, please check your plan and billing details. " +
			"For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
	}
}

func errBillingHardLimit() *apiError {
	return invalidRequest("", CodeBillingHardLimitReached, "Billing hard limit has been reached")
}

func errServer() *apiError {
	return &apiError{
		Status: http.StatusInternalServerError,
		Type:   typeServerError,
		Message: "The server had an error while processing your request. Sorry about that! You can retry your request, " +
			"or contact us through our help center at help.openai.com if the error persists.",
	}
}

func errOverloaded() *apiError {
	return &apiError{
		Status: http.StatusServiceUnavailable,
		Type:   typeServerError,
		Message: "That model is currently overloaded with other requests. You can retry your request, " +
			"or contact us through our help center at help.openai.com if the error persists.",
	}
}

// --- Image URLs ----------------------------------------------------------------

func errURLExpired() *apiError {
	e := invalidRequest("", CodeURLExpired, "This image URL has expired. Image URLs are valid for a limited time after generation.")
	e.Status = http.StatusForbidden
	return e
}

func errBadSignature() *apiError {
	e := invalidRequest("", CodeInvalidSignature, "Server failed to authenticate the request. The image URL signature is invalid.")
	e.Status = http.StatusForbidden
	return e
}

func errImageGone() *apiError {
	e := invalidRequest("", CodeImageNotFound, "The specified image does not exist.")
	e.Status = http.StatusNotFound
	return e
}
