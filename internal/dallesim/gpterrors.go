package dallesim

import (
	"fmt"
	"net/http"
	"strings"
)

// Error type and codes of the GPT image models' answers.
const (
	typeImageGenerationUserError = "image_generation_user_error"
	CodeModerationBlocked        = "moderation_blocked"
)

// DefaultModerationCategories are the safety categories a simulated
// moderation block reports. The real API names the categories that fired
// both in the message ("safety_violations=[violence].") and in
// error.moderation_details; the simulator has one trigger word, so it
// reports one fixed category.
var DefaultModerationCategories = []string{"violence"}

// moderationDetails is error.moderation_details of a moderation_blocked answer.
type moderationDetails struct {
	// Stage is "input" (the prompt or an input image) or "output" (the
	// generated image). The simulator blocks on the prompt: "input".
	Stage      string   `json:"moderation_stage"`
	Categories []string `json:"categories"`
}

// errModerationBlocked is the GPT image models' refusal, shaped like the
// real one (observed in the wild, e.g. gpt-image-2 in 2026):
//
//	400 {"error":{"message":"Your request was rejected by the safety system. If you believe this is an error,
//	contact us at help.openai.com and include the request ID <id>. safety_violations=[violence].",
//	"type":"image_generation_user_error","param":null,"code":"moderation_blocked",
//	"moderation_details":{"moderation_stage":"input","categories":["violence"]}}}
func errModerationBlocked(requestID string) *apiError {
	categories := DefaultModerationCategories
	return &apiError{
		Status: http.StatusBadRequest,
		Type:   typeImageGenerationUserError,
		Code:   nullable(CodeModerationBlocked),
		Message: fmt.Sprintf("Your request was rejected by the safety system. If you believe this is an error, "+
			"contact us at help.openai.com and include the request ID %s. safety_violations=[%s].",
			requestID, strings.Join(categories, ", ")),
		Moderation: &moderationDetails{Stage: "input", Categories: categories},
	}
}

// errModelRetired answers a model past its shutdown date, the way OpenAI
// answers deprecated models: 404 model_not_found naming the model.
func errModelRetired(model string) *apiError {
	if _, known := shutdownDates[model]; !known {
		return errModelNotFound(model)
	}
	e := invalidRequest("model", CodeModelNotFound,
		"The model `%s` has been deprecated, learn more here: https://platform.openai.com/docs/deprecations", model)
	e.Status = http.StatusNotFound
	return e
}

func errInvalidSize(size, rule string) *apiError {
	return invalidRequest("size", CodeInvalidValue, "Invalid value: '%s'. %s", size, rule)
}

func errParamRequires(param, value, rule string) *apiError {
	return invalidRequest(param, CodeInvalidValue, "Invalid value for '%s': '%s'. %s", param, value, rule)
}

func errTooManyInputImages(got int) *apiError {
	return invalidRequest("image", CodeInvalidValue,
		"Invalid 'image': too many images. Expected at most %d images, but got %d.", MaxInputImages, got)
}

func errInputImageFormat(index int) *apiError {
	return invalidRequest("image", CodeInvalidImageFormat,
		"Invalid input image %d - format must be one of 'png', 'jpeg' or 'webp'.", index)
}

func errInputImageTooLarge(index int, size int64) *apiError {
	return invalidRequest("image", CodeImageTooLarge,
		"Invalid input image %d - each image must be less than 50 MB (got %d bytes).", index, size)
}
